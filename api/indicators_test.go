package api_test

import (
	"net/http"
	"strings"
	"testing"
)

type rate struct {
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
}

type handlingStats struct {
	Key                 string           `json:"key"`
	Reports             int64            `json:"reports"`
	Suppressed          bool             `json:"suppressed"`
	ByStatus            map[string]int64 `json:"by_status"`
	DispatchOnTime      rate             `json:"dispatch_on_time"`
	ResponseOnTime      rate             `json:"response_on_time"`
	MedianHandlingHours rate             `json:"median_handling_hours"`
	MedianDispatchHours rate             `json:"median_dispatch_hours"`
	MedianResponseHours rate             `json:"median_response_hours"`
	MeanRating          rate             `json:"mean_rating"`
	Rating4Plus         rate             `json:"rating_4_plus"`
}

func wantRate(t *testing.T, name string, got rate, value float64, n int64) {
	t.Helper()
	if got.N != n || got.Value == nil || *got.Value < value-1e-9 || *got.Value > value+1e-9 {
		t.Fatalf("%s = %v (n %d), want %v (n %d)", name, got.Value, got.N, value, n)
	}
}

// TestHandlingFigures: the public figures count a known set of reports by
// hand: statuses, on-time dispatch and response, median handling time,
// ratings; a group of fewer than 5 reports shows its count only; and the
// answer carries nothing personal.
func TestHandlingFigures(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00") // a Tuesday
		registerCitizen(t, env, "0912345678", "bao-cao-2026")
		citizen := func() string { return loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken }
		coord := func() string { return loginAs(t, env, "dieuphoi@camau.gov.vn", "mat-khau-an-toan").AccessToken }
		water := func() string { return loginAs(t, env, "canbo@capnuoc.camau.gov.vn", "mat-khau-an-toan").AccessToken }
		staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		move := func(token, id, action, note string) {
			t.Helper()
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", token, map[string]string{"action": action, "note": note})), http.StatusOK)
		}

		// Six water reports and one of another category, at 09:00.
		tok := citizen()
		var a [6]string
		for i := range a {
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", tok, validReport())).json(t, &rep)
			a[i] = rep.ID
		}
		other := validReport()
		other["category_code"] = "ve-sinh-moi-truong"
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports", tok, other)), http.StatusCreated)

		at(env, "2026-03-03 09:30") // dispatched within 2 working hours: all on time
		c := coord()
		for _, id := range a {
			move(c, id, "dispatch", "")
		}
		at(env, "2026-03-03 10:00") // response due 15:30 (4 working hours from the 09:30 dispatch): on time
		w := water()
		for _, id := range a[:4] {
			move(w, id, "accept", "")
		}
		at(env, "2026-03-03 17:30") // late
		move(water(), a[4], "accept", "")
		at(env, "2026-03-03 18:00")
		move(water(), a[0], "resolve", "Đã nạo vét cống.") // 9 h after submission
		at(env, "2026-03-04 09:00")
		move(water(), a[1], "resolve", "Đã nạo vét cống.") // 24 h
		at(env, "2026-03-04 12:00")
		move(water(), a[2], "resolve", "Đã nạo vét cống.") // 27 h
		tok = citizen()
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+a[0]+"/rating", tok, map[string]any{"score": 5})), http.StatusOK)
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+a[1]+"/rating", tok, map[string]any{"score": 3})), http.StatusOK)

		r := do(t, env.app, req("GET", "/v1/indicators/feedback?from=2026-03-01&to=2026-03-31&group_by=category", "", nil))
		wantStatus(t, r, http.StatusOK)
		for _, secret := range []string{"912345678", "Nguyễn", "Phan Ngọc Hiển", "reporter"} {
			if strings.Contains(string(r.body), secret) {
				t.Fatalf("the public figures contain %q: %s", secret, r.body)
			}
		}
		var out struct {
			From, To, GroupBy string
			MinGroupSize      int             `json:"min_group_size"`
			Overall           handlingStats   `json:"overall"`
			Groups            []handlingStats `json:"groups"`
		}
		r.json(t, &out)
		o := out.Overall
		want := map[string]int64{"submitted": 1, "dispatched": 1, "accepted": 2, "in_progress": 0, "resolved": 1, "closed": 2, "rejected": 0}
		if o.Reports != 7 || o.Suppressed || len(o.ByStatus) != 7 {
			t.Fatalf("overall: %+v", o)
		}
		for k, v := range want {
			if o.ByStatus[k] != v {
				t.Fatalf("by_status[%s] = %d, want %d (%v)", k, o.ByStatus[k], v, o.ByStatus)
			}
		}
		wantRate(t, "dispatch_on_time", o.DispatchOnTime, 100, 6)
		wantRate(t, "response_on_time", o.ResponseOnTime, 80, 5)
		wantRate(t, "median_handling_hours", o.MedianHandlingHours, 24, 3)
		// Dispatched 30 min after submission; taken up 30 min after
		// dispatch (four) and 8 h after it (one).
		wantRate(t, "median_dispatch_hours", o.MedianDispatchHours, 0.5, 6)
		wantRate(t, "median_response_hours", o.MedianResponseHours, 0.5, 5)
		wantRate(t, "mean_rating", o.MeanRating, 4, 2)
		wantRate(t, "rating_4_plus", o.Rating4Plus, 50, 2)

		if len(out.Groups) != 2 || out.Groups[0].Key != "cap-thoat-nuoc" || out.Groups[1].Key != "ve-sinh-moi-truong" {
			t.Fatalf("groups: %+v", out.Groups)
		}
		if g := out.Groups[0]; g.Reports != 6 || g.Suppressed || g.ByStatus["submitted"] != 0 {
			t.Fatalf("water group: %+v", g)
		}
		if g := out.Groups[1]; g.Reports != 1 || !g.Suppressed || g.ByStatus != nil || g.DispatchOnTime.Value != nil {
			t.Fatalf("a group of 1 report is not suppressed: %+v", g)
		}

		// The span counts: nothing in February.
		do(t, env.app, req("GET", "/v1/indicators/feedback?from=2026-02-01&to=2026-02-28", "", nil)).json(t, &out)
		if out.Overall.Reports != 0 || !out.Overall.Suppressed {
			t.Fatalf("February: %+v", out.Overall)
		}
		for _, q := range []string{"group_by=reporter", "from=2026-13-01", "from=2026-03-10&to=2026-03-01", "from=2024-01-01&to=2026-03-01"} {
			wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/feedback?"+q, "", nil)), http.StatusUnprocessableEntity)
		}
	})
}
