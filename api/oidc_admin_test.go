package api_test

import (
	"net/http"
	"testing"

	"camaug/internal/identity"
)

type groupMapping struct {
	ID         string `json:"id"`
	Group      string `json:"group"`
	Role       string `json:"role"`
	AgencyCode string `json:"agency_code"`
}

func TestOIDCGroupMappingsAdmin(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		admin := staff(t, env, identity.RoleAdmin, "admin@camau.gov.vn", "")
		coord := staff(t, env, identity.RoleCoordinator, "ioc@camau.gov.vn", "")
		const base = "/v1/admin/oidc/group-mappings"

		// Only admins see or change the mappings: a coordinator (who
		// could otherwise grant itself admin) is refused, anonymous too.
		wantProblem(t, do(t, env.app, req("GET", base, coord.AccessToken, nil)), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("POST", base, coord.AccessToken, map[string]string{"group": "x", "role": "admin"})), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("GET", base, "", nil)), http.StatusUnauthorized)

		r := do(t, env.app, req("POST", base, admin.AccessToken, map[string]string{"group": "so-xay-dung/can-bo", "role": "officer", "agency_code": "so-xay-dung"}))
		wantStatus(t, r, http.StatusCreated)
		var m groupMapping
		r.json(t, &m)
		if m.ID == "" || m.Role != "officer" || m.AgencyCode != "so-xay-dung" || r.Header.Get("Location") != base+"/"+m.ID {
			t.Fatalf("created: got %+v, Location %q", m, r.Header.Get("Location"))
		}
		// The same group again: 409; an officer without agency, an
		// unknown agency, a citizen role: 422 naming the field.
		wantProblem(t, do(t, env.app, req("POST", base, admin.AccessToken, map[string]string{"group": "so-xay-dung/can-bo", "role": "analyst"})), http.StatusConflict)
		for _, tc := range []struct {
			body  map[string]string
			field string
		}{
			{map[string]string{"group": "g1", "role": "officer"}, "agency_code"},
			{map[string]string{"group": "g1", "role": "officer", "agency_code": "khong-co"}, "agency_code"},
			{map[string]string{"group": "g1", "role": "analyst", "agency_code": "so-xay-dung"}, "agency_code"},
			{map[string]string{"group": "g1", "role": "citizen"}, "role"},
			{map[string]string{"group": "  ", "role": "analyst"}, "group"},
		} {
			p := wantProblem(t, do(t, env.app, req("POST", base, admin.AccessToken, tc.body)), http.StatusUnprocessableEntity)
			if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Fatalf("%v: errors %+v, want %s", tc.body, p.Errors, tc.field)
			}
		}

		// Replace, read back, list.
		r = do(t, env.app, req("PUT", base+"/"+m.ID, admin.AccessToken, map[string]string{"group": "so-xay-dung/lanh-dao", "role": "agency_admin", "agency_code": "so-xay-dung"}))
		wantStatus(t, r, http.StatusOK)
		var got groupMapping
		do(t, env.app, req("GET", base+"/"+m.ID, admin.AccessToken, nil)).json(t, &got)
		if got.Group != "so-xay-dung/lanh-dao" || got.Role != "agency_admin" {
			t.Fatalf("after PUT: got %+v", got)
		}
		wantStatus(t, do(t, env.app, req("POST", base, admin.AccessToken, map[string]string{"group": "camaug-admin", "role": "admin"})), http.StatusCreated)
		var listed struct{ Items []groupMapping }
		do(t, env.app, req("GET", base, admin.AccessToken, nil)).json(t, &listed)
		if len(listed.Items) != 2 || listed.Items[0].Group != "camaug-admin" || listed.Items[1].Group != "so-xay-dung/lanh-dao" {
			t.Fatalf("list: got %+v", listed.Items)
		}

		// Delete; then it is gone.
		wantStatus(t, do(t, env.app, req("DELETE", base+"/"+m.ID, admin.AccessToken, nil)), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("GET", base+"/"+m.ID, admin.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, do(t, env.app, req("DELETE", base+"/"+m.ID, admin.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, do(t, env.app, req("GET", base+"/not%20an%20id", admin.AccessToken, nil)), http.StatusUnprocessableEntity)

		// The verified acr values: trimmed, deduplicated, admins only.
		const acrs = "/v1/admin/oidc/verified-acr-values"
		var v struct {
			ACRValues []string `json:"acr_values"`
		}
		do(t, env.app, req("GET", acrs, admin.AccessToken, nil)).json(t, &v)
		if v.ACRValues == nil || len(v.ACRValues) != 0 {
			t.Fatalf("initial acr values: got %#v, want []", v.ACRValues)
		}
		r = do(t, env.app, req("PUT", acrs, admin.AccessToken, map[string]any{"acr_values": []string{" vneid:level2 ", "vneid:level2", "loa3"}}))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &v)
		if len(v.ACRValues) != 2 || v.ACRValues[0] != "vneid:level2" || v.ACRValues[1] != "loa3" {
			t.Fatalf("after PUT: got %v", v.ACRValues)
		}
		wantProblem(t, do(t, env.app, req("PUT", acrs, coord.AccessToken, map[string]any{"acr_values": []string{"x"}})), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("PUT", acrs, admin.AccessToken, map[string]any{"acr_values": "loa3"})), http.StatusBadRequest)
	})
}
