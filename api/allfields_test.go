package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"camaug/internal/identity"
)

// hasField reports whether the problem lists field among its errors.
func hasField(p problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

// wantAllFields sends a request with several bad fields, some caught by
// the request's own rules and some only by the domain's, and checks that
// one 422 names every one of them.
func wantAllFields(t *testing.T, env *testEnv, r response, fields ...string) {
	t.Helper()
	p := wantProblem(t, r, http.StatusUnprocessableEntity)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("%s %s: errors name %v; want every one of %v (missing %s)", r.Request.Method, r.Request.URL.Path, got, fields, f)
		}
	}
}

// TestAllBadFieldsAtOnce_Identity: registration, one's own account and
// password, and the admin's staff accounts list every bad field at once.
func TestAllBadFieldsAtOnce_Identity(t *testing.T) {
	env := newEnv(t, "sqlite")
	admin := staff(t, env, identity.RoleAdmin, "quantri@camau.gov.vn", "").AccessToken
	cit := registerCitizen(t, env, "0911111111", "mat-khau-dung-2026").AccessToken

	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{
		"phone": "12345", "email": "khong-phai-email", "password": "ngan", "name": strings.Repeat("A", 201), "locale": "fr"})),
		"phone", "email", "password", "name", "locale")
	wantAllFields(t, env, do(t, env.app, req("PATCH", "/v1/me", cit, map[string]string{"name": "   ", "locale": "fr"})),
		"name", "locale")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/me/password", cit, map[string]string{"current_password": "", "new_password": "ngan"})),
		"current_password", "new_password")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/admin/users", admin, map[string]string{
		"role": "truong-phong", "email": "khong-phai-email", "phone": "12345", "name": "", "password": "ngan"})),
		"role", "email", "phone", "name", "password")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/admin/users", admin, map[string]string{
		"role": "officer", "email": "canbo@camau.gov.vn", "name": strings.Repeat("A", 201), "password": "mat-khau-an-toan", "agency_code": "khong-co"})),
		"name", "agency_code")
	var off struct{ ID string }
	r := do(t, env.app, req("POST", "/v1/admin/users", admin, map[string]string{
		"role": "officer", "email": "canbo@camau.gov.vn", "name": "Cán bộ", "password": "mat-khau-an-toan", "agency_code": "so-xay-dung"}))
	wantStatus(t, r, http.StatusCreated)
	r.json(t, &off)
	wantAllFields(t, env, do(t, env.app, req("PATCH", "/v1/admin/users/"+off.ID, admin, map[string]string{
		"role": "truong-phong", "name": "   ", "agency_code": "khong-co"})),
		"role", "name", "agency_code")
}

// TestAllBadFieldsAtOnce_Reports: a report, a transition and a rating
// list every bad field at once.
func TestAllBadFieldsAtOnce_Reports(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0911111111", "mat-khau-dung-2026").AccessToken
	coord := staff(t, env, identity.RoleCoordinator, "dieuphoi@camau.gov.vn", "").AccessToken

	bad := validReport()
	bad["category_code"] = "khong-co"
	bad["title"] = strings.Repeat("T", 1001)
	bad["location"] = map[string]float64{"lat": 95, "lng": 105}
	bad["contact_phone"] = "abc"
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/reports", cit, bad)), "category_code", "title", "location", "contact_phone")

	var rep struct{ ID string }
	r := do(t, env.app, req("POST", "/v1/reports", cit, validReport()))
	wantStatus(t, r, http.StatusCreated)
	r.json(t, &rep)
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord, map[string]any{
		"action": "dispatch", "note": strings.Repeat("N", 20001), "to_agency_code": "khong-co"})),
		"note", "to_agency_code")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/reroute", coord, map[string]any{
		"agency_code": "khong-co", "note": ""})),
		"agency_code", "note")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/rating", cit, map[string]any{
		"score": 9, "comment": strings.Repeat("C", 10001)})),
		"score", "comment")
}

// TestAllBadFieldsAtOnce_Reference: reference data and routing rules list
// every bad field at once, the path's code included.
func TestAllBadFieldsAtOnce_Reference(t *testing.T) {
	env := newEnv(t, "sqlite")
	admin := staff(t, env, identity.RoleAdmin, "quantri@camau.gov.vn", "").AccessToken
	wantAllFields(t, env, do(t, env.app, req("PUT", "/v1/admin/categories/ve-sinh-moi-truong", admin, map[string]any{
		"code": "Sai Ma!", "name": map[string]string{"en": "Environment"}})),
		"code", "name.vi")
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/admin/routing-rules", admin, map[string]any{
		"code": "Sai Ma!", "category_code": "khong-co", "agency_code": "khong-co"})),
		"code", "category_code", "agency_code")
}

// TestAllBadFieldsAtOnce_Surveys: a survey and an invitation batch list
// every bad field at once.
func TestAllBadFieldsAtOnce_Surveys(t *testing.T) {
	env := newEnv(t, "sqlite")
	admin := staff(t, env, identity.RoleAdmin, "quantri@camau.gov.vn", "").AccessToken
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{
		"template": "khong-co", "title": "", "period": map[string]string{"from": "2026-13-01", "to": "2026-01-01"}})),
		"template", "title", "period.from")
	var sv struct{ ID string }
	r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"template": "papi", "title": "PAPI Cà Mau 2026",
		"period": map[string]string{"from": "2026-05-01", "to": "2026-06-30"}}))
	wantStatus(t, r, http.StatusCreated)
	r.json(t, &sv)
	wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
	wantAllFields(t, env, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{
		"count": 0, "agency_code": "khong-co", "area_code": "khong-co"})),
		"count", "agency_code", "area_code")
}
