package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// handled is the part of a report the staff console checks after a step.
type handled struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Deadlines struct {
		ResolutionDue time.Time `json:"resolution_due"`
	} `json:"deadlines"`
}

// TestRefuseExtension: the agency asks for more time, the coordinator
// refuses with a reason; the deadline stands, the history says why, and
// the agency may ask again.
func TestRefuseExtension(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		move := func(token string, body map[string]any, want int) handled {
			t.Helper()
			r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, body, "Accept-Language", "en"))
			if r.StatusCode != want {
				t.Fatalf("%v: got %d, want %d; %s", body["action"], r.StatusCode, want, r.body)
			}
			var out handled
			if want == http.StatusOK {
				r.json(t, &out)
			}
			return out
		}
		move(coord.AccessToken, map[string]any{"action": "dispatch"}, http.StatusOK)
		accepted := move(water.AccessToken, map[string]any{"action": "accept"}, http.StatusOK)
		move(coord.AccessToken, map[string]any{"action": "refuse_extension", "note": "không có yêu cầu"}, http.StatusConflict)
		later := accepted.Deadlines.ResolutionDue.Add(72 * time.Hour)
		move(water.AccessToken, map[string]any{"action": "request_extension", "note": "chờ vật tư thay thế", "due_at": later}, http.StatusOK)
		move(water.AccessToken, map[string]any{"action": "refuse_extension", "note": "tự từ chối"}, http.StatusConflict)
		var pending struct {
			Extension *struct {
				DueAt  time.Time `json:"due_at"`
				Reason string    `json:"reason"`
			} `json:"extension"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, coord.AccessToken, nil)).json(t, &pending)
		if pending.Extension == nil || !pending.Extension.DueAt.Equal(later) || pending.Extension.Reason != "chờ vật tư thay thế" {
			t.Fatalf("staff see the pending request as %+v, want due %v and the reason", pending.Extension, later)
		}
		if r := do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)); strings.Contains(string(r.body), `"extension"`) {
			t.Fatalf("the reporter sees the agency's request: %s", r.body)
		}
		move(coord.AccessToken, map[string]any{"action": "refuse_extension"}, http.StatusUnprocessableEntity)
		got := move(coord.AccessToken, map[string]any{"action": "refuse_extension", "note": "Vật tư có sẵn tại kho, không gia hạn"}, http.StatusOK)
		if got.Status != "accepted" || !got.Deadlines.ResolutionDue.Equal(accepted.Deadlines.ResolutionDue) {
			t.Fatalf("after refusal: %s, resolution due %v; want accepted, %v", got.Status, got.Deadlines.ResolutionDue, accepted.Deadlines.ResolutionDue)
		}
		move(coord.AccessToken, map[string]any{"action": "approve_extension"}, http.StatusConflict) // nothing pending any more
		pending.Extension = nil
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, coord.AccessToken, nil)).json(t, &pending)
		if pending.Extension != nil {
			t.Fatalf("a refused request still shows: %+v", pending.Extension)
		}

		var hist struct {
			Items []struct {
				Action string `json:"action"`
				Note   string `json:"note"`
			} `json:"items"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", water.AccessToken, nil)).json(t, &hist)
		last := hist.Items[len(hist.Items)-1]
		if last.Action != "refuse_extension" || last.Note != "Vật tư có sẵn tại kho, không gia hạn" {
			t.Fatalf("last event %+v, want refuse_extension with the reason", last)
		}
		move(water.AccessToken, map[string]any{"action": "request_extension", "note": "chờ vật tư lần hai", "due_at": later}, http.StatusOK)
	})
}

