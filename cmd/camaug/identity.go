package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"camaug/feedback"
	"camaug/internal/identity"
)

// keySecret is what seals the token signing keys in the store:
// CAMAUG_KEY_SECRET when set (loadConfig requires it with MONGODB_URI, where
// every instance must use the same), else, for the embedded store, this
// machine's ID, so a copy of the database alone opens no key.
func keySecret(cfg config, log *slog.Logger) ([]byte, error) {
	if cfg.KeySecret != "" {
		return []byte(cfg.KeySecret), nil
	}
	if cfg.MongoURI != "" {
		return nil, fmt.Errorf("set CAMAUG_KEY_SECRET: with MONGODB_URI every instance needs the same one")
	}
	for _, path := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
			return []byte("machine-id:" + strings.TrimSpace(string(b))), nil
		}
	}
	return nil, fmt.Errorf("set CAMAUG_KEY_SECRET: it seals the token signing keys, and this machine has no machine ID to fall back on")
}

func identityService(ctx context.Context, cfg config, st store, log *slog.Logger) (*identity.Service, error) {
	secret, err := keySecret(cfg, log)
	if err != nil {
		return nil, err
	}
	keys, err := identity.NewKeyring(ctx, st.Identity(), secret)
	if err != nil {
		return nil, err
	}
	agencies := st.Reference().Agencies()
	return identity.NewService(st.Identity(), keys, identity.Config{
		HashMemoryMiB: cfg.HashMemoryMiB,
		AgencyExists: func(ctx context.Context, code string) error {
			a, err := agencies.Get(ctx, code)
			if err == nil && !a.Active {
				return fmt.Errorf("agency %s is not active", code)
			}
			return err
		},
	}), nil
}

// stdin is the operator's standard input; tests replace it.
var stdin io.Reader = os.Stdin

func addUser(ctx context.Context, cfg config, args []string, in io.Reader, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	role := fs.String("role", "", "officer, agency_admin, coordinator, analyst or admin")
	email := fs.String("email", "", "login email")
	name := fs.String("name", "", "full name (default: the email)")
	agency := fs.String("agency", "", "agency code (officer and agency_admin)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	password := strings.TrimRight(line, "\r\n")
	if *name == "" {
		*name = *email
	}
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := feedback.NewReferenceService(st.Reference()).SeedDefault(ctx); err != nil {
		return err
	}
	svc, err := identityService(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	u, err := svc.AddStaff(ctx, identity.StaffInput{Role: identity.Role(*role), Email: *email, Name: *name, Password: password, AgencyCode: *agency})
	if err != nil {
		return fmt.Errorf("user not created:\n%s", describe(err))
	}
	fmt.Fprintf(stdout, "created %s %s (id %s)\n", u.Role, u.Email, u.ID)
	return nil
}

func rotateKeys(ctx context.Context, cfg config, stdout io.Writer, log *slog.Logger) error {
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, err := keySecret(cfg, log)
	if err != nil {
		return err
	}
	keys, err := identity.NewKeyring(ctx, st.Identity(), secret)
	if err != nil {
		return err
	}
	kid, err := keys.Rotate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s; running instances sign with it within a minute, and tokens signed with older keys stay valid until they expire\n", kid)
	return nil
}
