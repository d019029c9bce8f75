package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

type auditItem struct {
	ID        string          `json:"id"`
	ActorID   string          `json:"actor_id"`
	ActorRole string          `json:"actor_role"`
	Kind      string          `json:"kind"`
	Code      string          `json:"code"`
	Action    string          `json:"action"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

type auditResp struct {
	Items      []auditItem `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func TestReferenceAdmin(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		admin := staff(t, env, "admin", "admin@camau.gov.vn", "")
		var me struct{ ID string }
		do(t, env.app, req("GET", "/v1/me", admin.AccessToken, nil)).json(t, &me)

		// A category added by the admin is offered to the public at once.
		cat := map[string]any{"code": "cay-xanh", "name": map[string]string{"vi": "Cây xanh đô thị", "en": "Urban trees"},
			"default_agency_code": "so-xay-dung", "urgent_capable": true, "out_of_scope": false, "sort_order": 3,
			"sla": map[string]any{"response_hours": 8}}
		r := do(t, env.app, req("POST", "/v1/admin/categories", admin.AccessToken, cat))
		wantStatus(t, r, http.StatusCreated)
		if loc := r.Header.Get("Location"); loc != "/v1/admin/categories/cay-xanh" {
			t.Fatalf("Location: got %q", loc)
		}
		var public struct{ Items []struct{ Code, Name string } }
		do(t, env.app, req("GET", "/v1/categories", "", nil, "Accept-Language", "en")).json(t, &public)
		found := false
		for _, c := range public.Items {
			found = found || (c.Code == "cay-xanh" && c.Name == "Urban trees")
		}
		if !found {
			t.Fatal("the new category is missing from GET /v1/categories")
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/categories", admin.AccessToken, cat)), http.StatusConflict)

		// An area under an unknown parent: 422 naming parent_code, nothing changes.
		var areasBefore struct{ Items []json.RawMessage }
		do(t, env.app, req("GET", "/v1/admin/areas", admin.AccessToken, nil)).json(t, &areasBefore)
		orphan := map[string]any{"code": "phuong-moi", "name": map[string]string{"vi": "Phường Mới"}, "level": "ward", "parent_code": "khong-co"}
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/admin/areas", admin.AccessToken, orphan)), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "parent_code" {
			t.Fatalf("errors: got %+v, want parent_code only", p.Errors)
		}
		var areasAfter struct{ Items []json.RawMessage }
		do(t, env.app, req("GET", "/v1/admin/areas", admin.AccessToken, nil)).json(t, &areasAfter)
		if len(areasAfter.Items) != len(areasBefore.Items) {
			t.Fatalf("areas after a refused create: got %d, want %d", len(areasAfter.Items), len(areasBefore.Items))
		}
		// With a known parent it goes in.
		orphan["parent_code"] = "ca-mau"
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/areas", admin.AccessToken, orphan)), http.StatusCreated)
		wantProblem(t, do(t, env.app, req("PUT", "/v1/admin/areas/khong-co", admin.AccessToken,
			map[string]any{"code": "khong-co", "name": map[string]string{"vi": "X"}, "level": "ward"})), http.StatusNotFound)

		// Agencies: the admin list shows inactive ones, the public list does not.
		ag := map[string]any{"code": "so-thu", "name": map[string]string{"vi": "Sở Thử"}, "kind": "department", "active": true}
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/agencies", admin.AccessToken, ag)), http.StatusCreated)
		ag["active"] = false
		wantStatus(t, do(t, env.app, req("PUT", "/v1/admin/agencies/so-thu", admin.AccessToken, ag)), http.StatusOK)
		var all, pub struct{ Items []struct{ Code string } }
		do(t, env.app, req("GET", "/v1/admin/agencies", admin.AccessToken, nil)).json(t, &all)
		do(t, env.app, req("GET", "/v1/agencies", "", nil)).json(t, &pub)
		// The built-in data has one inactive agency already (the committee
		// of the historical Xã Ngọc Hiển).
		listed := func(items []struct{ Code string }, code string) bool {
			for _, it := range items {
				if it.Code == code {
					return true
				}
			}
			return false
		}
		if len(all.Items) != len(pub.Items)+2 || !listed(all.Items, "so-thu") || listed(pub.Items, "so-thu") || listed(pub.Items, "ubnd-xa-ngoc-hien") {
			t.Fatalf("agencies: admin sees %d, public %d; want the two inactive ones only in the admin list", len(all.Items), len(pub.Items))
		}

		// The calendar round-trips; a bad one is refused field by field.
		var cal map[string]any
		do(t, env.app, req("GET", "/v1/admin/calendar", admin.AccessToken, nil)).json(t, &cal)
		cal["auto_close_days"] = 5
		wantStatus(t, do(t, env.app, req("PUT", "/v1/admin/calendar", admin.AccessToken, cal)), http.StatusOK)
		cal["time_zone"] = "Mars/Olympus"
		p = wantProblem(t, do(t, env.app, req("PUT", "/v1/admin/calendar", admin.AccessToken, cal)), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 || p.Errors[0].Field != "time_zone" {
			t.Fatalf("calendar errors: got %+v, want time_zone", p.Errors)
		}

		// The audit log lists every accepted change with its actor, newest
		// first, and none of the refused ones.
		var page auditResp
		do(t, env.app, req("GET", "/v1/admin/audit?limit=3", admin.AccessToken, nil)).json(t, &page)
		got := page.Items
		for page.NextCursor != nil {
			page = auditResp{}
			do(t, env.app, req("GET", "/v1/admin/audit?limit=3&cursor="+got[len(got)-1].ID, admin.AccessToken, nil)).json(t, &page)
			got = append(got, page.Items...)
		}
		want := []struct{ actor, kind, code, action string }{
			{me.ID, "calendar", "", "update"},
			{me.ID, "agency", "so-thu", "update"},
			{me.ID, "agency", "so-thu", "create"},
			{me.ID, "area", "phuong-moi", "create"},
			{me.ID, "category", "cay-xanh", "create"},
			{"system", "dataset", "", "import"},
		}
		if len(got) != len(want) {
			t.Fatalf("audit: got %d entries, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.ActorID != w.actor || g.Kind != w.kind || g.Code != w.code || g.Action != w.action {
				t.Errorf("audit entry %d: got %s %s %q %s, want %s %s %q %s", i, g.ActorID, g.Kind, g.Code, g.Action, w.actor, w.kind, w.code, w.action)
			}
		}
		if got[3].ActorRole != "admin" || string(got[3].Before) != "null" {
			t.Errorf("area create: got role %q, before %s; want admin, null", got[3].ActorRole, got[3].Before)
		}
		var before, after struct{ Active bool }
		json.Unmarshal(got[1].Before, &before)
		json.Unmarshal(got[1].After, &after)
		if !before.Active || after.Active {
			t.Errorf("agency deactivation: before %s, after %s", got[1].Before, got[1].After)
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/admin/audit?cursor=nope", admin.AccessToken, nil)), http.StatusUnprocessableEntity)
	})
}
