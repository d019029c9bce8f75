package api_test

import (
	"net/http"
	"testing"
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
