package oidc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"camaug/internal/oidc"
	"camaug/internal/oidc/oidctest"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	t.Run("Off", func(t *testing.T) {
		c, err := oidc.ConfigFromEnv(env(nil))
		if err != nil || c.Enabled() {
			t.Fatalf("got %+v, %v; want off", c, err)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		c, err := oidc.ConfigFromEnv(env(map[string]string{
			"CAMAUG_OIDC_ISSUER":         "https://id.camau.gov.vn/realms/citizens",
			"CAMAUG_OIDC_CLIENT_ID":      "camaug",
			"CAMAUG_OIDC_CLIENT_SECRET":  "s3cret",
			"CAMAUG_OIDC_APP_CLIENT_IDS": "camaug-app, camaug-ios",
			"CAMAUG_OIDC_VERIFIED_ACR":   "vneid-2,loa3",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.Claims, oidc.DefaultClaimNames(); got != want {
			t.Errorf("claims: got %+v, want %+v", got, want)
		}
		if got := strings.Join(c.Audiences(), " "); got != "camaug camaug-app camaug-ios" {
			t.Errorf("audiences: got %q", got)
		}
		if got := strings.Join(c.Scopes, " "); got != "openid profile phone email" {
			t.Errorf("scopes: got %q", got)
		}
		if !c.IsVerifiedACR("loa3") || c.IsVerifiedACR("loa1") || c.IsVerifiedACR("") {
			t.Errorf("verified acr: got %v", c.VerifiedACR)
		}
	})
	t.Run("ClaimNames", func(t *testing.T) {
		c, err := oidc.ConfigFromEnv(env(map[string]string{
			"CAMAUG_OIDC_ISSUER": "https://id.example", "CAMAUG_OIDC_CLIENT_ID": "a", "CAMAUG_OIDC_CLIENT_SECRET": "b",
			"CAMAUG_OIDC_CLAIM_PHONE": "so_dien_thoai", "CAMAUG_OIDC_CLAIM_GROUPS": "roles",
		}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Claims.Phone != "so_dien_thoai" || c.Claims.Groups != "roles" || c.Claims.Name != "name" {
			t.Errorf("got %+v", c.Claims)
		}
	})
	for name, m := range map[string]map[string]string{
		"MissingSecret":   {"CAMAUG_OIDC_ISSUER": "https://id.example", "CAMAUG_OIDC_CLIENT_ID": "a"},
		"MissingIssuer":   {"CAMAUG_OIDC_CLIENT_ID": "a", "CAMAUG_OIDC_CLIENT_SECRET": "b"},
		"HTTPNotLoopback": {"CAMAUG_OIDC_ISSUER": "http://id.example", "CAMAUG_OIDC_CLIENT_ID": "a", "CAMAUG_OIDC_CLIENT_SECRET": "b"},
		"NotAURL":         {"CAMAUG_OIDC_ISSUER": "id.example", "CAMAUG_OIDC_CLIENT_ID": "a", "CAMAUG_OIDC_CLIENT_SECRET": "b"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := oidc.ConfigFromEnv(env(m)); err == nil {
				t.Fatal("got no error, want one")
			}
		})
	}
	for _, iss := range []string{"http://127.0.0.1:5556", "http://localhost:5556/dex", "http://[::1]:8080"} {
		t.Run("LoopbackHTTP "+iss, func(t *testing.T) {
			if _, err := oidc.ConfigFromEnv(env(map[string]string{"CAMAUG_OIDC_ISSUER": iss, "CAMAUG_OIDC_CLIENT_ID": "a", "CAMAUG_OIDC_CLIENT_SECRET": "b"})); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// fixture is a test provider with the service's client, an app client and
// a foreign client, plus a relying party configured for them.
type fixture struct {
	op  *oidctest.Provider
	rp  *oidc.Provider
	now atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{op: oidctest.Start(t)}
	f.now.Store(time.Now().UnixNano())
	f.op.AddClient(oidctest.Client{ID: "camaug", Secret: "console-secret", RedirectURIs: []string{"http://127.0.0.1:1/console/oidc/callback"}})
	f.op.AddClient(oidctest.Client{ID: "camaug-app"})
	f.op.AddClient(oidctest.Client{ID: "other-app"})
	f.op.AddClient(oidctest.Client{ID: "other-multi", ExtraAudiences: []string{"camaug-app"}})
	f.op.AddClient(oidctest.Client{ID: "camaug-jti", JTI: true})
	f.op.AddUser(oidctest.User{Subject: "u-lan", Phone: "+84912345678", PhoneVerified: true, Name: "Nguyễn Thị Lan",
		Email: "lan@example.vn", ACR: "loa3", Groups: []string{"ubnd-xa-tan-thanh", "officers"}})
	f.op.AddUser(oidctest.User{Subject: "u-binh", Phone: "+84987654321", Name: "Trần Văn Bình"})
	var err error
	f.rp, err = oidc.New(oidc.Config{
		Issuer: f.op.Issuer, ClientID: "camaug", ClientSecret: "console-secret",
		AppClientIDs: []string{"camaug-app", "camaug-jti"}, VerifiedACR: []string{"loa3"},
		RedirectURL: "http://127.0.0.1:1/console/oidc/callback",
		RetryAfter:  time.Nanosecond, HTTPTimeout: 2 * time.Second,
	}, oidc.WithClock(func() time.Time { return time.Unix(0, f.now.Load()) }))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func reason(err error) string {
	var te *oidc.TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return ""
}

func TestVerifyAppToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("Claims", func(t *testing.T) {
		raw := f.op.IDToken("u-lan", "camaug-app", "n-1")
		id, err := f.rp.VerifyAppToken(ctx, raw, "n-1")
		if err != nil {
			t.Fatal(err)
		}
		if id.Issuer != f.op.Issuer || id.Subject != "u-lan" || id.Phone != "+84912345678" || !id.PhoneVerified ||
			id.Name != "Nguyễn Thị Lan" || id.Email != "lan@example.vn" || id.ACR != "loa3" || !id.VerifiedACR ||
			strings.Join(id.Groups, ",") != "ubnd-xa-tan-thanh,officers" {
			t.Errorf("got %+v", id)
		}
		if !strings.HasPrefix(id.ReplayKey, "sha256:") || id.Expiry.IsZero() {
			t.Errorf("replay key %q, expiry %v", id.ReplayKey, id.Expiry)
		}
	})
	t.Run("UnverifiedPhone", func(t *testing.T) {
		id, err := f.rp.VerifyAppToken(ctx, f.op.IDToken("u-binh", "camaug-app", ""), "")
		if err != nil {
			t.Fatal(err)
		}
		if id.Phone != "+84987654321" || id.PhoneVerified || id.VerifiedACR {
			t.Errorf("got %+v", id)
		}
	})
	t.Run("ConsoleClientIsAnAudienceToo", func(t *testing.T) {
		if _, err := f.rp.VerifyAppToken(ctx, f.op.IDToken("u-lan", "camaug", ""), ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("JTI", func(t *testing.T) {
		a, err := f.rp.VerifyAppToken(ctx, f.op.IDToken("u-lan", "camaug-jti", ""), "")
		if err != nil {
			t.Fatal(err)
		}
		if a.TokenID == "" || !strings.HasPrefix(a.ReplayKey, "jti:") {
			t.Errorf("got jti %q, replay key %q", a.TokenID, a.ReplayKey)
		}
	})
	t.Run("WrongAudience", func(t *testing.T) {
		_, err := f.rp.VerifyAppToken(ctx, f.op.IDToken("u-lan", "other-app", ""), "")
		if got := reason(err); got != "audience" {
			t.Fatalf("got %v (%q), want audience", err, got)
		}
	})
	t.Run("ForeignAZPWithSeveralAudiences", func(t *testing.T) {
		raw := f.op.IDToken("u-lan", "other-multi", "")
		if aud := oidctest.Claims(raw)["aud"]; len(aud.([]any)) != 2 {
			t.Fatalf("the provider issued aud %v, want two audiences", aud)
		}
		_, err := f.rp.VerifyAppToken(ctx, raw, "")
		if got := reason(err); got != "azp" {
			t.Fatalf("got %v (%q), want azp", err, got)
		}
	})
	t.Run("NonceMismatch", func(t *testing.T) {
		_, err := f.rp.VerifyAppToken(ctx, f.op.IDToken("u-lan", "camaug-app", "n-1"), "n-2")
		if got := reason(err); got != "nonce" {
			t.Fatalf("got %v, want nonce", err)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		raw := f.op.IDToken("u-lan", "camaug-app", "")
		f.now.Add(int64(2 * time.Hour))
		defer f.now.Add(-int64(2 * time.Hour))
		_, err := f.rp.VerifyAppToken(ctx, raw, "")
		if got := reason(err); got != "expired" {
			t.Fatalf("got %v, want expired", err)
		}
	})
	t.Run("WronglySigned", func(t *testing.T) {
		good := oidctest.Claims(f.op.IDToken("u-lan", "camaug-app", ""))
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		raw := sign(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: f.op.KeyID()}}, good)
		_, err := f.rp.VerifyAppToken(ctx, raw, "")
		if got := reason(err); got != "signature" {
			t.Fatalf("got %v, want signature", err)
		}
	})
	t.Run("AlgNone", func(t *testing.T) {
		good := oidctest.Claims(f.op.IDToken("u-lan", "camaug-app", ""))
		raw := unsigned(t, good)
		_, err := f.rp.VerifyAppToken(ctx, raw, "")
		if !errors.Is(err, oidc.ErrInvalidToken) {
			t.Fatalf("got %v, want an invalid token", err)
		}
	})
	t.Run("HS256WithClientSecret", func(t *testing.T) {
		good := oidctest.Claims(f.op.IDToken("u-lan", "camaug", ""))
		raw := sign(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("console-secret-console-secret-32")}, good)
		_, err := f.rp.VerifyAppToken(ctx, raw, "")
		if got := reason(err); got != "signature" {
			t.Fatalf("got %v, want signature", err)
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		for _, raw := range []string{"", "abc", "a.b.c", strings.Repeat("a", 20000) + ".b.c"} {
			if _, err := f.rp.VerifyAppToken(ctx, raw, ""); !errors.Is(err, oidc.ErrInvalidToken) {
				t.Errorf("%.10q: got %v, want an invalid token", raw, err)
			}
		}
	})
}

func sign(t *testing.T, key jose.SigningKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned returns an "alg: none" token: header.payload. with no signature.
func unsigned(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(claims)
	return b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(b)) + "."
}

// rotated returns a fixture whose provider rotated its key after the
// service verified a token of the first key, with a token of each key.
func rotated(t *testing.T) (f *fixture, before, after string) {
	t.Helper()
	f = newFixture(t)
	before = f.op.IDToken("u-lan", "camaug-app", "")
	if _, err := f.rp.VerifyAppToken(context.Background(), before, ""); err != nil {
		t.Fatal(err)
	}
	f.op.RotateKey()
	return f, before, f.op.IDToken("u-lan", "camaug-app", "")
}

func TestKeyRotation(t *testing.T) {
	f, before, after := rotated(t)
	ctx := context.Background()
	if _, err := f.rp.VerifyAppToken(ctx, after, ""); err != nil {
		t.Fatalf("token signed with the new key: %v", err)
	}
	// At once: the fetch that brought the new key replaced the cached set
	// before the call above returned.
	if _, err := f.rp.VerifyAppToken(ctx, before, ""); reason(err) != "signature" {
		t.Fatalf("token signed with the retired key: got %v, want signature", err)
	}
}

// Many sign-ins right after a rotation: each gets through with the new key,
// and the retired key is refused to each as soon as its own call returned.
func TestKeyRotationConcurrent(t *testing.T) {
	f, before, after := rotated(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.rp.VerifyAppToken(ctx, after, ""); err != nil {
				errs <- fmt.Errorf("new key: %w", err)
				return
			}
			if _, err := f.rp.VerifyAppToken(ctx, before, ""); reason(err) != "signature" {
				errs <- fmt.Errorf("retired key: got %v, want signature", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestProviderDown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.op.Stop()
	if err := f.rp.Discover(ctx); !errors.Is(err, oidc.ErrUnavailable) {
		t.Fatalf("discovery while down: got %v, want ErrUnavailable", err)
	}
	f.op.Restart()
	raw := f.op.IDToken("u-lan", "camaug-app", "")
	if _, err := f.rp.VerifyAppToken(ctx, raw, ""); err != nil {
		t.Fatalf("after the provider came back: %v", err)
	}
	// Down after discovery: a token signed by a key we already hold still
	// verifies (existing keys are cached)...
	f.op.Stop()
	if _, err := f.rp.VerifyAppToken(ctx, raw, ""); err != nil {
		t.Fatalf("cached key while down: %v", err)
	}
	// ...but a token signed by a key we have not seen cannot be checked: the
	// keys cannot be fetched, which is unavailability, not a bad token.
	f.op.Restart()
	f.op.RotateKey()
	fresh := f.op.IDToken("u-lan", "camaug-app", "")
	f.op.Stop()
	if _, err := f.rp.VerifyAppToken(ctx, fresh, ""); !errors.Is(err, oidc.ErrUnavailable) {
		t.Fatalf("unknown key while down: got %v, want ErrUnavailable", err)
	}
}

func TestDisabled(t *testing.T) {
	p, err := oidc.New(oidc.Config{})
	if err != nil || p != nil {
		t.Fatalf("got %v, %v; want nil, nil", p, err)
	}
	if _, err := p.VerifyAppToken(context.Background(), "a.b.c", ""); !errors.Is(err, oidc.ErrDisabled) {
		t.Fatalf("got %v, want ErrDisabled", err)
	}
}

// TestCodeFlow drives the console's code flow as a browser would, with an
// http.Client following the provider's redirects and its login form.
func TestCodeFlow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fs := oidc.NewFlowState()
	authURL, err := f.rp.AuthCodeURL(ctx, "", fs)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != fs.Nonce || q.Get("state") != fs.State {
		t.Fatalf("auth URL lacks PKCE/nonce/state: %s", authURL)
	}
	jar, _ := cookiejar.New(nil)
	var callback *url.URL
	hc := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.Contains(r.URL.Path, "/console/oidc/callback") {
			callback = r.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("landed on %s, want the provider's login page", resp.Request.URL)
	}
	resp, err = hc.PostForm(f.op.Issuer+"/login", url.Values{
		"authRequestID": {resp.Request.URL.Query().Get("authRequestID")}, "username": {"u-lan"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if callback == nil || callback.Query().Get("state") != fs.State {
		t.Fatalf("callback %v, want one with our state", callback)
	}
	id, err := f.rp.ExchangeCode(ctx, "", callback.Query().Get("code"), fs)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "u-lan" || id.Nonce != fs.Nonce || strings.Join(id.Groups, ",") != "ubnd-xa-tan-thanh,officers" {
		t.Errorf("got %+v", id)
	}
	// The code is single-use, and a wrong verifier is refused.
	if _, err := f.rp.ExchangeCode(ctx, "", callback.Query().Get("code"), fs); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Errorf("second redemption: got %v, want an invalid token", err)
	}
	end := f.rp.EndSessionURL(ctx, id.RawIDToken, "http://127.0.0.1:1/console/")
	if !strings.HasPrefix(end, f.op.Issuer+"/end_session?") || !strings.Contains(end, "id_token_hint=") {
		t.Errorf("end-session URL %q", end)
	}
	// A console token with another nonce is refused.
	if _, err := f.rp.VerifyConsoleToken(ctx, id.RawIDToken, "other"); reason(err) != "nonce" {
		t.Errorf("console token with another nonce: got %v", err)
	}
	if _, err := f.rp.VerifyConsoleToken(ctx, id.RawIDToken, ""); reason(err) != "nonce" {
		t.Errorf("console token without a nonce: got %v", err)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// The provider's key set document is read up to 1 MiB: a larger one, or
// one that is not a key set, leaves sign-ins waiting (unavailable) and is
// not taken for a bad token; once the provider publishes a proper set the
// same token verifies.
func TestKeySetDocumentBounded(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	var jwks atomic.Value
	var fetched atomic.Int64
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	var hang atomic.Bool
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		if hang.Load() {
			<-r.Context().Done() // until the service gives up
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks.Load().([]byte))
	})
	rp, err := oidc.New(oidc.Config{Issuer: srv.URL, ClientID: "camaug", ClientSecret: "console-secret",
		AppClientIDs: []string{"camaug-app"}, RedirectURL: "http://127.0.0.1:1/console/oidc/callback",
		RetryAfter: time.Nanosecond, HTTPTimeout: 500 * time.Millisecond},
		oidc.WithHTTPClient(&http.Client{})) // no timeout of its own
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw := sign(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, map[string]any{
		"iss": srv.URL, "sub": "u-lan", "aud": "camaug-app", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	ctx := context.Background()
	// A provider that never answers for its keys: the fetch is given up
	// after HTTPTimeout, and the next sign-in fetches again.
	hang.Store(true)
	jwks.Store(good)
	start := time.Now()
	if _, err := rp.VerifyAppToken(ctx, raw, ""); !errors.Is(err, oidc.ErrUnavailable) || time.Since(start) > 5*time.Second {
		t.Fatalf("keys never answered: got %v after %v, want ErrUnavailable after about 0.5 s", err, time.Since(start))
	}
	hang.Store(false)
	huge := append(append([]byte(`{"keys":[`+string(good)+`,`), bytes.Repeat([]byte(" "), 1<<20)...), []byte(`]}`)...)
	for _, bad := range []struct {
		name string
		body []byte
	}{{"LargerThan1MiB", huge}, {"NotAKeySet", []byte("<html>maintenance</html>")}} {
		jwks.Store(bad.body)
		if _, err := rp.VerifyAppToken(ctx, raw, ""); !errors.Is(err, oidc.ErrUnavailable) {
			t.Fatalf("%s: got %v, want ErrUnavailable", bad.name, err)
		}
	}
	jwks.Store(good)
	if _, err := rp.VerifyAppToken(ctx, raw, ""); err != nil {
		t.Fatalf("a proper key set: %v", err)
	}
	if n := fetched.Load(); n != 4 {
		t.Fatalf("key set fetched %d times, want 4 (one per sign-in until it was usable)", n)
	}
	// Cached now: the next sign-in does not fetch.
	if _, err := rp.VerifyAppToken(ctx, raw, ""); err != nil || fetched.Load() != 4 {
		t.Fatalf("cached key: %v, %d fetches", err, fetched.Load())
	}
	// Forged tokens naming the key we hold are refused without calling the
	// provider, however many come.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := sign(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other, KeyID: "k1"}}, oidctest.Claims(raw))
	for i := 0; i < 20; i++ {
		if _, err := rp.VerifyAppToken(ctx, forged, ""); reason(err) != "signature" {
			t.Fatalf("forged token: got %v, want signature", err)
		}
	}
	if n := fetched.Load(); n != 4 {
		t.Fatalf("20 forged tokens made %d key set fetches, want none", n-4)
	}
	// Tokens naming keys nobody published, 20 at once: each is refused,
	// and together they make at most two fetches (one, and one a second
	// later for any that came after it), not 20.
	toks := make([]string, 20)
	for i := range toks {
		toks[i] = sign(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other, KeyID: fmt.Sprintf("nobody-%d", i)}}, oidctest.Claims(raw))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(toks))
	for i, tok := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := rp.VerifyAppToken(ctx, tok, ""); reason(err) != "signature" {
				errs <- fmt.Errorf("unknown key %d: got %v, want signature", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := fetched.Load() - 4; n < 1 || n > 2 {
		t.Fatalf("20 tokens of unknown keys made %d key set fetches, want 1 or 2", n)
	}
}
