package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"camaug/internal/oidc/oidctest"
)

// The real program with the provider configured: the console offers the
// province account, and CAMAUG_OIDC_VERIFIED_ACR is the admin's starting
// list of verified acr values.
func TestRun_ConsoleOIDC(t *testing.T) {
	op := oidctest.Start(t)
	op.AddClient(oidctest.Client{ID: "camaug", Secret: "console-secret-of-the-province"})
	logs := &logBuffer{}
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(),
		"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", "mat-khau-quan-tri-2026",
		"CAMAUG_OIDC_ISSUER", op.Issuer, "CAMAUG_OIDC_CLIENT_ID", "camaug", "CAMAUG_OIDC_CLIENT_SECRET", "console-secret-of-the-province",
		"CAMAUG_OIDC_VERIFIED_ACR", "loa3, loa4"), logs)
	defer stop()
	res, err := http.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `id="oidc-signin"`) {
		t.Fatal("the console's sign-in page offers no province account")
	}
	var tok tokenPair
	if code := postJSON(t, base+"/v1/auth/login", map[string]string{"login": "admin@camau.gov.vn", "password": "mat-khau-quan-tri-2026"}, &tok); code != http.StatusOK {
		t.Fatalf("admin login: %d", code)
	}
	req, _ := http.NewRequest("GET", base+"/v1/admin/oidc/verified-acr-values", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		ACRValues []string `json:"acr_values"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.ACRValues) != 2 || out.ACRValues[0] != "loa3" || out.ACRValues[1] != "loa4" {
		t.Fatalf("seeded acr values: got %v, %v; want [loa3 loa4]", out.ACRValues, err)
	}
}
