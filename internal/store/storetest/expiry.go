package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
)

// testIdempotencyExpiry: a claimed key answers retries until it expires;
// after that it is never honoured, and the next claim of the key wins
// (exactly one of several at once), whether or not the store has already
// removed the old claim.
func testIdempotencyExpiry(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	// Times from now on: a server with TTL indexes must not remove these
	// claims by the wall clock while the test runs.
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	first := feedback.Idempotency{Scope: "u1", Key: "k", RequestHash: "h1", ResourceID: "r1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if _, err := s.ClaimIdempotency(ctx, first); err != nil {
		t.Fatal(err)
	}
	retry := first
	retry.ResourceID, retry.CreatedAt, retry.ExpiresAt = "r-retry", t0.Add(59*time.Minute), t0.Add(2*time.Hour)
	got, err := s.ClaimIdempotency(ctx, retry)
	wantCode(t, err, apperr.ECONFLICT)
	if got.ResourceID != "r1" || !got.ExpiresAt.Equal(first.ExpiresAt) {
		t.Fatalf("a retry before expiry got %+v, want the first claim (r1, expiring %v)", got, first.ExpiresAt)
	}
	late := first
	late.RequestHash, late.ResourceID, late.CreatedAt, late.ExpiresAt = "h2", "r2", t0.Add(time.Hour), t0.Add(2*time.Hour)
	if got, err := s.ClaimIdempotency(ctx, late); err != nil {
		t.Fatalf("a claim at the first one's expiry: got %+v, %v; want it to win", got, err)
	}
	again := late
	again.ResourceID, again.CreatedAt = "r3", t0.Add(90*time.Minute)
	if got, err := s.ClaimIdempotency(ctx, again); apperr.CodeOf(err) != apperr.ECONFLICT || got.ResourceID != "r2" {
		t.Fatalf("a retry of the new claim: got %+v, %v; want r2 and ECONFLICT", got, err)
	}
	// A claim without ExpiresAt lasts IdempotencyTTL.
	legacy := feedback.Idempotency{Scope: "u1", Key: "no-expiry", RequestHash: "h", ResourceID: "r-old", CreatedAt: t0}
	if _, err := s.ClaimIdempotency(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	legacy.ResourceID, legacy.CreatedAt = "r-new", t0.Add(feedback.IdempotencyTTL-time.Minute)
	if got, _ := s.ClaimIdempotency(ctx, legacy); got.ResourceID != "r-old" {
		t.Fatalf("a claim without ExpiresAt, retried within %v: got %q, want r-old", feedback.IdempotencyTTL, got.ResourceID)
	}
	// Concurrent claims of an expired key: one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	at := t0.Add(3 * time.Hour)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.ClaimIdempotency(ctx, feedback.Idempotency{Scope: "u1", Key: "k", RequestHash: "h", ResourceID: fmt.Sprint("race-", i),
				CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if apperr.CodeOf(err) != apperr.ECONFLICT {
				t.Errorf("claim %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent claims of an expired key won, want 1", wins)
	}
}

// testExpiryOnRead drives the identity service over the store with a clock
// it moves: a refresh token past its expiry and a console session past its
// absolute or idle limit are refused, whether or not the store (a TTL
// index, a sweep) has removed them yet.
func testExpiryOnRead(t *testing.T, st identity.Store) {
	ctx := context.Background()
	keys, err := identity.NewKeyring(ctx, st, []byte("expiry test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	svc := identity.NewService(st, keys, identity.Config{Now: func() time.Time { return now },
		PasswordCost: identity.ArgonCost{MemoryKiB: 1024, Time: 1}, RefreshTTL: 24 * time.Hour, SessionIdle: 30 * time.Minute, SessionMax: 12 * time.Hour})
	const email, password = "admin@camau.gov.vn", "mat-khau-het-han-1"
	if _, err := svc.EnsureAdmin(ctx, email, password); err != nil {
		t.Fatal(err)
	}
	start := now

	tok, err := svc.Login(ctx, email, password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(23 * time.Hour)
	tok, err = svc.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh within its lifetime: %v", err)
	}
	now = now.Add(24 * time.Hour) // exactly at its expiry
	if _, err := svc.Refresh(ctx, tok.RefreshToken); apperr.CodeOf(err) != apperr.EUNAUTHORIZED {
		t.Fatalf("refresh at its expiry: got %v, want EUNAUTHORIZED", err)
	}

	now = start
	token, _, _, err := svc.StartSession(ctx, email, password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for now.Add(29 * time.Minute).Before(start.Add(12 * time.Hour)) { // in use all day: the idle limit never hits
		now = now.Add(29 * time.Minute)
		if _, _, err := svc.ResumeSession(ctx, token); err != nil {
			t.Fatalf("session in use after %v: %v", now.Sub(start), err)
		}
	}
	now = start.Add(12 * time.Hour)
	if _, _, err := svc.ResumeSession(ctx, token); apperr.CodeOf(err) != apperr.EUNAUTHORIZED {
		t.Fatalf("session at its absolute expiry: got %v, want EUNAUTHORIZED", err)
	}
	now = start
	idle, _, _, err := svc.StartSession(ctx, email, password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(31 * time.Minute)
	if _, _, err := svc.ResumeSession(ctx, idle); apperr.CodeOf(err) != apperr.EUNAUTHORIZED {
		t.Fatalf("session idle 31 minutes: got %v, want EUNAUTHORIZED", err)
	}
}
