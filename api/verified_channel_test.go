package api_test

import (
	"context"
	"net/http"
	"testing"

	"camaug/internal/identity"
)

// An account whose provider-stated acr the admin marks verified answers in
// the verified channel: apart from app and invitation answers, never in
// the official figure; unmarking the acr sends the next answers back to
// app.
func TestVerifiedChannel(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		env.surveys.SetVerifier(env.ids.IsVerified)
		ctx := context.Background()
		at(env, "2026-03-10 09:00")
		adminTok := staff(t, env, identity.RoleAdmin, "quantri@camau.gov.vn", "").AccessToken
		analyst := staff(t, env, identity.RoleAnalyst, "phantich@camau.gov.vn", "").AccessToken
		r := do(t, env.app, req("POST", "/v1/surveys", adminTok, map[string]any{"template": "sipas-2017", "title": "Khảo sát SIPAS quý I/2026",
			"period": map[string]string{"from": "2026-03-01", "to": "2026-03-31"}}))
		wantStatus(t, r, http.StatusCreated)
		var sv struct{ ID string }
		r.json(t, &sv)
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", adminTok, nil)), http.StatusOK)
		var inv struct{ Tokens []string }
		r = do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", adminTok, map[string]any{"count": 1, "agency_code": "so-xay-dung", "area_code": "phuong-an-xuyen"}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &inv)

		// The admin marks one acr verified; three citizens: one whose
		// provider stated it, one with a lower level, one never signed in
		// through the provider.
		wantStatus(t, do(t, env.app, req("PUT", "/v1/admin/oidc/verified-acr-values", adminTok, map[string]any{"acr_values": []string{"urn:vn:vneid:loa:2"}})), http.StatusOK)
		verified := registerCitizen(t, env, "0912000001", "bao-cao-2026-a")
		lower := registerCitizen(t, env, "0912000002", "bao-cao-2026-b")
		plain := registerCitizen(t, env, "0912000003", "bao-cao-2026-c")
		if err := env.ids.RecordAssurance(ctx, verified.User.ID, "urn:vn:vneid:loa:2"); err != nil {
			t.Fatal(err)
		}
		if err := env.ids.RecordAssurance(ctx, lower.User.ID, "urn:vn:vneid:loa:1"); err != nil {
			t.Fatal(err)
		}
		answer := func(token string, body map[string]any) {
			t.Helper()
			body["answers"] = sipasAnswers(4, 4, 4, 4, false, nil)
			wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", token, body)), http.StatusCreated)
		}
		answer("", map[string]any{"token": inv.Tokens[0]})
		for _, c := range []registered{verified, lower, plain} {
			answer(c.AccessToken, map[string]any{})
		}

		byChannel := func(channel string) (int64, string, bool) {
			t.Helper()
			r := do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&from=2026-03&to=2026-03&channel="+channel, analyst, nil))
			wantStatus(t, r, http.StatusOK)
			var out struct {
				Respondents  int64  `json:"respondents"`
				Channel      string `json:"channel"`
				SelfSelected bool   `json:"self_selected"`
			}
			r.json(t, &out)
			return out.Respondents, out.Channel, out.SelfSelected
		}
		check := func(want map[string]int64) {
			t.Helper()
			for ch, n := range want {
				got, label, self := byChannel(ch)
				if got != n || label != ch || self != (ch != "invitation") {
					t.Fatalf("channel=%s: got n %d, channel %q, self_selected %v; want %d, %q, %v", ch, got, label, self, n, ch, ch != "invitation")
				}
			}
		}
		check(map[string]int64{"invitation": 1, "app": 2, "verified": 1, "all": 4})
		// A rebuild of the counters from the stored responses keeps them apart.
		if _, n, err := env.surveys.Reindex(t.Context()); err != nil || n != 4 {
			t.Fatalf("reindex: %d, %v; want 4", n, err)
		}
		check(map[string]int64{"invitation": 1, "app": 2, "verified": 1, "all": 4})

		// Unmarking the acr applies at once: a new verified-level answer
		// is an app answer.
		wantStatus(t, do(t, env.app, req("PUT", "/v1/admin/oidc/verified-acr-values", adminTok, map[string]any{"acr_values": []string{}})), http.StatusOK)
		late := registerCitizen(t, env, "0912000004", "bao-cao-2026-d")
		if err := env.ids.RecordAssurance(ctx, late.User.ID, "urn:vn:vneid:loa:2"); err != nil {
			t.Fatal(err)
		}
		answer(late.AccessToken, map[string]any{})
		check(map[string]int64{"invitation": 1, "app": 3, "verified": 1, "all": 5})
		p := wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&channel=verfied", analyst, nil)), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "channel" {
			t.Fatalf("a misspelt channel: errors %+v", p.Errors)
		}
	})
}

// The same with real tokens from the in-process provider: Lan's provider
// states acr loa3, which the admin marks verified; An's states none.
func TestVerifiedChannelFromProviderToken(t *testing.T) {
	for _, kind := range []string{"sqlite", "mongo"} {
		t.Run(kind, func(t *testing.T) {
			e := newOIDCEnv(t, kind)
			e.surveys.SetVerifier(e.ids.IsVerified)
			at(e.testEnv, "2026-03-10 09:00")
			adminTok := staff(t, e.testEnv, identity.RoleAdmin, "quantri@camau.gov.vn", "").AccessToken
			analyst := staff(t, e.testEnv, identity.RoleAnalyst, "phantich@camau.gov.vn", "").AccessToken
			wantStatus(t, do(t, e.app, req("PUT", "/v1/admin/oidc/verified-acr-values", adminTok, map[string]any{"acr_values": []string{"loa3"}})), http.StatusOK)
			r := do(t, e.app, req("POST", "/v1/surveys", adminTok, map[string]any{"template": "sipas-2017", "title": "Khảo sát SIPAS quý I/2026",
				"period": map[string]string{"from": "2026-03-01", "to": "2026-03-31"}}))
			wantStatus(t, r, http.StatusCreated)
			var sv struct{ ID string }
			r.json(t, &sv)
			wantStatus(t, do(t, e.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", adminTok, nil)), http.StatusOK)
			for _, who := range []string{"lan", "an"} {
				tok := e.signIn(t, who)
				wantStatus(t, do(t, e.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", tok.AccessToken,
					map[string]any{"answers": sipasAnswers(4, 4, 4, 4, false, nil)})), http.StatusCreated)
			}
			for ch, want := range map[string]int64{"verified": 1, "app": 1, "invitation": 0, "all": 2} {
				r := do(t, e.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&from=2026-03&to=2026-03&channel="+ch, analyst, nil))
				wantStatus(t, r, http.StatusOK)
				var out struct {
					Respondents int64 `json:"respondents"`
				}
				r.json(t, &out)
				if out.Respondents != want {
					t.Fatalf("channel=%s: got %d respondents, want %d", ch, out.Respondents, want)
				}
			}
		})
	}
}
