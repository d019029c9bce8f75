package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// An app revalidates what it holds with If-None-Match and gets 304 with
// no body while nothing it would see changed; a transition changes the
// report's tag, the lists' tags and nothing in the reference data's.
// Personal answers keep Cache-Control: no-store and still carry a tag.
func TestETags(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		move := func(token, action string) {
			t.Helper()
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, map[string]string{"action": action})), http.StatusOK)
		}
		move(coord.AccessToken, "dispatch")

		reads := []struct {
			name, path, token string
			personal, changes bool
		}{
			{"categories", "/v1/categories", "", false, false},
			{"agencies", "/v1/agencies", "", false, false},
			{"areas", "/v1/areas?level=ward", "", false, false},
			{"feed", "/v1/reports", "", false, true},
			{"feed as GeoJSON", "/v1/reports.geojson", "", false, true},
			{"report by its reporter", "/v1/reports/" + rep.ID, cit.AccessToken, true, true},
			{"report by its agency", "/v1/reports/" + rep.ID, water.AccessToken, true, true},
			{"history", "/v1/reports/" + rep.ID + "/history", cit.AccessToken, true, true},
			{"my reports", "/v1/me/reports", cit.AccessToken, true, true},
			{"agency queue", "/v1/agency/reports", water.AccessToken, true, true},
		}
		tags := map[string]string{}
		for _, rd := range reads {
			first := do(t, env.app, req("GET", rd.path, rd.token, nil))
			wantStatus(t, first, http.StatusOK)
			tag := first.Header.Get("ETag")
			if len(tag) < 10 || tag[0] != '"' {
				t.Fatalf("%s: ETag %q, want a quoted tag", rd.name, tag)
			}
			tags[rd.name] = tag
			if cc := first.Header.Get("Cache-Control"); rd.personal && cc != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", rd.name, cc)
			}
			for _, inm := range []string{tag, "W/" + tag, `"something-else", ` + tag} {
				again := do(t, env.app, req("GET", rd.path, rd.token, nil, "If-None-Match", inm))
				if again.StatusCode != http.StatusNotModified || len(again.body) != 0 || again.Header.Get("ETag") != tag {
					t.Fatalf("%s with If-None-Match %s: got %d, %d bytes, ETag %q; want 304, no body, %q",
						rd.name, inm, again.StatusCode, len(again.body), again.Header.Get("ETag"), tag)
				}
				if cc := again.Header.Get("Cache-Control"); rd.personal && cc != "no-store" {
					t.Errorf("%s 304: Cache-Control %q, want no-store", rd.name, cc)
				}
			}
			// Another tag, or the same resource in English, is a full answer.
			if r := do(t, env.app, req("GET", rd.path, rd.token, nil, "If-None-Match", `"stale"`)); r.StatusCode != http.StatusOK || len(r.body) == 0 {
				t.Fatalf("%s with a stale tag: got %d, %d bytes; want 200 with the body", rd.name, r.StatusCode, len(r.body))
			}
			en := do(t, env.app, req("GET", rd.path, rd.token, nil, "If-None-Match", tag, "Accept-Language", "en"))
			if rd.name != "areas" && rd.name != "history" && (en.StatusCode != http.StatusOK || en.Header.Get("ETag") == tag) {
				t.Fatalf("%s in English with the Vietnamese tag: got %d, ETag %q; want 200 and another tag", rd.name, en.StatusCode, en.Header.Get("ETag"))
			}
		}

		// A step in the handling: the report and the lists it is in change.
		move(water.AccessToken, "accept")
		for _, rd := range reads {
			r := do(t, env.app, req("GET", rd.path, rd.token, nil, "If-None-Match", tags[rd.name]))
			switch {
			case rd.changes && (r.StatusCode != http.StatusOK || r.Header.Get("ETag") == tags[rd.name]):
				t.Errorf("%s after accept: got %d, ETag %q; want 200 with a new tag", rd.name, r.StatusCode, r.Header.Get("ETag"))
			case !rd.changes && r.StatusCode != http.StatusNotModified:
				t.Errorf("%s after accept: got %d, want 304 (reference data did not change)", rd.name, r.StatusCode)
			}
		}

		// A 404 and a HEAD: no tag on errors; HEAD revalidates like GET.
		if r := do(t, env.app, req("GET", "/v1/reports/01m8fsrm5vygm8mtn3tthbpdca", cit.AccessToken, nil)); r.StatusCode != http.StatusNotFound || r.Header.Get("ETag") != "" {
			t.Errorf("unknown report: got %d with ETag %q; want 404 without one", r.StatusCode, r.Header.Get("ETag"))
		}
		head := send(t, env.app, req("HEAD", "/v1/categories", "", nil, "If-None-Match", tags["categories"]))
		if head.StatusCode != http.StatusNotModified {
			t.Errorf("HEAD with the tag: got %d, want 304", head.StatusCode)
		}
	})
}

