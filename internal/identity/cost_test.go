package identity_test

import (
	"context"
	"strings"
	"testing"

	"camaug/internal/identity"
)

// Without a PasswordCost the service hashes at the production cost
// (argon2id, 19 MiB, 2 passes: OWASP's minimum); the API and console tests
// lower it only because the race detector makes each hash take seconds.
// A cheaper hash still verifies, and the cost lives in the hash itself.
func TestProductionPasswordCost(t *testing.T) {
	env := newSessionEnv(t)
	ctx := context.Background()
	u, _, err := env.svc.Register(ctx, identity.Anonymous, identity.RegisterInput{Email: "dan@example.vn", Password: "cong-dan-2026", Name: "Dân"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := env.store.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("the default service stored %q, want argon2id at m=19456,t=2,p=1", stored.PasswordHash)
	}
	if !identity.VerifyPassword(stored.PasswordHash, "cong-dan-2026") || identity.VerifyPassword(stored.PasswordHash, "cong-dan-2027") {
		t.Fatal("the production hash does not verify its password alone")
	}
}
