package main

import (
	"net/http"
	"strings"
	"testing"

	"camaug/internal/oidc/oidctest"
)

// TestRun_OIDC starts the real program configured for an OpenID provider
// running in the test: the app's id_token is exchanged over the public
// listener, and the client secret never reaches the log.
func TestRun_OIDC(t *testing.T) {
	op := oidctest.Start(t)
	op.AddClient(oidctest.Client{ID: "camaug", Secret: "console-secret-of-the-province"})
	op.AddClient(oidctest.Client{ID: "camaug-app"})
	op.AddUser(oidctest.User{Subject: "lan", Phone: "+84912000111", PhoneVerified: true, Name: "Nguyễn Thị Lan"})
	logs := &logBuffer{}
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(),
		"CAMAUG_OIDC_ISSUER", op.Issuer, "CAMAUG_OIDC_CLIENT_ID", "camaug", "CAMAUG_OIDC_CLIENT_SECRET", "console-secret-of-the-province",
		"CAMAUG_OIDC_APP_CLIENT_IDS", "camaug-app"), logs)
	var tok tokenPair
	if code := postJSON(t, base+"/v1/auth/oidc/token", map[string]string{"id_token": op.IDToken("lan", "camaug-app", "")}, &tok); code != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("exchange: got %d, %+v", code, tok)
	}
	req, _ := http.NewRequest("GET", base+"/v1/me/identities", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("identities: got %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "OpenID Connect) is on") || strings.Contains(logs.String(), "console-secret-of-the-province") {
		t.Fatalf("log: %s", logs.String())
	}
}

func TestLoadConfig_OIDC(t *testing.T) {
	cfg, err := loadConfig(env())
	if err != nil || cfg.OIDC.Enabled() {
		t.Fatalf("no OIDC variables: got %+v, %v; want off", cfg.OIDC, err)
	}
	for name, e := range map[string]func(string) string{
		"IssuerAlone":        env("CAMAUG_OIDC_ISSUER", "https://id.camau.gov.vn"),
		"HTTPIssuerOffHost":  env("CAMAUG_OIDC_ISSUER", "http://id.camau.gov.vn", "CAMAUG_OIDC_CLIENT_ID", "a", "CAMAUG_OIDC_CLIENT_SECRET", "b"),
		"SecretWithoutOther": env("CAMAUG_OIDC_CLIENT_SECRET", "b"),
	} {
		if _, err := loadConfig(e); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	cfg, err = loadConfig(env("CAMAUG_OIDC_ISSUER", "https://id.camau.gov.vn", "CAMAUG_OIDC_CLIENT_ID", "camaug", "CAMAUG_OIDC_CLIENT_SECRET", "s",
		"CAMAUG_OIDC_VERIFIED_ACR", "loa3"))
	if err != nil || !cfg.OIDC.Enabled() || cfg.OIDC.Claims.PhoneVerified != "phone_number_verified" || !cfg.OIDC.IsVerifiedACR("loa3") {
		t.Fatalf("got %+v, %v", cfg.OIDC, err)
	}
}
