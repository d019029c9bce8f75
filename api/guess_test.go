package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
)

// guessEnv is the app of env with an identity service whose sign-in
// delays are short enough for a test: FailureDelay after the account's
// first failure in the window, doubling, at most 8 times that.
func guessEnv(t *testing.T, env *testEnv) (*fiber.App, *identity.Service) {
	t.Helper()
	keys, err := identity.NewKeyring(context.Background(), env.store.Identity(), []byte("test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	ids := identity.NewService(env.store.Identity(), keys, identity.Config{
		FreeFailures: 1, FailureDelay: guessDelay, MaxFailureDelay: 8 * guessDelay,
		Now: func() time.Time { return *env.now },
	})
	app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: ids, Reports: env.reports,
		Surveys: env.surveys, Ready: env.store.Ping, TrustedProxies: []string{"0.0.0.0"}})
	return app, ids
}

const guessDelay = 200 * time.Millisecond

// timedLogin signs in from the address and returns the answer and how
// long it took.
func timedLogin(t *testing.T, app *fiber.App, login, password, from string) (response, time.Duration) {
	t.Helper()
	start := time.Now()
	r := do(t, app, req("POST", "/v1/auth/login", "", map[string]string{"login": login, "password": password}, "X-Forwarded-For", from))
	return r, time.Since(start)
}

// TestLoginGuessesSlowedNotLocked: guesses against the admin spread over
// several addresses get slower with each failure on the account (up to
// the cap), guesses sent at once from one address are limited; yet the
// admin signing in from an address that has not failed gets in, without
// the delay. The timings run on SQLite only (the delay reads one count,
// which the conformance suite checks on both stores); the limits on both.
func TestLoginGuessesSlowedNotLocked(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app, ids := guessEnv(t, env)
		if _, err := ids.AddStaff(context.Background(), identity.StaffInput{Role: identity.RoleAdmin, Email: "admin@camau.gov.vn",
			Name: "Quản trị", Password: "mat-khau-quan-tri"}); err != nil {
			t.Fatal(err)
		}
		const admin = "admin@camau.gov.vn"
		timed := env.mongo == nil
		// Each attacking address: a first guess (no wait: the address is
		// clean), then a second one, which waits for the account's
		// failures so far: 1 → 1×, 3 → 4×, 5 → 8× the delay (the cap).
		// The first guesses measure what a check costs without a wait.
		var clean time.Duration
		rounds := []time.Duration{guessDelay, 4 * guessDelay, 8 * guessDelay}
		if !timed {
			rounds = rounds[:1]
		}
		for i, want := range rounds {
			from := "198.51.100." + strconv.Itoa(i+1)
			r, took := timedLogin(t, app, admin, "doan-sai-"+strconv.Itoa(i), from)
			wantProblem(t, r, http.StatusUnauthorized)
			clean = max(clean, took)
			r, took = timedLogin(t, app, admin, "doan-sai-lan-hai", from)
			wantProblem(t, r, http.StatusUnauthorized)
			if timed && took < want {
				t.Fatalf("guess from %s after %d failures took %v, want at least %v", from, 2*i+1, took, want)
			}
		}
		// Guesses sent at once from one address: at most the pair limit
		// (5, counting the two above) reach the password check.
		statuses := atOnce(t, app, 10, func(i int) *http.Request {
			return req("POST", "/v1/auth/login", "", map[string]string{"login": admin, "password": "song-song-" + strconv.Itoa(i)},
				"X-Forwarded-For", "198.51.100.1")
		})
		if statuses[http.StatusUnauthorized] > 3 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 10 {
			t.Fatalf("statuses %v: want at most 3 more checks (401) from that address, the rest 429", statuses)
		}
		// That address is now refused even with the right password...
		r, _ := timedLogin(t, app, admin, "mat-khau-quan-tri", "198.51.100.1")
		wantProblem(t, r, http.StatusTooManyRequests)
		// ...but the admin from a clean address signs in, and waits no
		// more than a check costs (the guessers now wait 8× the delay).
		r, took := timedLogin(t, app, admin, "mat-khau-quan-tri", "203.0.113.77")
		wantStatus(t, r, http.StatusOK)
		if timed && took >= clean+4*guessDelay {
			t.Fatalf("the admin's sign-in from a clean address took %v (an unslowed check took up to %v): want no delay", took, clean)
		}
	})
}

// TestCurrentPasswordGuessesSlowedNotLocked: wrong current passwords from
// one address are limited and then slowed, while the account owner's
// change from another address goes through.
func TestCurrentPasswordGuessesSlowedNotLocked(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app, _ := guessEnv(t, env)
		cit := registerCitizen(t, env, "0911111111", "mat-khau-dung")
		change := func(current, from string) response {
			return do(t, app, req("POST", "/v1/me/password", cit.AccessToken,
				map[string]string{"current_password": current, "new_password": "mat-khau-moi-2026"}, "X-Forwarded-For", from))
		}
		p := wantProblem(t, change("sai-1", "198.51.100.9"), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "current_password" {
			t.Fatalf("errors %+v, want current_password", p.Errors)
		}
		start := time.Now()
		wantProblem(t, change("sai-2", "198.51.100.9"), http.StatusUnprocessableEntity)
		if took := time.Since(start); took < guessDelay {
			t.Fatalf("second wrong guess from the address took %v, want at least %v", took, guessDelay)
		}
		for i := 0; i < 3; i++ {
			change("sai-3", "198.51.100.9")
		}
		wantProblem(t, change("mat-khau-dung", "198.51.100.9"), http.StatusTooManyRequests)
		wantStatus(t, change("mat-khau-dung", "203.0.113.5"), http.StatusNoContent)
	})
}
