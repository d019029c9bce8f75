package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// A phone registers its push token: idempotent per token, moved to the
// latest account that registers it, unregistered by ID or token by its
// owner only, and forgotten with the account.
func TestDevices(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		mai := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		lan := registerCitizen(t, env, "0987654321", "bao-cao-2026")
		const token = "fcm-dGhpcyBpcyBub3QgYSByZWFsIHRva2Vu-0001"
		type device struct {
			ID       string `json:"id"`
			Platform string `json:"platform"`
			Locale   string `json:"locale"`
		}
		devicesOf := func(userToken string) []string {
			t.Helper()
			id := mustMe(t, env, userToken)
			list, err := env.store.Devices().UserDevices(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, d := range list {
				out = append(out, d.Token)
			}
			return out
		}
		r := do(t, env.app, req("POST", "/v1/me/devices", mai.AccessToken, map[string]string{"platform": "android", "push_token": token}, "Accept-Language", "en"))
		wantStatus(t, r, http.StatusCreated)
		if strings.Contains(string(r.body), token) {
			t.Fatalf("the answer echoes the push token: %s", r.body)
		}
		var first, again device
		r.json(t, &first)
		if first.Platform != "android" || first.Locale != "en" {
			t.Fatalf("registered %+v, want android in English (Accept-Language)", first)
		}
		r = do(t, env.app, req("POST", "/v1/me/devices", mai.AccessToken, map[string]string{"platform": "ios", "push_token": token, "locale": "vi"}))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &again)
		if again.ID != first.ID || again.Platform != "ios" || again.Locale != "vi" {
			t.Fatalf("registered again: %+v, want the same ID %s, now iOS in Vietnamese", again, first.ID)
		}
		if got := devicesOf(mai.AccessToken); len(got) != 1 {
			t.Fatalf("Mai has %d devices, want 1", len(got))
		}

		// Bad input names each field; no token, 401.
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/me/devices", mai.AccessToken, map[string]string{"platform": "windows", "push_token": "short"})), http.StatusUnprocessableEntity)
		if !hasField(p, "platform") || !hasField(p, "push_token") {
			t.Fatalf("errors %+v, want platform and push_token", p.Errors)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/me/devices", mai.AccessToken, map[string]string{"platform": "ios", "push_token": token, "locale": "fr"})), http.StatusUnprocessableEntity)
		wantProblem(t, do(t, env.app, req("POST", "/v1/me/devices", mai.AccessToken, `{"platform":"ios","push_token":"`+token+`","extra":1}`)), http.StatusBadRequest)
		wantProblem(t, do(t, env.app, req("POST", "/v1/me/devices", "", map[string]string{"platform": "ios", "push_token": token})), http.StatusUnauthorized)

		// The phone passes to Lan: the token is hers now, not Mai's.
		wantStatus(t, do(t, env.app, req("POST", "/v1/me/devices", lan.AccessToken, map[string]string{"platform": "android", "push_token": token})), http.StatusCreated)
		if got := devicesOf(mai.AccessToken); len(got) != 0 {
			t.Fatalf("Mai still has %v", got)
		}
		// Mai cannot unregister it, by ID or token; Lan can, once.
		wantProblem(t, do(t, env.app, req("DELETE", "/v1/me/devices/"+first.ID, mai.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, do(t, env.app, req("DELETE", "/v1/me/devices/"+token, mai.AccessToken, nil)), http.StatusNotFound)
		wantStatus(t, do(t, env.app, req("DELETE", "/v1/me/devices/"+token, lan.AccessToken, nil)), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("DELETE", "/v1/me/devices/"+first.ID, lan.AccessToken, nil)), http.StatusNotFound)

		// An erased account's phones are forgotten.
		wantStatus(t, do(t, env.app, req("POST", "/v1/me/devices", lan.AccessToken, map[string]string{"platform": "android", "push_token": token})), http.StatusCreated)
		lanID := mustMe(t, env, lan.AccessToken)
		wantStatus(t, do(t, env.app, req("DELETE", "/v1/me", lan.AccessToken, nil)), http.StatusNoContent)
		if list, _ := env.store.Devices().UserDevices(ctx, lanID); len(list) != 0 {
			t.Fatalf("after erasing the account: %d devices left", len(list))
		}
	})
}
