package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

type statsRow struct {
	Period                string   `json:"period"`
	GroupKey              string   `json:"group_key"`
	Suppressed            bool     `json:"suppressed"`
	Received              int64    `json:"received"`
	Dispatched            int64    `json:"dispatched"`
	DispatchedOnTime      *int64   `json:"dispatched_on_time"`
	DispatchOverdue       *int64   `json:"dispatch_overdue"`
	Responded             int64    `json:"responded"`
	RespondedOnTime       *int64   `json:"responded_on_time"`
	ResponseOverdue       *int64   `json:"response_overdue"`
	Resolved              int64    `json:"resolved"`
	MedianDispatchHours   *float64 `json:"median_dispatch_hours"`
	MedianResponseHours   *float64 `json:"median_response_hours"`
	MedianResolutionHours *float64 `json:"median_resolution_hours"`
}

type statsPage struct {
	Items      []statsRow `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

type createdClient struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// newClient has the admin create an API client through the API.
func newClient(t *testing.T, env *testEnv, admin string, body map[string]any) createdClient {
	t.Helper()
	r := do(t, env.app, req("POST", "/v1/admin/clients", admin, body))
	wantStatus(t, r, http.StatusCreated)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the key's answer has Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
	}
	var out createdClient
	r.json(t, &out)
	if !strings.HasPrefix(out.Key, "cmg_"+out.ID+"_") {
		t.Fatalf("key %q does not start with cmg_<id>_", out.Key)
	}
	return out
}

func withKey(method, target, key string) *http.Request {
	return req(method, target, "", nil, "X-Api-Key", key)
}

// sameFloat compares a feed median with an indicator's value.
func sameFloat(t *testing.T, what string, got, want *float64) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && *got != *want) {
		t.Fatalf("%s: got %v, want %v", what, deref(got), deref(want))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestStatsReports: a client with stats:read reads the statistics, whose
// figures equal the public indicators' (and the console's, which calls the
// same ReportService.HandlingFigures) for the same days; the day rows add
// up to the month; CSV carries the same rows; and who may read is what
// ISSUE-NOTES §18 says.
func TestStatsReports(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00") // a Tuesday
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		staff(t, env, "admin", "quantri@camau.gov.vn", "")
		staff(t, env, "analyst", "phantich@camau.gov.vn", "")
		staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		as := func(login string) tokens { // tokens last 15 minutes: sign in after each move of the clock
			if login == "citizen" {
				return loginAs(t, env, "0912345678", "bao-cao-2026")
			}
			return loginAs(t, env, login, "mat-khau-an-toan")
		}
		coordOf := func() string { return as("dieuphoi@camau.gov.vn").AccessToken }
		waterOf := func() string { return as("canbo@capnuoc.camau.gov.vn").AccessToken }
		move := func(token, id, action, note string) {
			t.Helper()
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", token, map[string]string{"action": action, "note": note})), http.StatusOK)
		}
		var a [6]string
		for i := range a {
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
			a[i] = rep.ID
		}
		other := validReport()
		other["category_code"] = "ve-sinh-moi-truong"
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, other)), http.StatusCreated)
		at(env, "2026-03-03 09:30")
		coord := coordOf()
		for _, id := range a {
			move(coord, id, "dispatch", "")
		}
		at(env, "2026-03-03 10:00")
		water := waterOf()
		for _, id := range a[:4] {
			move(water, id, "accept", "")
		}
		at(env, "2026-03-03 17:30") // late
		move(waterOf(), a[4], "accept", "")
		at(env, "2026-03-04 09:00")
		move(waterOf(), a[0], "resolve", "Đã nạo vét cống.")
		at(env, "2026-03-05 09:00") // a report on another day
		cit = registered{tokens: as("citizen")}
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())), http.StatusCreated)
		admin, analyst, waterTok := as("quantri@camau.gov.vn"), as("phantich@camau.gov.vn"), as("canbo@capnuoc.camau.gov.vn")
		coordTok := as("dieuphoi@camau.gov.vn")

		stats := newClient(t, env, admin.AccessToken, map[string]any{"name": "LGSP Cà Mau", "scopes": []string{"stats:read"}})
		reader := newClient(t, env, admin.AccessToken, map[string]any{"name": "Bản đồ", "scopes": []string{"reports:read"}})

		const span = "from=2026-03-01&to=2026-03-31"
		var month statsPage
		r := do(t, env.app, withKey("GET", "/v1/stats/reports?"+span+"&group_by=category", stats.Key))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &month)
		for _, secret := range []string{"912345678", "Nguyễn", "Đã nạo vét"} {
			if strings.Contains(string(r.body), secret) {
				t.Fatalf("the statistics contain %q: %s", secret, r.body)
			}
		}
		var ind struct {
			Groups []handlingStats `json:"groups"`
		}
		do(t, env.app, req("GET", "/v1/indicators/feedback?"+span+"&group_by=category", "", nil)).json(t, &ind)
		console, err := env.reports.HandlingFigures(context.Background(), feedback.FiguresQuery{From: "2026-03-01", To: "2026-03-31", GroupBy: "category"})
		if err != nil {
			t.Fatal(err)
		}
		if len(month.Items) != len(ind.Groups) || len(month.Items) != len(console.Groups) || len(month.Items) != 2 {
			t.Fatalf("got %d rows, indicators %d groups, console %d; want 2 each: %s", len(month.Items), len(ind.Groups), len(console.Groups), r.body)
		}
		for i, row := range month.Items {
			g, c := ind.Groups[i], console.Groups[i]
			if row.Period != "2026-03" || row.GroupKey != g.Key || row.GroupKey != c.Key || row.Received != g.Reports || row.Received != c.Reports ||
				row.Suppressed != g.Suppressed || row.Dispatched != g.DispatchOnTime.N || row.Responded != g.ResponseOnTime.N ||
				row.Resolved != g.MedianHandlingHours.N || row.Dispatched != c.DispatchOnTime.N || row.Resolved != c.MedianHandlingHours.N {
				t.Fatalf("row %+v differs from the indicators' %+v / the console's %+v", row, g, c.HandlingStats)
			}
			sameFloat(t, "median dispatch", row.MedianDispatchHours, g.MedianDispatchHours.Value)
			sameFloat(t, "median response", row.MedianResponseHours, g.MedianResponseHours.Value)
			sameFloat(t, "median resolution", row.MedianResolutionHours, c.MedianHandlingHours.Value)
			if !row.Suppressed {
				pct := 100 * float64(*row.RespondedOnTime) / float64(row.Responded)
				if g.ResponseOnTime.Value == nil || pct != *g.ResponseOnTime.Value {
					t.Fatalf("response on time: %d of %d, indicators %v", *row.RespondedOnTime, row.Responded, deref(g.ResponseOnTime.Value))
				}
			}
		}
		if w := month.Items[0]; w.GroupKey != "cap-thoat-nuoc" || w.Received != 7 || *w.DispatchedOnTime != 6 || *w.DispatchOverdue != 0 ||
			*w.RespondedOnTime != 4 || *w.ResponseOverdue != 1 || w.Resolved != 1 {
			t.Fatalf("water: got %+v, want 7 received, 6 dispatched on time, 4 answered on time, 1 late, 1 resolved", w)
		}
		if o := month.Items[1]; !o.Suppressed || o.Received != 1 || o.DispatchedOnTime != nil || o.MedianDispatchHours != nil {
			t.Fatalf("a group of 1 report is not suppressed: %+v", o)
		}

		// By day, two days a page: the days add up to the month.
		var days []statsRow
		cursor, pages := "", 0
		for {
			var p statsPage
			do(t, env.app, withKey("GET", "/v1/stats/reports?"+span+"&period=day&limit=2&cursor="+cursor, stats.Key)).json(t, &p)
			days, pages = append(days, p.Items...), pages+1
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
		var sum int64
		for _, d := range days {
			sum += d.Received
		}
		if len(days) != 31 || pages != 16 || days[2].Period != "2026-03-03" || days[2].Received != 7 || days[4].Received != 1 || sum != 8 {
			t.Fatalf("days: %d rows in %d pages, 3 March %+v, 5 March %+v, total %d; want 31 rows in 16 pages, 7 and 1, total 8",
				len(days), pages, days[2], days[4], sum)
		}

		// CSV: the same rows, formula-safe.
		r = do(t, env.app, withKey("GET", "/v1/stats/reports?"+span+"&format=csv", stats.Key))
		wantStatus(t, r, http.StatusOK)
		lines := strings.Split(strings.TrimPrefix(string(r.body), "\uFEFF"), "\r\n")
		if !strings.HasPrefix(lines[0], "period,group_key,group_label,suppressed,received,dispatched,") ||
			!strings.HasPrefix(lines[1], "2026-03,,,false,8,6,6,0,5,4,1,1,") {
			t.Fatalf("CSV: got %q", r.body)
		}

		// Who may read: staff whose role reads indicators, clients with
		// stats:read. Nobody else.
		for who, token := range map[string]string{"analyst": analyst.AccessToken, "coordinator": coordTok.AccessToken, "admin": admin.AccessToken} {
			if r := do(t, env.app, req("GET", "/v1/stats/reports?"+span, token, nil)); r.StatusCode != http.StatusOK {
				t.Fatalf("%s: got %d, want 200", who, r.StatusCode)
			}
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/stats/reports?"+span, "", nil)), http.StatusUnauthorized)
		for who, r := range map[string]*http.Request{
			"citizen":                       req("GET", "/v1/stats/reports", cit.AccessToken, nil),
			"officer":                       req("GET", "/v1/stats/reports", waterTok.AccessToken, nil),
			"client with reports:read only": withKey("GET", "/v1/stats/reports", reader.Key),
		} {
			if got := do(t, env.app, r); got.StatusCode != http.StatusForbidden {
				t.Fatalf("%s: got %d, want 403", who, got.StatusCode)
			}
		}
		// The stats client is refused on reports:read routes and on
		// anything a person does.
		wantProblem(t, send(t, env.app, withKey("GET", "/v1/reports", stats.Key)), http.StatusForbidden)
		wantProblem(t, send(t, env.app, withKey("GET", "/v1/reports/"+a[0], stats.Key)), http.StatusForbidden)
		wantProblem(t, send(t, env.app, withKey("GET", "/v1/agency/reports", stats.Key)), http.StatusForbidden)
		wantProblem(t, send(t, env.app, withKey("GET", "/v1/admin/clients", stats.Key)), http.StatusForbidden)
		wantStatus(t, do(t, env.app, withKey("GET", "/v1/reports", reader.Key)), http.StatusOK)
		wantProblem(t, do(t, env.app, req("GET", "/v1/stats/reports", "", nil, "X-Api-Key", "cmg_nope")), http.StatusUnauthorized)
		for _, q := range []string{"period=week", "group_by=reporter", "limit=0", "cursor=zz", "from=2026-03-10&to=2026-03-01", "from=2010-01-01&to=2026-03-01", "format=xml"} {
			wantProblem(t, do(t, env.app, withKey("GET", "/v1/stats/reports?"+q, stats.Key)), http.StatusUnprocessableEntity)
		}
		// More than a year is paged, not refused.
		wantStatus(t, do(t, env.app, withKey("GET", "/v1/stats/reports?from=2024-01-01&to=2026-03-31", stats.Key)), http.StatusOK)
	})
}

// TestAPIClientKeys: rotation keeps the old key for the overlap asked
// (none: refused at once), revocation refuses every key at once, the rate
// limit answers 429 with Retry-After, and the last use is recorded.
func TestAPIClientKeys(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "")
		analyst := staff(t, env, "analyst", "phantich@camau.gov.vn", "")
		cl := newClient(t, env, admin.AccessToken, map[string]any{"name": "LGSP", "scopes": []string{"stats:read"}, "rate_limit": 2})
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/clients", analyst.AccessToken, map[string]any{"name": "x", "scopes": []string{"stats:read"}})), http.StatusForbidden)
		r := do(t, env.app, req("POST", "/v1/admin/clients", admin.AccessToken, map[string]any{"name": " ", "scopes": []string{"stats:write"},
			"webhook": map[string]any{"url": "ftp://x"}}))
		p := wantProblem(t, r, http.StatusUnprocessableEntity)
		for _, f := range []string{"name", "scopes", "webhook", "webhook.url"} {
			if !hasField(p, f) {
				t.Fatalf("no error for %s: %s", f, r.body)
			}
		}
		stats := func(key string) int { return do(t, env.app, withKey("GET", "/v1/stats/reports", key)).StatusCode }
		if got := stats(cl.Key); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
		var got struct {
			LastUsedAt *time.Time `json:"last_used_at"`
		}
		do(t, env.app, req("GET", "/v1/admin/clients/"+cl.ID, admin.AccessToken, nil)).json(t, &got)
		if got.LastUsedAt == nil {
			t.Fatal("last_used_at is null after a call")
		}

		// Rotate with ten minutes' overlap: both keys work, then only the new.
		var rot createdClient
		r = do(t, env.app, req("POST", "/v1/admin/clients/"+cl.ID+"/rotate", admin.AccessToken, map[string]any{"overlap_seconds": 600}))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &rot)
		if rot.Key == cl.Key || stats(rot.Key) != http.StatusOK {
			t.Fatalf("the rotated key %q does not work", rot.Key)
		}
		// The third call of this minute is over the limit of 2.
		r = do(t, env.app, withKey("GET", "/v1/stats/reports", cl.Key))
		wantProblem(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		*env.now = env.now.Add(11 * time.Minute) // a new minute, past the overlap
		if got := stats(cl.Key); got != http.StatusUnauthorized {
			t.Fatalf("the old key after the overlap: got %d, want 401", got)
		}
		// Rotating with no overlap ends the key at once.
		var rot2 createdClient
		do(t, env.app, req("POST", "/v1/admin/clients/"+cl.ID+"/rotate", admin.AccessToken, map[string]any{"overlap_seconds": 0})).json(t, &rot2)
		if stats(rot.Key) != http.StatusUnauthorized || stats(rot2.Key) != http.StatusOK {
			t.Fatal("rotating without overlap: the previous key still works, or the new one does not")
		}
		// Revoke: refused on the very next request.
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/clients/"+cl.ID+"/revoke", admin.AccessToken, nil)), http.StatusOK)
		if got := stats(rot2.Key); got != http.StatusUnauthorized {
			t.Fatalf("a revoked key: got %d, want 401", got)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/clients/"+cl.ID+"/rotate", admin.AccessToken, nil)), http.StatusConflict)
		wantProblem(t, do(t, env.app, req("GET", "/v1/admin/clients/01jb0000000000000000000009", admin.AccessToken, nil)), http.StatusNotFound)
		var list struct {
			Items []struct {
				ID        string     `json:"id"`
				RevokedAt *time.Time `json:"revoked_at"`
			} `json:"items"`
		}
		do(t, env.app, req("GET", "/v1/admin/clients", admin.AccessToken, nil)).json(t, &list)
		if len(list.Items) != 1 || list.Items[0].RevokedAt == nil {
			t.Fatalf("list: %+v", list)
		}
	})
}

// TestOpen311_ClientKeys: an API client with open311:write posts Open311
// requests with its key in api_key (or X-Api-Key); a client without the
// scope, and a revoked one, get the specification's 403; the deprecated
// CAMAUG_OPEN311_API_KEYS key still works beside them.
func TestOpen311_ClientKeys(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "")
		writer := newClient(t, env, admin.AccessToken, map[string]any{"name": "Ứng dụng Open311", "scopes": []string{"open311:write"}})
		stats := newClient(t, env, admin.AccessToken, map[string]any{"name": "LGSP", "scopes": []string{"stats:read"}})
		post := func(key string) o311Answer {
			return o311Do(t, env, "json", "POST", "requests", url.Values{"api_key": {key}, "service_code": {"cap-thoat-nuoc"},
				"lat": {"9.1769"}, "long": {"105.1524"}, "description": {"Cống thoát nước bị tắc, nước tràn lên mặt đường"}}, "service_requests", "request")
		}
		if a := post(writer.Key); a.status != http.StatusCreated {
			t.Fatalf("client key: got %d, want 201; %s", a.status, a.body)
		}
		if a := post(testOpen311Key); a.status != http.StatusCreated {
			t.Fatalf("the deprecated key: got %d, want 201; %s", a.status, a.body)
		}
		wantO311Error(t, "a client without open311:write", post(stats.Key), http.StatusForbidden, "api_key")
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/clients/"+writer.ID+"/revoke", admin.AccessToken, nil)), http.StatusOK)
		wantO311Error(t, "a revoked client", post(writer.Key), http.StatusForbidden, "api_key")
	})
}
