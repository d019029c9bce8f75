package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// areaPoints are points inside the units these tests choose.
var areaPoints = map[string][2]float64{
	"phuong-bac-lieu": unitPoints["31825"],
	"phuong-an-xuyen": unitPoints["32002"],
}

func TestRoutingRulesAdmin(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		admin := staff(t, env, "admin", "admin@camau.gov.vn", "")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		submit := func(area string) reportResp {
			t.Helper()
			body := validReport()
			body["area_code"] = area
			// A point inside the chosen unit (its boundary is loaded).
			body["location"] = map[string]float64{"lat": areaPoints[area][0], "lng": areaPoints[area][1]}
			r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body))
			wantStatus(t, r, http.StatusCreated)
			var out reportResp
			r.json(t, &out)
			return out
		}
		// Water in Phường Bạc Liêu goes to the Bạc Liêu water company, elsewhere to Cà Mau's.
		if got := submit("phuong-bac-lieu").Agency.Code; got != "cap-nuoc-bac-lieu" {
			t.Fatalf("Bạc Liêu water report went to %s", got)
		}
		if got := submit("phuong-an-xuyen").Agency.Code; got != "cap-nuoc-ca-mau" {
			t.Fatalf("An Xuyên water report went to %s", got)
		}
		// A more specific rule takes over at once.
		rule := map[string]string{"code": "r-nuoc-an-xuyen", "category_code": "cap-thoat-nuoc", "area_code": "phuong-an-xuyen", "agency_code": "ubnd-phuong-an-xuyen"}
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/routing-rules", admin.AccessToken, rule)), http.StatusCreated)
		got := submit("phuong-an-xuyen")
		if got.Agency.Code != "ubnd-phuong-an-xuyen" || got.RoutingReason == "" {
			t.Fatalf("after the new rule: %s (%s)", got.Agency.Code, got.RoutingReason)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/routing-rules", admin.AccessToken, rule)), http.StatusConflict)
		// The same scope twice, an unknown agency: 422 naming the field.
		dup := map[string]string{"code": "r-dup", "category_code": "cap-thoat-nuoc", "area_code": "phuong-an-xuyen", "agency_code": "so-xay-dung"}
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/admin/routing-rules", admin.AccessToken, dup)), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 {
			t.Fatal("no field named for a duplicate scope")
		}
		bad := map[string]string{"code": "r-bad", "category_code": "y-te", "agency_code": "so-khong-co"}
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/routing-rules", admin.AccessToken, bad)), http.StatusUnprocessableEntity)
		// Replace and delete.
		rule["agency_code"] = "so-xay-dung"
		wantStatus(t, do(t, env.app, req("PUT", "/v1/admin/routing-rules/r-nuoc-an-xuyen", admin.AccessToken, rule)), http.StatusOK)
		if got := submit("phuong-an-xuyen").Agency.Code; got != "so-xay-dung" {
			t.Fatalf("after replacing the rule: %s", got)
		}
		wantProblem(t, do(t, env.app, req("PUT", "/v1/admin/routing-rules/khac", admin.AccessToken, rule)), http.StatusUnprocessableEntity)
		wantStatus(t, do(t, env.app, req("DELETE", "/v1/admin/routing-rules/r-nuoc-an-xuyen", admin.AccessToken, nil)), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("DELETE", "/v1/admin/routing-rules/r-nuoc-an-xuyen", admin.AccessToken, nil)), http.StatusNotFound)
		if got := submit("phuong-an-xuyen").Agency.Code; got != "cap-nuoc-ca-mau" {
			t.Fatalf("after deleting the rule: %s", got)
		}
		var rules struct{ Items []map[string]string }
		do(t, env.app, req("GET", "/v1/admin/routing-rules", admin.AccessToken, nil)).json(t, &rules)
		if len(rules.Items) != 70 {
			t.Fatalf("%d rules listed, want the 29 built-in ones", len(rules.Items))
		}
	})
}

func TestReroute(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		build := staff(t, env, "officer", "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/reroute", water.AccessToken,
			map[string]string{"agency_code": "so-xay-dung", "note": "không đúng thẩm quyền"})), http.StatusForbidden)
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/reroute", coord.AccessToken,
			map[string]string{"agency_code": "so-khong-co", "note": "x"})), http.StatusUnprocessableEntity)
		if len(p.Errors) != 2 {
			t.Fatalf("want agency_code and note named, got %+v", p.Errors)
		}
		r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/reroute", coord.AccessToken,
			map[string]string{"agency_code": "so-xay-dung", "note": "hư hỏng mặt đường, không phải cấp nước"}))
		wantStatus(t, r, http.StatusOK)
		var moved reportResp
		r.json(t, &moved)
		if moved.Agency.Code != "so-xay-dung" || moved.ContactPhone != "" {
			t.Fatalf("after reroute: %+v", moved)
		}
		// The old agency loses sight of it; the new one sees it.
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, water.AccessToken, nil)), http.StatusNotFound)
		wantStatus(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, build.AccessToken, nil)), http.StatusOK)
	})
}

// TestDispatchToAgency_Reason: a dispatch naming the agency, without a
// note, explains the routing without a dangling colon.
func TestDispatchToAgency_Reason(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	var rep reportResp
	do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
	r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken,
		map[string]string{"action": "dispatch", "to_agency_code": "so-xay-dung"}, "Accept-Language", "en"))
	wantStatus(t, r, http.StatusOK)
	r.json(t, &rep)
	if rep.Agency.Code != "so-xay-dung" || strings.HasSuffix(strings.TrimSpace(rep.RoutingReason), ":") || !strings.HasPrefix(rep.RoutingReason, "transferred to ") {
		t.Fatalf("routing reason %q (agency %s), want \"transferred to …\" with no dangling colon", rep.RoutingReason, rep.Agency.Code)
	}
}
