package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestHandlingStory: a citizen reports, the coordinator dispatches, the
// wrong agency can neither see nor touch it, the right one accepts and
// transfers, the new one resolves; the history tells the story without
// naming staff accounts to the citizen.
func TestHandlingStory(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		health := staff(t, env, "officer", "canbo@soyte.camau.gov.vn", "so-y-te")
		build := staff(t, env, "officer", "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
		move := func(token, action string, extra map[string]string, want int) reportResp {
			t.Helper()
			body := map[string]string{"action": action}
			for k, v := range extra {
				body[k] = v
			}
			r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, body, "Accept-Language", "en"))
			if r.StatusCode != want {
				t.Fatalf("%s: got %d, want %d; %s", action, r.StatusCode, want, r.body)
			}
			var out reportResp
			if want == http.StatusOK {
				r.json(t, &out)
			}
			return out
		}
		// The agency cannot accept before dispatch: 409 listing what it may do.
		r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", water.AccessToken, map[string]string{"action": "accept"}, "Accept-Language", "en"))
		p := wantProblem(t, r, http.StatusConflict)
		if len(p.Errors) != 1 || p.Errors[0].Field != "action" || !strings.Contains(p.Errors[0].Message, "allowed") {
			t.Fatalf("409 without the allowed actions: %+v", p)
		}
		if got := move(coord.AccessToken, "dispatch", nil, 200); got.Status != "dispatched" {
			t.Fatalf("dispatch: %+v", got)
		}
		// The wrong agency: not visible, not touchable.
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, health.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", health.AccessToken, map[string]string{"action": "accept"})), http.StatusNotFound)
		move(water.AccessToken, "accept", nil, 200)
		move(water.AccessToken, "transfer", map[string]string{"to_agency_code": "so-xay-dung", "note": "hư hỏng mặt đường"}, 200)
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, water.AccessToken, nil)), http.StatusNotFound)
		move(build.AccessToken, "accept", nil, 200)
		move(build.AccessToken, "resolve", nil, 422) // an answer is required
		done := move(build.AccessToken, "resolve", map[string]string{"note": "Đã vá mặt đường và nạo vét cống."}, 200)
		if done.Status != "resolved" || done.Agency.Code != "so-xay-dung" {
			t.Fatalf("resolved: %+v", done)
		}
		var mine struct {
			Answer string `json:"answer"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &mine)
		if mine.Answer == "" {
			t.Fatal("the citizen does not see the answer")
		}

		// History: the whole story; staff account IDs only for staff.
		var hist struct {
			Items []struct {
				Action, FromStatus, ToStatus, ActorRole, ActorID string
			} `json:"items"`
		}
		hr := do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", cit.AccessToken, nil))
		hr.json(t, &hist)
		var acts []string
		for _, e := range hist.Items {
			acts = append(acts, e.Action)
		}
		if strings.Join(acts, ",") != "dispatch,accept,transfer,accept,resolve" {
			t.Fatalf("history %v", acts)
		}
		if bytes.Contains(hr.body, []byte("actor_id")) || bytes.Contains(hr.body, []byte("camau.gov.vn")) {
			t.Fatalf("the citizen sees staff accounts in the history: %s", hr.body)
		}
		sr := do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", coord.AccessToken, nil))
		if !bytes.Contains(sr.body, []byte("actor_id")) {
			t.Fatal("staff do not see who acted")
		}
		// The reporter reopens; a stranger cannot.
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", other.AccessToken, map[string]string{"action": "reopen", "note": "vẫn ngập"})), http.StatusNotFound)
		if got := move(cit.AccessToken, "reopen", map[string]string{"note": "vẫn còn ngập sau mưa"}, 200); got.Status != "in_progress" {
			t.Fatalf("reopen: %+v", got)
		}
	})
}
