package api_test

import (
	"net/http"
	"testing"

	"camaug/internal/identity"
)

// TestNoStore lists the responses that carry personal data or tokens: each
// must say Cache-Control: no-store, so no browser or proxy keeps a copy.
// Responses meant to be shared keep the lifetime their handler gives.
func TestNoStore(t *testing.T) {
	env := newEnv(t, "sqlite")
	tok := roleTokens(t, env, "cache-")
	citizen := loginAs(t, env, "cache-citizen@example.vn", "vai-tro-2026")
	officer := staff(t, env, identity.RoleOfficer, "cache-target@camau.gov.vn", "so-xay-dung")
	var target user
	do(t, env.app, req("GET", "/v1/me", officer.AccessToken, nil)).json(t, &target)
	var rep struct {
		ID string `json:"id"`
	}
	created := do(t, env.app, req("POST", "/v1/reports", tok["citizen"], validReport()))
	wantStatus(t, created, http.StatusCreated)
	created.json(t, &rep)

	cases := []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"register", req("POST", "/v1/auth/register", "", map[string]string{"email": "cache-new@example.vn", "password": "dang-ky-moi-1", "name": "Người mới"}), http.StatusCreated},
		{"guest", req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "cache-device-00000001"}), 0},
		{"login", req("POST", "/v1/auth/login", "", map[string]string{"login": "cache-citizen@example.vn", "password": "vai-tro-2026"}), http.StatusOK},
		{"refresh", req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": citizen.RefreshToken}), http.StatusOK},
		{"bad login", req("POST", "/v1/auth/login", "", map[string]string{"login": "cache-citizen@example.vn", "password": "sai-mat-khau-1"}), http.StatusUnauthorized},
		{"me", req("GET", "/v1/me", tok["citizen"], nil), http.StatusOK},
		{"patch me", req("PATCH", "/v1/me", tok["citizen"], map[string]string{"locale": "vi"}), http.StatusOK},
		{"my reports", req("GET", "/v1/me/reports", tok["citizen"], nil), http.StatusOK},
		{"report by its reporter", req("GET", "/v1/reports/"+rep.ID, tok["citizen"], nil), http.StatusOK},
		{"report by staff", req("GET", "/v1/reports/"+rep.ID, tok["coordinator"], nil), http.StatusOK},
		{"report history", req("GET", "/v1/reports/"+rep.ID+"/history", tok["citizen"], nil), http.StatusOK},
		{"agency queue", req("GET", "/v1/agency/reports", tok["officer"], nil), http.StatusOK},
		{"admin users", req("GET", "/v1/admin/users", tok["admin"], nil), http.StatusOK},
		{"admin creates a user", req("POST", "/v1/admin/users", tok["admin"], map[string]string{"role": "officer", "email": "cache-o@camau.gov.vn", "name": "Cán bộ", "password": "can-bo-moi-2026", "agency_code": "so-xay-dung"}), http.StatusCreated},
		{"admin resets a password", req("POST", "/v1/admin/users/"+target.ID+"/password", tok["admin"], nil), http.StatusOK},
		{"audit log", req("GET", "/v1/admin/audit", tok["admin"], nil), http.StatusOK},
		{"responses export", req("GET", "/v1/exports/responses.csv", tok["analyst"], nil), 0},
		{"sipas export", req("GET", "/v1/exports/sipas.csv", tok["analyst"], nil), 0},
		{"bad token", req("GET", "/v1/me", "not-a-token", nil), http.StatusUnauthorized},
	}
	for _, tc := range cases {
		r := send(t, env.app, tc.r)
		if tc.status != 0 && r.StatusCode != tc.status {
			t.Errorf("%s: got status %d, want %d; %s", tc.name, r.StatusCode, tc.status, r.body)
		}
		if r.StatusCode >= 500 {
			t.Errorf("%s: got status %d; %s", tc.name, r.StatusCode, r.body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s (%s %s): Cache-Control %q, want no-store", tc.name, tc.r.Method, tc.r.URL.Path, cc)
		}
	}

	// Shared answers keep their own lifetime.
	if cc := send(t, env.app, get("/.well-known/jwks.json")).Header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("JWKS: Cache-Control %q, want public, max-age=300", cc)
	}
	if cc := send(t, env.app, get("/v1/indicators/feedback")).Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("published figures: Cache-Control %q, want public, max-age=60", cc)
	}
}
