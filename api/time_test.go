package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"camaug/feedback"
)

// TestFarDeadlines: a new deadline must lie within five years, and a far
// one already stored (before that bound) never breaks the answers that
// show it.
func TestFarDeadlines(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		for _, a := range []string{"dispatch", "accept"} {
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken, map[string]string{"action": a})), http.StatusOK)
		}
		extend := func(due time.Time) response {
			return do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", water.AccessToken,
				map[string]any{"action": "request_extension", "note": "chờ vật tư", "due_at": due}))
		}
		for _, due := range []time.Time{time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC)} {
			p := wantProblem(t, extend(due), http.StatusUnprocessableEntity)
			if len(p.Errors) != 1 || p.Errors[0].Field != "due_at" {
				t.Fatalf("due_at %s: got %+v, want a 422 on due_at", due, p.Errors)
			}
		}
		wantStatus(t, extend(time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)), http.StatusOK)

		// A deadline in year 9999 stored before the bound existed.
		ctx := context.Background()
		r, err := env.store.Reports().GetReport(ctx, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		far := time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)
		next := *r
		next.Version++
		next.Deadlines.ResolutionDue, next.Extension = far, nil
		if err := env.store.Reports().Transition(ctx, &next, feedback.Event{ReportID: r.ID, Version: next.Version, Action: feedback.ActApproveExtension,
			FromStatus: r.Status, ToStatus: r.Status, ActorID: "01m92hgtjyjpvr7wz6benz9c9f", ActorRole: "coordinator", AgencyCode: r.AgencyCode,
			DueAt: &far, At: r.UpdatedAt}); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/v1/reports/" + rep.ID, "/v1/reports/" + rep.ID + "/history", "/v1/agency/reports", "/v1/reports", "/v1/reports.geojson"} {
			wantStatus(t, do(t, env.app, req("GET", target, coord.AccessToken, nil)), http.StatusOK)
		}
		wantStatus(t, do(t, env.app, req("GET", "/v1/me/reports", cit.AccessToken, nil)), http.StatusOK)
	})
}
