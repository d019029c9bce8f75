package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"camaug/api"
	"camaug/internal/identity"
	"camaug/internal/oidc"
	"camaug/internal/oidc/oidctest"
)

// oidcEnv is an app wired to a real OpenID provider running in the test.
type oidcEnv struct {
	*testEnv
	op  *oidctest.Provider
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The province's test users: Lan's phone is verified by the provider,
// Bình's is not.
const (
	lanPhone  = "+84912000111"
	binhPhone = "+84987000222"
)

func newOIDCEnv(t *testing.T, kind string) *oidcEnv {
	t.Helper()
	op := oidctest.Start(t)
	op.AddClient(oidctest.Client{ID: "camaug", Secret: "console-secret"})
	op.AddClient(oidctest.Client{ID: "camaug-app"})
	op.AddClient(oidctest.Client{ID: "other-app"})
	op.AddClient(oidctest.Client{ID: "other-multi", ExtraAudiences: []string{"camaug-app"}})
	op.AddClient(oidctest.Client{ID: "camaug-app-jti", JTI: true})
	op.AddUser(oidctest.User{Subject: "lan", Phone: lanPhone, PhoneVerified: true, Name: "Nguyễn Thị Lan", ACR: "loa3"})
	op.AddUser(oidctest.User{Subject: "binh", Phone: binhPhone, Name: "Trần Văn Bình"})
	op.AddUser(oidctest.User{Subject: "an", Phone: "+84933000333", PhoneVerified: true, Name: "Lê Văn An"})
	var clock *time.Time
	rp, err := oidc.New(oidc.Config{Issuer: op.Issuer, ClientID: "camaug", ClientSecret: "console-secret",
		AppClientIDs: []string{"camaug-app", "camaug-app-jti"}, RetryAfter: time.Nanosecond, HTTPTimeout: 2 * time.Second},
		oidc.WithClock(func() time.Time {
			if clock == nil {
				return time.Now()
			}
			return *clock
		}))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	env := newEnv(t, kind, func(c *api.Config) {
		c.OIDC = rp
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	clock = env.now
	return &oidcEnv{testEnv: env, op: op, log: logs}
}

func (e *oidcEnv) exchange(t *testing.T, idToken, nonce string) response {
	t.Helper()
	body := map[string]string{"id_token": idToken}
	if nonce != "" {
		body["nonce"] = nonce
	}
	return do(t, e.app, req("POST", "/v1/auth/oidc/token", "", body))
}

func (e *oidcEnv) signIn(t *testing.T, subject string) tokens {
	t.Helper()
	r := e.exchange(t, e.op.IDToken(subject, "camaug-app", ""), "")
	wantStatus(t, r, http.StatusOK)
	var out tokens
	r.json(t, &out)
	return out
}

func me(t *testing.T, env *testEnv, access string) user {
	t.Helper()
	r := do(t, env.app, req("GET", "/v1/me", access, nil))
	wantStatus(t, r, http.StatusOK)
	var u user
	r.json(t, &u)
	return u
}

type identitiesResp struct {
	Items []struct {
		ID      string `json:"id"`
		Issuer  string `json:"issuer"`
		Subject string `json:"subject"`
	} `json:"items"`
	HasPassword bool `json:"has_password"`
	History     []struct {
		Kind string `json:"kind"`
	} `json:"history"`
}

func myLinks(t *testing.T, env *testEnv, access string) identitiesResp {
	t.Helper()
	r := do(t, env.app, req("GET", "/v1/me/identities", access, nil))
	wantStatus(t, r, http.StatusOK)
	var out identitiesResp
	r.json(t, &out)
	return out
}

func historyKinds(ids identitiesResp) string {
	var k []string
	for _, h := range ids.History {
		k = append(k, h.Kind)
	}
	return strings.Join(k, ",")
}

func TestOIDCExchange(t *testing.T) {
	for _, kind := range []string{"sqlite", "mongo"} {
		t.Run(kind, func(t *testing.T) { testOIDCExchange(t, newOIDCEnv(t, kind)) })
	}
}

func testOIDCExchange(t *testing.T, e *oidcEnv) {

	t.Run("NewSubjectGetsAnAccount", func(t *testing.T) {
		raw := e.op.IDToken("an", "camaug-app", "n-1")
		r := e.exchange(t, raw, "n-1")
		wantStatus(t, r, http.StatusOK)
		var tok tokens
		r.json(t, &tok)
		if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.ExpiresIn != 900 {
			t.Fatalf("got %+v, want the login's token shape", tok)
		}
		u := me(t, e.testEnv, tok.AccessToken)
		if u.Role != "citizen" || u.Phone != "+84933000333" || u.Name != "Lê Văn An" {
			t.Fatalf("got %+v", u)
		}
		links := myLinks(t, e.testEnv, tok.AccessToken)
		if len(links.Items) != 1 || links.Items[0].Issuer != e.op.Issuer || links.Items[0].Subject != "an" || links.HasPassword ||
			historyKinds(links) != identity.EventCreated {
			t.Fatalf("identities: got %+v", links)
		}
		// The same token again is a replay.
		p := wantProblem(t, e.exchange(t, raw, "n-1"), http.StatusUnauthorized)
		if p.Type != api.ProblemTypePrefix+"oidc-token-replayed" {
			t.Fatalf("replay: got type %q", p.Type)
		}
		// A fresh token of the same subject signs in to the same account.
		again := e.signIn(t, "an")
		if got := me(t, e.testEnv, again.AccessToken); got.ID != u.ID {
			t.Fatalf("second sign-in: account %s, want %s", got.ID, u.ID)
		}
		// Refresh works on tokens from the exchange like on any.
		wantStatus(t, do(t, e.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": again.RefreshToken})), http.StatusOK)
	})

	t.Run("VerifiedPhoneTakesOverAPreRegisteredAccount", func(t *testing.T) {
		// Someone registered Lan's number before her, with a password of theirs.
		r := do(t, e.app, req("POST", "/v1/auth/register", "", map[string]string{"phone": "0912 000 111", "email": "ke-gian@example.vn",
			"password": "mat-khau-ke-gian", "name": "Kẻ Chiếm Chỗ"}))
		wantStatus(t, r, http.StatusCreated)
		var squat registered
		r.json(t, &squat)
		lan := e.signIn(t, "lan")
		if got := me(t, e.testEnv, lan.AccessToken); got.ID != squat.User.ID || got.Name != "Nguyễn Thị Lan" || got.Email != "" {
			t.Fatalf("Lan's sign-in: got %+v, want the account with her phone, %s, with her name and without the creator's email", got, squat.User.ID)
		}
		// The squatter is out at once: access token, refresh token, password.
		wantProblem(t, do(t, e.app, req("GET", "/v1/me", squat.AccessToken, nil)), http.StatusUnauthorized)
		wantProblem(t, do(t, e.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": squat.RefreshToken})), http.StatusUnauthorized)
		for _, login := range []string{lanPhone, "ke-gian@example.vn"} {
			wantProblem(t, do(t, e.app, req("POST", "/v1/auth/login", "", map[string]string{"login": login, "password": "mat-khau-ke-gian"})), http.StatusUnauthorized)
		}
		links := myLinks(t, e.testEnv, lan.AccessToken)
		if links.HasPassword || historyKinds(links) != identity.EventTakeover {
			t.Fatalf("identities after take-over: got %+v", links)
		}
		if !strings.Contains(e.log.String(), "take-over") {
			t.Errorf("no log line for the take-over: %s", e.log.String())
		}
		// Lan sets a password of her own (she has no current one).
		wantStatus(t, do(t, e.app, req("POST", "/v1/me/password", lan.AccessToken, map[string]string{"new_password": "cua-lan-2026-moi"})), http.StatusNoContent)
		loginAs(t, e.testEnv, lanPhone, "cua-lan-2026-moi")
		// A later exchange of hers is a plain sign-in: no second take-over.
		again := e.signIn(t, "lan")
		loginAs(t, e.testEnv, lanPhone, "cua-lan-2026-moi")
		if got := historyKinds(myLinks(t, e.testEnv, again.AccessToken)); got != identity.EventTakeover {
			t.Fatalf("history after a plain sign-in: %s", got)
		}
	})

	t.Run("UnverifiedPhoneNeverLinks", func(t *testing.T) {
		owner := registerCitizen(t, e.testEnv, "0987 000 222", "cua-chu-that-2026")
		binh := e.signIn(t, "binh")
		got := me(t, e.testEnv, binh.AccessToken)
		if got.ID == owner.User.ID || got.Phone != "" {
			t.Fatalf("an unverified phone claim gave account %+v (owner %s)", got, owner.User.ID)
		}
		// The owner is untouched.
		me(t, e.testEnv, owner.AccessToken)
		loginAs(t, e.testEnv, binhPhone, "cua-chu-that-2026")
		if links := myLinks(t, e.testEnv, owner.AccessToken); len(links.Items) != 0 || len(links.History) != 0 {
			t.Fatalf("the owner's identities: %+v", links)
		}
	})

	t.Run("Unlink", func(t *testing.T) {
		an := e.signIn(t, "an")
		links := myLinks(t, e.testEnv, an.AccessToken)
		id := links.Items[0].ID
		p := wantProblem(t, do(t, e.app, req("DELETE", "/v1/me/identities/"+id, an.AccessToken, nil)), http.StatusConflict)
		if p.Type != api.ProblemTypePrefix+"last-sign-in-method" {
			t.Fatalf("unlinking the only way in: type %q", p.Type)
		}
		// Someone else cannot unlink it.
		other := registerCitizen(t, e.testEnv, "0977 123 456", "nguoi-khac-2026")
		wantProblem(t, do(t, e.app, req("DELETE", "/v1/me/identities/"+id, other.AccessToken, nil)), http.StatusNotFound)
		wantStatus(t, do(t, e.app, req("POST", "/v1/me/password", an.AccessToken, map[string]string{"new_password": "cua-an-2026-moi"})), http.StatusNoContent)
		wantStatus(t, do(t, e.app, req("DELETE", "/v1/me/identities/"+id, an.AccessToken, nil)), http.StatusNoContent)
		after := myLinks(t, e.testEnv, an.AccessToken)
		if len(after.Items) != 0 || !after.HasPassword || !strings.HasPrefix(historyKinds(after), identity.EventUnlinked) {
			t.Fatalf("after unlinking: %+v", after)
		}
		// Signing in again links again, by the phone the provider had
		// verified; no take-over this time, the password stays.
		back := e.signIn(t, "an")
		if got := me(t, e.testEnv, back.AccessToken); got.Phone != "+84933000333" {
			t.Fatalf("after relinking: %+v", got)
		}
		if got := historyKinds(myLinks(t, e.testEnv, back.AccessToken)); !strings.HasPrefix(got, identity.EventLinked+",") {
			t.Fatalf("history after relinking: %s", got)
		}
		loginAs(t, e.testEnv, "+84933000333", "cua-an-2026-moi")
	})
}

func TestOIDCStaffPhoneIsNotLinked(t *testing.T) {
	e := newOIDCEnv(t, "sqlite")
	if _, err := e.ids.AddStaff(context.Background(), identity.StaffInput{Role: identity.RoleAdmin, Email: "admin@camau.gov.vn",
		Phone: lanPhone, Name: "Quản trị", Password: "mat-khau-quan-tri"}); err != nil {
		t.Fatal(err)
	}
	p := wantProblem(t, e.exchange(t, e.op.IDToken("lan", "camaug-app", ""), ""), http.StatusConflict)
	if p.Type != api.ProblemTypePrefix+"oidc-link-refused" {
		t.Fatalf("got type %q", p.Type)
	}
	loginAs(t, e.testEnv, "admin@camau.gov.vn", "mat-khau-quan-tri")
}

// TestOIDCRefusedTokens: every bad token is a 401 problem and a log line
// naming the reason, never the token.
func TestOIDCRefusedTokens(t *testing.T) {
	e := newOIDCEnv(t, "sqlite")
	good := e.op.IDToken("lan", "camaug-app", "")
	claims := oidctest.Claims(good)
	foreignKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	cases := []struct {
		name, token, nonce, reason string
	}{
		{"WrongAudience", e.op.IDToken("lan", "other-app", ""), "", "audience"},
		{"ForeignAuthorizedParty", e.op.IDToken("lan", "other-multi", ""), "", "azp"},
		{"NonceMismatch", e.op.IDToken("lan", "camaug-app", "from-the-app"), "another", "nonce"},
		{"WronglySigned", signJWT(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: foreignKey, KeyID: e.op.KeyID()}}, claims), "", "signature"},
		{"AlgNone", b64url(`{"alg":"none","typ":"JWT"}`) + "." + b64url(mustJSON(claims)) + ".", "", "signature"},
		{"HS256", signJWT(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("console-secret-console-secret-32")}, claims), "", "signature"},
		{"Garbage", "bm90.YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo.dG9rZW4", "", "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.log.String())
			p := wantProblem(t, e.exchange(t, c.token, c.nonce), http.StatusUnauthorized)
			if p.Type != api.ProblemTypePrefix+"oidc-token-invalid" {
				t.Fatalf("got type %q", p.Type)
			}
			logged := e.log.String()[before:]
			if !strings.Contains(logged, "oidc token refused") || !strings.Contains(logged, "reason="+c.reason) {
				t.Fatalf("log %q, want a refusal with reason=%s", logged, c.reason)
			}
			if strings.Contains(logged, c.token) || strings.Contains(logged, strings.Split(c.token, ".")[1]) {
				t.Fatalf("the log holds the token: %q", logged)
			}
		})
	}
	t.Run("Expired", func(t *testing.T) {
		raw := e.op.IDToken("lan", "camaug-app", "")
		*e.now = e.now.Add(2 * time.Hour)
		defer func() { *e.now = e.now.Add(-2 * time.Hour) }()
		p := wantProblem(t, e.exchange(t, raw, ""), http.StatusUnauthorized)
		if p.Type != api.ProblemTypePrefix+"oidc-token-invalid" || !strings.Contains(e.log.String(), "reason=expired") {
			t.Fatalf("got %q; log %s", p.Type, e.log.String())
		}
	})
	t.Run("ReplayByJTI", func(t *testing.T) {
		raw := e.op.IDToken("binh", "camaug-app-jti", "")
		if oidctest.Claims(raw)["jti"] == nil {
			t.Fatal("the provider set no jti")
		}
		wantStatus(t, e.exchange(t, raw, ""), http.StatusOK)
		p := wantProblem(t, e.exchange(t, raw, ""), http.StatusUnauthorized)
		if p.Type != api.ProblemTypePrefix+"oidc-token-replayed" || !strings.Contains(e.log.String(), "reason=replayed") {
			t.Fatalf("got %q", p.Type)
		}
	})
	t.Run("MissingToken", func(t *testing.T) {
		p := wantProblem(t, do(t, e.app, req("POST", "/v1/auth/oidc/token", "", map[string]string{})), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "id_token" {
			t.Fatalf("errors %+v", p.Errors)
		}
	})
	// The original good token was never exchanged and still works.
	wantStatus(t, e.exchange(t, good, ""), http.StatusOK)
}

func TestOIDCKeyRotation(t *testing.T) {
	e := newOIDCEnv(t, "sqlite")
	old := e.op.IDToken("lan", "camaug-app", "")
	e.signIn(t, "lan") // the service now holds the first key
	e.op.RotateKey()
	e.signIn(t, "lan") // a new kid: the keys are fetched again
	p := wantProblem(t, e.exchange(t, old, ""), http.StatusUnauthorized)
	if p.Type != api.ProblemTypePrefix+"oidc-token-invalid" {
		t.Fatalf("a token of the retired key: got %q", p.Type)
	}
}

func TestOIDCProviderDown(t *testing.T) {
	t.Run("BeforeDiscovery", func(t *testing.T) {
		e := newOIDCEnv(t, "sqlite")
		raw := e.op.IDToken("lan", "camaug-app", "")
		e.op.Stop()
		r := e.exchange(t, raw, "")
		p := wantProblem(t, r, http.StatusServiceUnavailable)
		if p.Type != api.ProblemTypePrefix+"oidc-provider-unavailable" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("got %q, Retry-After %q", p.Type, r.Header.Get("Retry-After"))
		}
		vi := do(t, e.app, req("POST", "/v1/auth/oidc/token", "", map[string]string{"id_token": raw}, "Accept-Language", "vi"))
		if p := wantProblem(t, vi, http.StatusServiceUnavailable); !strings.Contains(p.Detail, "tài khoản dùng chung") {
			t.Fatalf("Vietnamese detail %q", p.Detail)
		}
		// Our own accounts still sign in.
		registerCitizen(t, e.testEnv, "0911 222 333", "mat-khau-rieng-2026")
		loginAs(t, e.testEnv, "0911222333", "mat-khau-rieng-2026")
		// Back up: the same token goes through (a 503 does not spend it).
		e.op.Restart()
		wantStatus(t, e.exchange(t, raw, ""), http.StatusOK)
	})
	t.Run("AfterDiscovery", func(t *testing.T) {
		e := newOIDCEnv(t, "sqlite")
		session := e.signIn(t, "lan")
		e.op.RotateKey()
		fresh := e.op.IDToken("lan", "camaug-app", "")
		e.op.Stop()
		wantProblem(t, e.exchange(t, fresh, ""), http.StatusServiceUnavailable)
		// Existing sessions keep working.
		me(t, e.testEnv, session.AccessToken)
		wantStatus(t, do(t, e.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": session.RefreshToken})), http.StatusOK)
		if !strings.Contains(e.log.String(), "oidc provider unavailable") {
			t.Errorf("no log line: %s", e.log.String())
		}
	})
}

func TestOIDCDisabled(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := wantProblem(t, do(t, env.app, req("POST", "/v1/auth/oidc/token", "", map[string]string{"id_token": "a.b.c"})), http.StatusNotFound)
	if p.Type != api.ProblemTypePrefix+"oidc-disabled" {
		t.Fatalf("got %q", p.Type)
	}
}

func signJWT(t *testing.T, key jose.SigningKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(mustJSON(claims)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
