package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"camaug/internal/apiclient"
)

const clientsUsage = `usage: camaug clients create --name NAME --scopes stats:read,reports:read,open311:write,webhooks [--rate-limit N]
                           [--webhook-url URL [--events report.dispatch,...] [--parties agency,reporter] [--agencies CODE,...]]
       camaug clients list
       camaug clients rotate ID [--overlap 1h]   (0 ends the old key at once)
       camaug clients revoke ID`

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// clientsCommand manages the API clients from the command line: the same
// service as /v1/admin/clients, on the configured store.
func clientsCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", clientsUsage)
	}
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &apiclient.Service{Store: st.Clients()}
	fs := flag.NewFlagSet("clients "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	switch args[0] {
	case "create":
		name := fs.String("name", "", "client name")
		scopes := fs.String("scopes", "", "comma-separated scopes")
		rate := fs.Int("rate-limit", 0, "requests a minute (default 600)")
		hookURL := fs.String("webhook-url", "", "webhook subscription URL")
		events := fs.String("events", "", "comma-separated events (default all)")
		parties := fs.String("parties", "", "agency, reporter (default both)")
		agencies := fs.String("agencies", "", "comma-separated agency codes (default all)")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
			return fmt.Errorf("%s", clientsUsage)
		}
		in := apiclient.Input{Name: *name, Scopes: splitList(*scopes), RateLimit: *rate}
		if *hookURL != "" {
			in.Webhook = &apiclient.WebhookInput{URL: *hookURL, Events: splitList(*events), Parties: splitList(*parties), Agencies: splitList(*agencies)}
		}
		made, err := svc.Create(ctx, in)
		if err != nil {
			return fmt.Errorf("%s", describe(err))
		}
		fmt.Fprintf(stdout, "client %s (%s)\nkey: %s\n", made.Client.ID, made.Client.Name, made.Key)
		if made.WebhookSecret != "" {
			fmt.Fprintf(stdout, "webhook secret: %s\n", made.WebhookSecret)
		}
		fmt.Fprintln(stdout, "The key and secret are shown only now: hand them over safely.")
		return nil
	case "list":
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tSCOPES\tRATE/MIN\tSTATE\tLAST USED")
		for _, c := range list {
			state, used := "active", "never"
			if c.Revoked() {
				state = "revoked " + c.RevokedAt.Format(time.RFC3339)
			}
			if c.LastUsedAt != nil {
				used = c.LastUsedAt.Format(time.RFC3339)
			}
			var sc []string
			for _, s := range c.Scopes {
				sc = append(sc, string(s))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Name, strings.Join(sc, ","), c.RateLimit, state, used)
		}
		return w.Flush()
	case "rotate", "revoke":
		overlap := fs.Duration("overlap", apiclient.DefaultOverlap, "how long the old key keeps working")
		if len(args) < 2 {
			return fmt.Errorf("%s", clientsUsage)
		}
		if err := fs.Parse(args[2:]); err != nil || fs.NArg() != 0 {
			return fmt.Errorf("%s", clientsUsage)
		}
		if args[0] == "revoke" {
			c, err := svc.Revoke(ctx, args[1])
			if err != nil {
				return fmt.Errorf("%s", describe(err))
			}
			fmt.Fprintf(stdout, "client %s revoked: its keys are refused from now on\n", c.ID)
			return nil
		}
		made, err := svc.Rotate(ctx, args[1], *overlap)
		if err != nil {
			return fmt.Errorf("%s", describe(err))
		}
		fmt.Fprintf(stdout, "client %s\nnew key: %s\n", made.Client.ID, made.Key)
		if made.Client.PrevKeyHash != "" {
			fmt.Fprintf(stdout, "the old key works until %s\n", made.Client.PrevKeyUntil.Format(time.RFC3339))
		}
		return nil
	}
	return fmt.Errorf("%s", clientsUsage)
}