// pageOf reads a page of reports: their IDs and the next cursor.
func pageOf(t *testing.T, r response) ([]string, []time.Time, string) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var page struct {
		Items []struct {
			ID        string    `json:"id"`
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	r.json(t, &page)
	var ids []string
	var times []time.Time
	for _, it := range page.Items {
		ids = append(ids, it.ID)
		times = append(times, it.UpdatedAt)
	}
	next := ""
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	return ids, times, next
}

// An app syncs with updated_since: it gets what changed since, oldest
// change first, page by page, on the public feed and on its own reports.
func TestUpdatedSince(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		submit := func(when string) string {
			at(env, when)
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
			return rep.ID
		}
		move := func(when, token, id, action string) {
			t.Helper()
			at(env, when)
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", token, map[string]string{"action": action})), http.StatusOK)
		}
		a, b, c := submit("2026-03-03 09:00"), submit("2026-03-03 09:01"), submit("2026-03-03 09:02")
		move("2026-03-03 09:05", coord.AccessToken, c, "dispatch")
		move("2026-03-03 09:06", coord.AccessToken, a, "dispatch")
		all := func(path, token string, limit int) []string {
			t.Helper()
			var out []string
			cursor := ""
			for i := 0; i < 10; i++ {
				p := path + "&limit=" + itoa(limit)
				if cursor != "" {
					p += "&cursor=" + cursor
				}
				ids, _, next := pageOf(t, do(t, env.app, req("GET", p, token, nil)))
				out = append(out, ids...)
				if next == "" {
					return out
				}
				cursor = next
			}
			t.Fatal("more than 10 pages")
			return nil
		}
		same := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: got %v, want %v", what, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: got %v, want %v", what, got, want)
				}
			}
		}
		// Without updated_since the feed is newest first; with it, the
		// public reports changed since, oldest change first.
		same("feed", all("/v1/reports?x=1", "", 1), c, a)
		same("feed changed since 09:00", all("/v1/reports?updated_since=2026-03-03T09:00:00%2B07:00", "", 1), c, a)
		same("my reports changed since 09:00", all("/v1/me/reports?updated_since=2026-03-03T09:00:00%2B07:00", cit.AccessToken, 2), b, c, a)
		same("my reports changed since 09:05:30", all("/v1/me/reports?updated_since=2026-03-03T09:05:30%2B07:00", cit.AccessToken, 2), a)

		// The agency takes up c: it is the one change since 09:08.
		move("2026-03-03 09:10", water.AccessToken, c, "accept")
		same("feed changed since 09:08", all("/v1/reports?updated_since=2026-03-03T09:08:00%2B07:00", "", 5), c)
		same("my reports changed since 09:08", all("/v1/me/reports?updated_since=2026-03-03T09:08:00%2B07:00", cit.AccessToken, 5), c)
		ids, times, _ := pageOf(t, do(t, env.app, req("GET", "/v1/me/reports?updated_since=2026-03-03T09:08:00%2B07:00", cit.AccessToken, nil)))
		if want := time.Date(2026, 3, 3, 2, 10, 0, 0, time.UTC); len(ids) != 1 || !times[0].Equal(want) {
			t.Fatalf("updated_at: got %v, want %v", times, want)
		}
		// Sending back the greatest updated_at seen lists that report again,
		// and only it.
		same("since the last change", all("/v1/reports?updated_since="+strings.ReplaceAll(times[0].Format(time.RFC3339Nano), "+", "%2B"), "", 5), c)
		// Filters still apply; nobody else's reports come in.
		same("feed by another category", all("/v1/reports?updated_since=2026-03-03T09:00:00%2B07:00&category_code=dien-chieu-sang", "", 5))
		other := registerCitizen(t, env, "0987654321", "bao-cao-2026")
		same("another citizen's changes", all("/v1/me/reports?updated_since=2026-03-03T09:00:00%2B07:00", other.AccessToken, 5))

		// Bad input: 422 naming the parameter.
		for _, bad := range []struct{ path, token, field string }{
			{"/v1/reports?updated_since=yesterday", "", "updated_since"},
			{"/v1/reports?updated_since=2026-03-03T09:00:00Z&q=ngap", "", "updated_since"},
			{"/v1/reports?updated_since=2026-03-03T09:00:00Z&cursor=bm9wZQ", "", "cursor"},
			{"/v1/me/reports?updated_since=2026-13-03", cit.AccessToken, "updated_since"},
			{"/v1/me/reports?updated_since=2026-03-03T09:00:00Z&cursor=bm9wZQ", cit.AccessToken, "cursor"},
		} {
			p := wantProblem(t, do(t, env.app, req("GET", bad.path, bad.token, nil)), http.StatusUnprocessableEntity)
			if !hasField(p, bad.field) {
				t.Errorf("%s: errors %+v, want one on %s", bad.path, p.Errors, bad.field)
			}
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/me/reports?updated_since=2026-03-03T09:00:00Z", "", nil)), http.StatusUnauthorized)
	})
}
