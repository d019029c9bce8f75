package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"camaug/api"
	"camaug/feedback"
)

// TestSupportRules: a report awaiting review may be supported, once per
// account; a rejected or closed one may not; and an account may support
// only so many reports a window.
func TestSupportRules(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
			Surveys: env.surveys, Ready: env.store.Ping, Limits: api.Limits{SupportsPerAccount: 3}})
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		fan := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		submit := func() string {
			var rep reportResp
			do(t, app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
			return rep.ID
		}
		support := func(id string) response {
			return do(t, app, req("POST", "/v1/reports/"+id+"/support", fan.AccessToken, nil))
		}
		waiting := submit()
		wantStatus(t, support(waiting), http.StatusOK)
		rejected := submit()
		wantStatus(t, do(t, app, req("POST", "/v1/reports/"+rejected+"/transitions", coord.AccessToken,
			map[string]string{"action": "reject", "note": "Không thuộc thẩm quyền giải quyết"})), http.StatusOK)
		wantProblem(t, support(rejected), http.StatusConflict)
		// Third and last allowed in the window; the fourth is refused.
		wantStatus(t, support(submit()), http.StatusOK)
		r := support(submit())
		wantProblem(t, r, http.StatusTooManyRequests)
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 3600 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		// Another account is not affected.
		wantStatus(t, do(t, app, req("POST", "/v1/reports/"+waiting+"/support", cit.AccessToken, nil)), http.StatusOK)
	})
}
