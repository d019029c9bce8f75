package identity_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
)

// clock is a test clock the service reads.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newService(t testing.TB, c *clock) *identity.Service {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := identity.NewKeyring(ctx, db.Identity(), []byte("verified-cache test secret"))
	if err != nil {
		t.Fatal(err)
	}
	c.ns.Store(time.Now().UnixNano())
	return identity.NewService(db.Identity(), keys, identity.Config{Now: c.now, PasswordCost: identity.ArgonCost{MemoryKiB: 1024, Time: 1}})
}

// TestAuthenticate_VerifiedTokens: the second use of a token (served from
// the cache of verified tokens) is refused in every case the first would
// be: after expiry, when altered, and when the account was disabled.
func TestAuthenticate_VerifiedTokens(t *testing.T) {
	ctx := context.Background()
	var c clock
	s := newService(t, &c)
	admin, err := s.AddStaff(ctx, identity.StaffInput{Role: identity.RoleAdmin, Email: "quantri@camau.gov.vn", Name: "Quản trị", Password: "mat-khau-an-toan"})
	if err != nil {
		t.Fatal(err)
	}
	officer, err := s.AddStaff(ctx, identity.StaffInput{Role: identity.RoleOfficer, Email: "canbo@camau.gov.vn", Name: "Cán bộ",
		Password: "mat-khau-an-toan", AgencyCode: "so-xay-dung"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Login(ctx, "canbo@camau.gov.vn", "mat-khau-an-toan", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p, err := s.Authenticate(ctx, tok.AccessToken)
		if err != nil || p.UserID != officer.ID || p.Role != identity.RoleOfficer {
			t.Fatalf("use %d: %+v, %v; want the officer", i+1, p, err)
		}
	}

	// Altered: a different signature byte is a different token.
	b := []byte(tok.AccessToken)
	b[len(b)-2] ^= 1
	if _, err := s.Authenticate(ctx, string(b)); err == nil {
		t.Fatal("an altered token was accepted after the original was verified")
	}

	// A role change and a disabled account apply at once.
	role := identity.RoleCoordinator
	adminP := identity.Principal{UserID: admin.ID, Role: identity.RoleAdmin}
	empty := ""
	if _, err := s.UpdateStaff(ctx, adminP, officer.ID, identity.StaffUpdate{Role: &role, AgencyCode: &empty}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Authenticate(ctx, tok.AccessToken); err != nil || p.Role != identity.RoleCoordinator {
		t.Fatalf("after the role change: %+v, %v; want the new role at once", p, err)
	}
	disabled := true
	if _, err := s.UpdateStaff(ctx, adminP, officer.ID, identity.StaffUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok.AccessToken); err == nil {
		t.Fatal("a disabled account's cached token was accepted")
	}

	// Expiry: accepted up to 15 minutes plus the 30 s leeway, not after.
	tok2, err := s.Login(ctx, "quantri@camau.gov.vn", "mat-khau-an-toan", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok2.AccessToken); err != nil {
		t.Fatal(err)
	}
	c.advance(15*time.Minute + 29*time.Second)
	if _, err := s.Authenticate(ctx, tok2.AccessToken); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	c.advance(2 * time.Second)
	if _, err := s.Authenticate(ctx, tok2.AccessToken); err == nil {
		t.Fatal("an expired token was accepted from the cache")
	}
}

// TestAuthenticate_ParallelTokens: many clients at once, each with its own
// token, all authenticate (the cache is shared under -race).
func TestAuthenticate_ParallelTokens(t *testing.T) {
	ctx := context.Background()
	var c clock
	s := newService(t, &c)
	if _, err := s.AddStaff(ctx, identity.StaffInput{Role: identity.RoleAnalyst, Email: "phantich@camau.gov.vn", Name: "Phân tích", Password: "mat-khau-an-toan"}); err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for range 8 {
		tok, err := s.Login(ctx, "phantich@camau.gov.vn", "mat-khau-an-toan", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok.AccessToken)
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if _, err := s.Authenticate(ctx, tokens[(w+i)%len(tokens)]); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of 800 authentications failed", failed.Load())
	}
}

// BenchmarkAuthenticate is a signed-in request's identity work: the token
// check (cached after the first) and the account read.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	var c clock
	s := newService(b, &c)
	if _, err := s.AddStaff(ctx, identity.StaffInput{Role: identity.RoleAnalyst, Email: "phantich@camau.gov.vn", Name: "Phân tích", Password: "mat-khau-an-toan"}); err != nil {
		b.Fatal(err)
	}
	tok, err := s.Login(ctx, "phantich@camau.gov.vn", "mat-khau-an-toan", "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
