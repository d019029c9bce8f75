package main

import (
	"context"
	"fmt"
	"log/slog"

	"camaug/internal/identity"
	"camaug/internal/oidc"
)

// consoleOIDC reads the province provider's configuration (CAMAUG_OIDC_*,
// see oidc.ConfigFromEnv) for the console's sign-in; nil when it is not
// configured. CAMAUG_OIDC_VERIFIED_ACR seeds the admin-edited list of acr
// values counted as a verified identity while that list is still empty;
// after that the admin's list (console or /v1/admin/oidc/verified-acr-values)
// is the one in force.
func consoleOIDC(ctx context.Context, cfg oidc.Config, ids *identity.Service, log *slog.Logger) (*oidc.Provider, error) {
	prov, err := oidc.New(cfg)
	if err != nil || prov == nil {
		return nil, err
	}
	if len(cfg.VerifiedACR) > 0 {
		if err := ids.SeedVerifiedACRs(ctx, cfg.VerifiedACR); err != nil {
			return nil, fmt.Errorf("CAMAUG_OIDC_VERIFIED_ACR: %w", err)
		}
	}
	log.Info("console sign-in with the province's shared account is on", "issuer", cfg.Issuer)
	return prov, nil
}
