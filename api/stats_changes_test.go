package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type changesPage struct {
	Items []struct {
		ID           string     `json:"id"`
		Status       string     `json:"status"`
		CategoryCode string     `json:"category_code"`
		AreaCode     string     `json:"area_code"`
		AgencyCode   string     `json:"agency_code"`
		DispatchedAt *time.Time `json:"dispatched_at"`
		RespondedAt  *time.Time `json:"responded_at"`
		UpdatedAt    time.Time  `json:"updated_at"`
		Version      int64      `json:"version"`
	} `json:"items"`
	NextCursor string    `json:"next_cursor"`
	More       bool      `json:"more"`
	Horizon    time.Time `json:"horizon"`
}

// TestStatsChanges: the integration platform syncs the published reports
// incrementally. A change is listed once it is older than the horizon
// (never before: a slower write could still land behind the reader's
// cursor), pages follow each other without loss or repeat, a later change
// brings the report back after the cursor, nothing personal is in it, and
// only stats readers may read it.
func TestStatsChanges(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		registerCitizen(t, env, "0912345678", "bao-cao-2026")
		staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		staff(t, env, "admin", "quantri@camau.gov.vn", "")
		staff(t, env, "analyst", "phantich@camau.gov.vn", "")
		staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		as := func(login string) string { // tokens last 15 minutes: sign in after each move of the clock
			if login == "citizen" {
				return loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken
			}
			return loginAs(t, env, login, "mat-khau-an-toan").AccessToken
		}
		cit := as("citizen")
		var ids []string
		for range 4 {
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", cit, validReport())).json(t, &rep)
			ids = append(ids, rep.ID)
		}
		at(env, "2026-03-03 09:30")
		coord := as("dieuphoi@camau.gov.vn")
		for _, id := range ids[:3] { // the fourth stays submitted: not published
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord, map[string]string{"action": "dispatch"})), http.StatusOK)
		}
		admin := as("quantri@camau.gov.vn")
		stats := newClient(t, env, admin, map[string]any{"name": "LGSP Cà Mau", "scopes": []string{"stats:read"}})
		reader := newClient(t, env, admin, map[string]any{"name": "Bản đồ", "scopes": []string{"reports:read"}})
		read := func(q url.Values) (changesPage, response) {
			t.Helper()
			r := do(t, env.app, withKey("GET", "/v1/stats/reports/changes?"+q.Encode(), stats.Key))
			wantStatus(t, r, http.StatusOK)
			var p changesPage
			r.json(t, &p)
			return p, r
		}

		// 10 s after the dispatches they are within the horizon: not yet.
		*env.now = env.now.Add(10 * time.Second)
		since := url.Values{"since": {"2026-03-01T00:00:00Z"}}
		if p, r := read(since); len(p.Items) != 0 || p.More || p.NextCursor != "" {
			t.Fatalf("changes younger than the horizon were listed: %s", r.body)
		}

		// A minute later: the three published reports, in pages of two.
		at(env, "2026-03-03 09:31")
		q := url.Values{"since": {"2026-03-01T00:00:00Z"}, "limit": {"2"}}
		p1, r := read(q)
		for _, secret := range []string{"tracking_code", "912345678", "Phan Ngọc Hiển", "Ngập nước", "description", "reporter"} {
			if strings.Contains(string(r.body), secret) {
				t.Fatalf("the changes feed contains %q: %s", secret, r.body)
			}
		}
		if len(p1.Items) != 2 || !p1.More || p1.NextCursor == "" {
			t.Fatalf("first page: %s; want 2 items, more, a cursor", r.body)
		}
		p2, r := read(url.Values{"cursor": {p1.NextCursor}, "limit": {"2"}})
		if len(p2.Items) != 1 || p2.More || p2.NextCursor == "" {
			t.Fatalf("second page: %s; want the last item and no more", r.body)
		}
		seen := map[string]bool{}
		for _, it := range append(p1.Items, p2.Items...) {
			if seen[it.ID] {
				t.Fatalf("%s listed twice", it.ID)
			}
			seen[it.ID] = true
			if it.Status != "dispatched" || it.AgencyCode != "cap-nuoc-ca-mau" || it.CategoryCode != "cap-thoat-nuoc" || it.DispatchedAt == nil || it.AreaCode == "" {
				t.Fatalf("item %+v: want a dispatched water report with its agency, area and dispatch time", it)
			}
		}
		if len(seen) != 3 || seen[ids[3]] {
			t.Fatalf("listed %v; want the three dispatched reports, not the submitted one %s", seen, ids[3])
		}
		if !p2.Items[0].UpdatedAt.After(p1.Items[0].UpdatedAt) && p2.Items[0].ID < p1.Items[1].ID {
			t.Fatal("pages are not in (updated_at, id) order")
		}

		// The officer takes one up: it comes back after the cursor, once
		// past the horizon.
		at(env, "2026-03-03 10:00")
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+ids[1]+"/transitions", as("canbo@capnuoc.camau.gov.vn"),
			map[string]string{"action": "accept"})), http.StatusOK)
		*env.now = env.now.Add(5 * time.Second)
		if p, r := read(url.Values{"cursor": {p2.NextCursor}}); len(p.Items) != 0 || p.NextCursor != p2.NextCursor {
			t.Fatalf("a change within the horizon was listed, or the cursor moved: %s", r.body)
		}
		at(env, "2026-03-03 10:01")
		p3, r := read(url.Values{"cursor": {p2.NextCursor}})
		if len(p3.Items) != 1 || p3.Items[0].ID != ids[1] || p3.Items[0].Status != "accepted" || p3.Items[0].RespondedAt == nil {
			t.Fatalf("after the accept: %s; want only %s, accepted", r.body, ids[1])
		}

		// Who may read (ISSUE-NOTES §18), and bad input.
		for who, want := range map[string]int{"phantich@camau.gov.vn": 200, "dieuphoi@camau.gov.vn": 200, "quantri@camau.gov.vn": 200,
			"canbo@capnuoc.camau.gov.vn": 403, "citizen": 403} {
			if r := do(t, env.app, req("GET", "/v1/stats/reports/changes", as(who), nil)); r.StatusCode != want {
				t.Errorf("%s: %d, want %d", who, r.StatusCode, want)
			}
		}
		if r := do(t, env.app, withKey("GET", "/v1/stats/reports/changes", reader.Key)); r.StatusCode != http.StatusForbidden {
			t.Errorf("a reports:read client: %d, want 403", r.StatusCode)
		}
		if r := do(t, env.app, req("GET", "/v1/stats/reports/changes", "", nil)); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("no credentials: %d, want 401", r.StatusCode)
		}
		for _, bad := range []string{"cursor=abc", "limit=0", "limit=501", "since=yesterday"} {
			r := do(t, env.app, withKey("GET", "/v1/stats/reports/changes?"+bad, stats.Key))
			if r.StatusCode < 400 || r.StatusCode >= 500 || !strings.Contains(r.Header.Get("Content-Type"), "problem+json") {
				t.Errorf("%s: %d %s, want a 4xx problem", bad, r.StatusCode, r.Header.Get("Content-Type"))
			}
		}
	})
}
