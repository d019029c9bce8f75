package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pageIDs reads the IDs of a page's items (or GeoJSON features) and its
// next cursor.
func pageIDs(t *testing.T, r response) ([]string, string) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var page struct {
		Items      []struct{ ID string } `json:"items"`
		Features   []struct{ ID string } `json:"features"`
		NextCursor *string               `json:"next_cursor"`
	}
	r.json(t, &page)
	var ids []string
	for _, it := range append(page.Items, page.Features...) {
		ids = append(ids, it.ID)
	}
	next := ""
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	return ids, next
}

// samePages checks the paging property of a cursor endpoint: following the
// cursors with limit=1 yields exactly the items of one large page, in the
// same order. It returns how many items there are.
func samePages(t *testing.T, env *testEnv, token, path string, max int) int {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	whole, next := pageIDs(t, do(t, env.app, req("GET", path+sep+"limit="+itoa(max), token, nil)))
	if next != "" && len(whole) < max {
		t.Fatalf("%s: a short page with a next cursor", path)
	}
	var paged []string
	cursor := ""
	for i := 0; i <= len(whole)+1; i++ {
		target := path + sep + "limit=1"
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		ids, next := pageIDs(t, do(t, env.app, req("GET", target, token, nil)))
		paged = append(paged, ids...)
		if next == "" || len(ids) == 0 {
			break
		}
		cursor = next
	}
	got, _ := json.Marshal(paged)
	want, _ := json.Marshal(whole)
	if string(got) != string(want) {
		t.Errorf("%s: pages of 1 give %s, one page gives %s", path, got, want)
	}
	return len(whole)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestPaging: every cursor endpoint pages without losing, repeating or
// reordering items, whatever the status or filter.
func TestPaging(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		staff(t, env, "officer", "canbo2@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		staff(t, env, "officer", "canbo@soyte.camau.gov.vn", "so-y-te")

		paths := map[string][]string{
			"submitted":   nil,
			"dispatched":  {"dispatch"},
			"accepted":    {"dispatch", "accept"},
			"in_progress": {"dispatch", "accept", "start"},
			"resolved":    {"dispatch", "accept", "resolve"},
			"closed":      {"dispatch", "accept", "resolve", "close"},
			"rejected":    {"reject"},
		}
		statuses := []string{"submitted", "dispatched", "accepted", "in_progress", "resolved", "closed", "rejected"}
		for i := 0; i < 2*len(statuses); i++ {
			status := statuses[i%len(statuses)]
			body := validReport()
			body["urgent"] = i == 0 || i == 3 // most pairs of one status share urgency and deadline
			if i%2 == 1 {
				body["category_code"] = "an-ninh-trat-tu"
			}
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body)).json(t, &rep)
			for _, action := range paths[status] {
				wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken,
					map[string]string{"action": action, "note": "Đã xử lý xong."})), http.StatusOK)
			}
			if (status == "accepted" || status == "in_progress") && i%2 == 0 {
				wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", water.AccessToken,
					map[string]any{"action": "request_extension", "note": "chờ vật tư", "due_at": time.Date(2026, 4, 30, 17, 0, 0, 0, time.UTC)})), http.StatusOK)
			}
		}
		for i := 0; i < 3; i++ {
			wantStatus(t, do(t, env.app, req("POST", "/v1/surveys", admin.AccessToken, map[string]any{"template": "papi",
				"title": map[string]string{"vi": "PAPI Cà Mau 2026", "en": "PAPI Ca Mau 2026"}, "period": map[string]string{"from": "2026-05-01", "to": "2026-06-30"}})), http.StatusCreated)
		}
		at(env, "2026-03-20 09:00") // every open report is now overdue; sign in again
		cit.AccessToken = loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken
		admin = loginAs(t, env, "quantri@camau.gov.vn", "mat-khau-an-toan")
		coord = loginAs(t, env, "dieuphoi@camau.gov.vn", "mat-khau-an-toan")
		water = loginAs(t, env, "canbo@capnuoc.camau.gov.vn", "mat-khau-an-toan")

		q := url.QueryEscape("ngập")
		for _, path := range []string{"/v1/reports", "/v1/reports?status=closed", "/v1/reports?category_code=an-ninh-trat-tu", "/v1/reports?q=" + q,
			"/v1/reports.geojson", "/v1/reports.geojson?q=" + q} {
			if n := samePages(t, env, "", path, 100); n < 2 && !strings.Contains(path, "status") {
				t.Errorf("%s: %d items, too few to page", path, n)
			}
		}
		if n := samePages(t, env, cit.AccessToken, "/v1/me/reports", 100); n != 14 {
			t.Errorf("/v1/me/reports: %d items, want 14", n)
		}
		for _, status := range append([]string{""}, statuses...) {
			for _, filter := range []string{"", "&category_code=an-ninh-trat-tu", "&agency_code=cap-nuoc-ca-mau", "&q=" + q, "&overdue=true", "&extension_pending=true"} {
				path := "/v1/agency/reports?status=" + status + filter
				if n := samePages(t, env, coord.AccessToken, path, 100); filter == "" && n != 2 && status != "" {
					t.Errorf("%s: %d items, want 2", path, n)
				}
			}
		}
		samePages(t, env, water.AccessToken, "/v1/agency/reports?status=closed", 100)
		if n := samePages(t, env, admin.AccessToken, "/v1/admin/users", 200); n < 5 {
			t.Errorf("/v1/admin/users: %d users, want at least 5", n)
		}
		samePages(t, env, admin.AccessToken, "/v1/admin/users?role=officer", 200)
		if n := samePages(t, env, admin.AccessToken, "/v1/surveys", 200); n != 3 {
			t.Errorf("/v1/surveys: %d surveys, want 3", n)
		}
		samePages(t, env, admin.AccessToken, "/v1/admin/audit", 200)
	})
}
