package api_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestQueryParameters: a bad typed query parameter is a 422 naming it,
// never silently the default; several bad ones are listed together.
func TestQueryParameters(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	admin := staff(t, env, "admin", "quantri@camau.gov.vn", "")
	analyst := staff(t, env, "analyst", "phantich@camau.gov.vn", "")
	for _, tc := range []struct {
		token, target string
		want          []string // the fields named, in any order
	}{
		{"", "/v1/reports?limit=abc", []string{"limit"}},
		{"", "/v1/reports?limit=0", []string{"limit"}},
		{"", "/v1/reports?limit=1e3&since=yesterday&status=rejected&bbox=1,2,3", []string{"bbox", "limit", "since", "status"}},
		{"", "/v1/reports?since=9999-01-01T00:00:00Z", []string{"since"}},
		{"", "/v1/reports.geojson?limit=-1", []string{"limit"}},
		{"", "/v1/reports/nearby?lat=9.17", []string{"lng"}},
		{"", "/v1/reports/nearby?lng=105.1", []string{"lat"}},
		{"", "/v1/reports/nearby?lat=abc&lng=200&radius_m=NaN", []string{"lat", "lng", "radius_m"}},
		{cit.AccessToken, "/v1/me/reports?limit=abc&cursor=%21", []string{"cursor", "limit"}},
		{coord.AccessToken, "/v1/agency/reports?limit=x&status=lost&overdue=yes&extension_pending=1", []string{"extension_pending", "limit", "overdue", "status"}},
		{coord.AccessToken, "/v1/agency/reports/counts?overdue=yes", []string{"overdue"}},
		{admin.AccessToken, "/v1/admin/users?limit=abc&role=king", []string{"limit", "role"}},
		{admin.AccessToken, "/v1/surveys?limit=abc", []string{"limit"}},
		{admin.AccessToken, "/v1/admin/audit?limit=abc", []string{"limit"}},
		{analyst.AccessToken, "/v1/indicators/sipas?compare=yes", []string{"compare"}},
	} {
		p := wantProblem(t, do(t, env.app, req("GET", tc.target, tc.token, nil)), http.StatusUnprocessableEntity)
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Field)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("GET %s: fields %v, want %v", tc.target, got, tc.want)
		}
	}
}