// TestExpectedVersion: two staff open the same report; the one who acts
// second, from a form showing the older version, is told to reload
// rather than acting on a state they never saw. Likewise for re-routing.
func TestExpectedVersion(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		var rep struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		if rep.Version != 1 {
			t.Fatalf("a new report's version %d, want 1", rep.Version)
		}
		seen := rep.Version
		transition := func(body map[string]any, lang string) response {
			return do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken, body, "Accept-Language", lang))
		}
		reroute := func(body map[string]any, lang string) response {
			return do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/reroute", coord.AccessToken, body, "Accept-Language", lang))
		}
		// The first coordinator re-routes from the form they opened.
		r := reroute(map[string]any{"agency_code": "so-xay-dung", "note": "thuộc hạ tầng giao thông", "expected_version": seen}, "vi")
		wantStatus(t, r, http.StatusOK)
		r.json(t, &rep)
		if rep.Version != seen+1 {
			t.Fatalf("after re-routing: version %d, want %d", rep.Version, seen+1)
		}
		// The second one, from the same (now stale) form: refused, in either language.
		for lang, want := range map[string]string{"vi": "Phản ánh đã được người khác cập nhật; hãy tải lại trang",
			"en": "the report was changed by someone else since you opened it; reload it"} {
			p := wantProblem(t, transition(map[string]any{"action": "reject", "note": "không rõ nội dung", "expected_version": seen}, lang), http.StatusConflict)
			if p.Detail != want || len(p.Errors) != 1 || p.Errors[0].Field != "expected_version" {
				t.Fatalf("stale transition (%s): %+v, want detail %q and field expected_version", lang, p, want)
			}
			p = wantProblem(t, reroute(map[string]any{"agency_code": "cap-nuoc-ca-mau", "note": "trả lại cấp nước", "expected_version": seen}, lang), http.StatusConflict)
			if p.Detail != want || p.Errors[0].Field != "expected_version" {
				t.Fatalf("stale re-route (%s): %+v", lang, p)
			}
		}
		var now struct {
			Status  string `json:"status"`
			Agency  struct{ Code string }
			Version int64 `json:"version"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, coord.AccessToken, nil)).json(t, &now)
		if now.Status != "submitted" || now.Agency.Code != "so-xay-dung" || now.Version != seen+1 {
			t.Fatalf("stale forms changed the report: %+v", now)
		}
		// From the fresh version, or without one, the change goes through.
		wantStatus(t, transition(map[string]any{"action": "dispatch", "expected_version": now.Version}, "vi"), http.StatusOK)
		wantStatus(t, transition(map[string]any{"action": "reject", "note": "trùng phản ánh khác"}, "vi"), http.StatusOK)
		wantProblem(t, transition(map[string]any{"action": "reject", "note": "x", "expected_version": -1}, "vi"), http.StatusUnprocessableEntity)
	})
}

// TestQueueSearchAndCounts: the console finds a report by the tracking
// code a citizen reads over the phone, or by words; lists the pending
// extension requests; and shows how many reports each status tab holds.
func TestQueueSearchAndCounts(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		var flood, pipe reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &flood)
		body := validReport()
		body["title"], body["description"] = "Vỡ ống nước sạch", "Ống nước sạch bị vỡ ở hẻm 5, nước chảy tràn ra đường."
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body)).json(t, &pipe)
		act := func(token, id string, body map[string]any) {
			t.Helper()
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", token, body)), http.StatusOK)
		}
		act(coord.AccessToken, flood.ID, map[string]any{"action": "dispatch"})
		act(coord.AccessToken, pipe.ID, map[string]any{"action": "dispatch"})
		act(water.AccessToken, pipe.ID, map[string]any{"action": "accept"})
		act(water.AccessToken, pipe.ID, map[string]any{"action": "request_extension", "note": "chờ ống thay thế",
			"due_at": time.Date(2026, 4, 30, 17, 0, 0, 0, time.UTC)})

		queue := func(token, query string) []string {
			t.Helper()
			var page struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			r := do(t, env.app, req("GET", "/v1/agency/reports"+query, token, nil))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &page)
			ids := []string{}
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			return ids
		}
		for query, want := range map[string][]string{
			"?q=" + strings.ToLower(pipe.TrackingCode): {pipe.ID},
			"?q=" + flood.TrackingCode:                 {flood.ID},
			"?q=ngap%20PHAN":                           {flood.ID},
			"?q=%E1%BB%91ng":                           {pipe.ID}, // "ống"
			"?q=CM-2222-2222":                          {},
			"?extension_pending=true":                  {pipe.ID},
			"?extension_pending=true&q=ngap":           {},
		} {
			if got := queue(water.AccessToken, query); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("water %s: got %v, want %v", query, got, want)
			}
		}
		if got := queue(coord.AccessToken, "?q="+pipe.TrackingCode); len(got) != 1 || got[0] != pipe.ID {
			t.Errorf("coordinator by tracking code: %v", got)
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports?extension_pending=yes", water.AccessToken, nil)), http.StatusUnprocessableEntity)

		counts := func(token, query string) map[string]int {
			t.Helper()
			var out struct {
				Counts map[string]int `json:"counts"`
			}
			r := do(t, env.app, req("GET", "/v1/agency/reports/counts"+query, token, nil))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &out)
			return out.Counts
		}
		want := map[string]int{"submitted": 0, "dispatched": 1, "accepted": 1, "in_progress": 0, "resolved": 0, "closed": 0, "rejected": 0}
		sameCounts(t, "water", counts(water.AccessToken, ""), want)
		sameCounts(t, "coordinator, water", counts(coord.AccessToken, "?agency_code=cap-nuoc-ca-mau"), want)
		want["dispatched"] = 0
		sameCounts(t, "water, pending", counts(water.AccessToken, "?extension_pending=true"), want)
		sameCounts(t, "water, by words", counts(water.AccessToken, "?q=ong%20nuoc"), want)
		sameCounts(t, "water, by code", counts(water.AccessToken, "?q="+pipe.TrackingCode), want)
		want["accepted"] = 0
		sameCounts(t, "another agency", counts(coord.AccessToken, "?agency_code=so-y-te"), want)

		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports/counts?agency_code=so-y-te", water.AccessToken, nil)), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports/counts", cit.AccessToken, nil)), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports/counts", "", nil)), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports/counts?overdue=1", water.AccessToken, nil)), http.StatusUnprocessableEntity)
	})
}

func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v, want every status: %v", what, got, want)
	}
	for st, n := range want {
		if got[st] != n {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}
