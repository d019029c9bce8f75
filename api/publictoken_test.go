package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"camaug/api"
	"camaug/internal/identity"
)

// TestPublicRoutesIgnoreBadToken: an app whose access token just expired
// still loads the public feed, the reference data and the other public
// reads, answered as for an anonymous caller with X-Camaug-Token:
// ignored-invalid; routes that need the token keep answering 401.
func TestPublicRoutesIgnoreBadToken(t *testing.T) {
	env := newEnv(t, "sqlite")
	at(env, "2026-03-03 10:00")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	var rep reportResp
	created := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport()))
	wantStatus(t, created, http.StatusCreated)
	created.json(t, &rep)
	coord := staff(t, env, identity.RoleCoordinator, "dieuphoi@camau.gov.vn", "")
	wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
	*env.now = env.now.Add(time.Hour) // access tokens live 15 minutes
	expired := cit.AccessToken
	wantProblem(t, do(t, env.app, req("GET", "/v1/me", expired, nil)), http.StatusUnauthorized)

	noSuchID := "01JZZZZZZZZZZZZZZZZZZZZZZZ"
	o311 := url.Values{"api_key": {testOpen311Key}, "service_code": {"cap-thoat-nuoc"}, "lat": {"9.1769"}, "long": {"105.1524"},
		"description": {"Ngập nước sau mưa, xe máy chết máy."}}
	// One request per public route (the keys of api.PublicRoutes).
	public := map[string]func() *http.Request{
		"GET /healthz":               func() *http.Request { return get("/healthz") },
		"GET /readyz":                func() *http.Request { return get("/readyz") },
		"GET /openapi.yaml":          func() *http.Request { return get("/openapi.yaml") },
		"GET /docs":                  func() *http.Request { return get("/docs") },
		"GET /docs/:file":            func() *http.Request { return get("/docs/guide.md") },
		"GET /.well-known/jwks.json": func() *http.Request { return get("/.well-known/jwks.json") },
		"GET /v1/categories":         func() *http.Request { return get("/v1/categories") },
		"GET /v1/agencies":           func() *http.Request { return get("/v1/agencies") },
		"GET /v1/areas":              func() *http.Request { return get("/v1/areas") },
		"POST /v1/auth/login": func() *http.Request {
			return req("POST", "/v1/auth/login", "", map[string]string{"login": "0912345678", "password": "bao-cao-2026"})
		},
		"POST /v1/auth/refresh": func() *http.Request {
			return req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": "not-a-refresh-token"})
		},
		"POST /v1/auth/logout": func() *http.Request {
			return req("POST", "/v1/auth/logout", "", map[string]string{"refresh_token": "not-a-refresh-token"})
		},
		"GET /v1/reports":                                func() *http.Request { return get("/v1/reports") },
		"GET /v1/reports.geojson":                        func() *http.Request { return get("/v1/reports.geojson") },
		"GET /v1/reports/nearby":                         func() *http.Request { return get("/v1/reports/nearby?lat=9.1769&lng=105.1524") },
		"GET /v1/media/:id":                              func() *http.Request { return get("/v1/media/" + noSuchID) },
		"GET /v1/media/:id/thumb":                        func() *http.Request { return get("/v1/media/" + noSuchID + "/thumb") },
		"GET /v1/indicators/feedback":                    func() *http.Request { return get("/v1/indicators/feedback") },
		"GET /v1/surveys/:id/form":                       func() *http.Request { return get("/v1/surveys/" + noSuchID + "/form") },
		"GET /open311/v2/discovery.:format":              func() *http.Request { return get("/open311/v2/discovery.json") },
		"GET /open311/v2/services.:format":               func() *http.Request { return get("/open311/v2/services.json") },
		"GET /open311/v2/services/:service_code.:format": func() *http.Request { return get("/open311/v2/services/cap-thoat-nuoc.xml") },
		"GET /open311/v2/requests.:format":               func() *http.Request { return get("/open311/v2/requests.json") },
		"GET /open311/v2/requests/:id.:format":           func() *http.Request { return get("/open311/v2/requests/" + noSuchID + ".json") },
		"GET /open311/v2/tokens/:token.:format":          func() *http.Request { return get("/open311/v2/tokens/" + noSuchID + ".json") },
		"POST /open311/v2/requests.:format": func() *http.Request {
			r, _ := http.NewRequest("POST", "/open311/v2/requests.json", strings.NewReader(o311.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		},
	}
	for _, key := range api.PublicRoutes() {
		if public[key] == nil {
			t.Errorf("public route %s has no request in this test", key)
		}
	}
	for key, build := range public {
		t.Run(key, func(t *testing.T) {
			anon := do(t, env.app, build())
			for name, token := range map[string]string{"expired": expired, "not a JWT": "abc.def", "tampered": expired[:len(expired)-4] + "AAAA"} {
				r := build()
				r.Header.Set("Authorization", "Bearer "+token)
				got := do(t, env.app, r)
				if got.StatusCode != anon.StatusCode {
					t.Errorf("%s token: got status %d, want %d as without a token; body %s", name, got.StatusCode, anon.StatusCode, got.body)
				}
				if h := got.Header.Get(api.HeaderToken); h != api.TokenIgnoredInvalid {
					t.Errorf("%s token: %s is %q, want %q", name, api.HeaderToken, h, api.TokenIgnoredInvalid)
				}
				if anon.StatusCode != http.StatusUnauthorized && got.Header.Get("WWW-Authenticate") != "" {
					t.Errorf("%s token: a public answer carries WWW-Authenticate", name)
				}
			}
			if h := anon.Header.Get(api.HeaderToken); h != "" {
				t.Errorf("without a token: %s is %q, want none", api.HeaderToken, h)
			}
		})
	}

	t.Run("the public view", func(t *testing.T) {
		anon := do(t, env.app, get("/v1/reports"))
		got := do(t, env.app, req("GET", "/v1/reports", expired, nil))
		wantStatus(t, got, http.StatusOK)
		if string(got.body) != string(anon.body) || !strings.Contains(string(got.body), "Ngập nước") {
			t.Errorf("the feed with an expired token differs from the anonymous feed or lacks the report:\n%s\nwant\n%s", got.body, anon.body)
		}
		// A fresh token is still believed, and says nothing.
		fresh := loginAs(t, env, "0912345678", "bao-cao-2026")
		r := do(t, env.app, req("GET", "/v1/reports", fresh.AccessToken, nil))
		wantStatus(t, r, http.StatusOK)
		if h := r.Header.Get(api.HeaderToken); h != "" {
			t.Errorf("a valid token: %s is %q, want none", api.HeaderToken, h)
		}
	})

	t.Run("refresh with the expired token attached", func(t *testing.T) {
		r := do(t, env.app, req("POST", "/v1/auth/refresh", expired, map[string]string{"refresh_token": cit.RefreshToken}))
		wantStatus(t, r, http.StatusOK)
	})

	// Routes that act on the caller's account keep refusing a bad token.
	for _, r := range []*http.Request{
		req("GET", "/v1/me", expired, nil),
		req("GET", "/v1/me/reports", expired, nil),
		req("POST", "/v1/reports", expired, validReport()),
		req("GET", "/v1/reports/"+noSuchID, expired, nil),
		req("POST", "/v1/auth/register", expired, map[string]string{"phone": "0911111111", "password": "mat-khau-2026", "name": "Lê Văn An"}),
		req("POST", "/v1/auth/guest", expired, map[string]string{"device_id": "device-0123456789"}),
		req("POST", "/v1/surveys/"+noSuchID+"/responses", expired, map[string]any{"answers": map[string]any{}}),
	} {
		t.Run(r.Method+" "+r.URL.Path, func(t *testing.T) {
			got := do(t, env.app, r)
			wantProblem(t, got, http.StatusUnauthorized)
			if got.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if got.Header.Get(api.HeaderToken) != "" {
				t.Errorf("a refused request carries %s", api.HeaderToken)
			}
		})
	}
}
