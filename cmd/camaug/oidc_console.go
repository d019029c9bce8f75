package main

import (
	"context"
	"fmt"

	"camaug/internal/identity"
	"camaug/internal/oidc"
)

// seedVerifiedACRs makes CAMAUG_OIDC_VERIFIED_ACR the start value of the
// admin-edited list of acr values counted as a verified identity, while
// that list is still empty; after that the admin's list (console, or
// /v1/admin/oidc/verified-acr-values) is the one in force.
func seedVerifiedACRs(ctx context.Context, cfg oidc.Config, ids *identity.Service) error {
	if !cfg.Enabled() || len(cfg.VerifiedACR) == 0 {
		return nil
	}
	if err := ids.SeedVerifiedACRs(ctx, cfg.VerifiedACR); err != nil {
		return fmt.Errorf("CAMAUG_OIDC_VERIFIED_ACR: %w", err)
	}
	return nil
}
