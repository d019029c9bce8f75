package api_test

import (
	"bytes"
	"net/http"
	"testing"
)

// TestReporterNeverNamed walks every route that shows a report, its history
// or an actor, as every kind of viewer, through a whole life including the
// reporter's own actions (reopen), and checks that no response names the
// reporter of an anonymous report.
func TestReporterNeverNamed(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		citID := mustMe(t, env, cit.AccessToken)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "")
		coordID := mustMe(t, env, coord.AccessToken)
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		if !rep.Anonymous {
			t.Fatal("a report is anonymous by default")
		}
		move := func(token, action, note string) {
			t.Helper()
			body := map[string]string{"action": action}
			if note != "" {
				body["note"] = note
			}
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, body)), http.StatusOK)
		}
		move(coord.AccessToken, "dispatch", "")
		move(water.AccessToken, "accept", "")
		move(water.AccessToken, "resolve", "Đã nạo vét cống.")
		move(cit.AccessToken, "reopen", "vẫn còn ngập sau mưa")

		routes := []string{
			"/v1/reports/" + rep.ID,
			"/v1/reports/" + rep.ID + "/history",
			"/v1/reports",
			"/v1/reports.geojson",
			"/v1/reports/nearby?lat=9.1769&lng=105.1524",
			"/v1/agency/reports",
			"/v1/admin/audit",
		}
		for _, viewer := range []struct {
			name, token string
		}{{"coordinator", coord.AccessToken}, {"officer", water.AccessToken}, {"admin", admin.AccessToken}, {"anonymous", ""}} {
			for _, route := range routes {
				r := do(t, env.app, req("GET", route, viewer.token, nil))
				if r.StatusCode >= 500 {
					t.Fatalf("%s GET %s: %d %s", viewer.name, route, r.StatusCode, r.body)
				}
				if bytes.Contains(r.body, []byte(citID)) {
					t.Errorf("%s GET %s names the reporter of an anonymous report: %s", viewer.name, route, r.body)
				}
			}
		}
		// Staff still see which staff account acted.
		r := do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", coord.AccessToken, nil))
		if !bytes.Contains(r.body, []byte(coordID)) {
			t.Fatalf("staff do not see the coordinator's account in the history: %s", r.body)
		}
		// The reporter sees no account at all.
		r = do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", cit.AccessToken, nil))
		if bytes.Contains(r.body, []byte("actor_id")) {
			t.Fatalf("the reporter sees account ids: %s", r.body)
		}
	})
}
