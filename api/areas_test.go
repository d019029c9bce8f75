package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// unitPoints holds a point inside each of the province's 64 units, by
// official code, found outside Go (the midpoint of the widest interior run
// of a scanline through the unit's largest polygon) and checked there to
// lie in that unit only.
var unitPoints = map[string][2]float64{
	"31825": {9.302275, 105.714644},
	"31834": {9.290121, 105.777825},
	"31840": {9.242801, 105.766241},
	"31843": {9.519004, 105.436452},
	"31849": {9.501955, 105.518579},
	"31858": {9.582986, 105.361619},
	"31864": {9.471113, 105.353539},
	"31867": {9.45324, 105.485465},
	"31876": {9.38869, 105.399198},
	"31882": {9.375785, 105.508411},
	"31885": {9.329934, 105.316302},
	"31891": {9.249412, 105.595804},
	"31894": {9.377581, 105.620493},
	"31900": {9.372747, 105.734427},
	"31906": {9.352536, 105.79862},
	"31918": {9.319901, 105.573671},
	"31927": {9.199817, 105.646748},
	"31942": {9.283231, 105.389891},
	"31951": {9.280727, 105.491006},
	"31957": {9.225807, 105.323472},
	"31972": {9.071455, 105.431112},
	"31975": {9.133353, 105.542355},
	"31985": {9.149487, 105.454449},
	"31988": {9.182298, 105.35575},
	"31993": {9.101798, 105.32222},
	"32002": {9.231295, 105.190962},
	"32014": {9.170411, 105.119042},
	"32025": {9.177834, 105.212619},
	"32041": {9.161331, 105.214315},
	"32044": {9.487929, 104.951585},
	"32047": {9.418594, 104.888099},
	"32059": {9.263611, 105.008139},
	"32062": {9.31691, 104.92148},
	"32065": {9.331497, 105.1118},
	"32069": {9.481393, 105.075062},
	"32071": {9.392735, 105.209803},
	"32083": {9.279479, 105.234908},
	"32092": {9.289022, 105.118873},
	"32095": {9.067631, 104.958039},
	"32098": {9.020842, 104.84966},
	"32104": {9.200563, 104.904207},
	"32110": {9.18053, 105.023548},
	"32119": {9.121291, 104.866482},
	"32128": {8.935886, 105.028682},
	"32134": {9.085433, 105.073896},
	"32137": {9.003445, 105.074762},
	"32140": {9.038113, 105.017173},
	"32152": {8.968929, 105.19937},
	"32155": {9.076716, 105.244109},
	"32161": {8.95165, 105.128068},
	"32167": {9.025979, 105.334855},
	"32182": {8.887619, 105.113476},
	"32185": {8.851163, 105.177653},
	"32188": {8.949825, 105.313684},
	"32191": {8.789144, 105.038066},
	"32201": {8.723515, 104.888796},
	"32206": {8.822449, 105.187922},
	"32212": {8.810548, 104.841823},
	"32214": {8.979146, 104.917138},
	"32218": {8.905153, 104.846859},
	"32227": {8.866075, 104.931845},
	"32236": {8.754881, 105.097963},
	"32244": {8.644747, 105.002163},
	"32248": {8.644891, 104.805126},
}

func containsAll(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

type areaItem struct {
	Code          string `json:"code"`
	OfficialCode  string `json:"official_code"`
	Name          string `json:"name"`
	Level         string `json:"level"`
	ParentCode    string `json:"parent_code"`
	HasBoundary   bool   `json:"has_boundary"`
	Historical    bool   `json:"historical"`
	SuccessorCode string `json:"successor_code"`
}

func listAreasOf(t *testing.T, env *testEnv, query string) []areaItem {
	t.Helper()
	var out struct{ Items []areaItem }
	r := do(t, env.app, get("/v1/areas?"+query))
	wantStatus(t, r, http.StatusOK)
	r.json(t, &out)
	return out.Items
}

// TestAreas_Map2025: the 64 units under the province, each with its
// official code; the unit that no longer exists only on request; a report
// placed by its point alone lands in the unit that holds it, on both stores.
func TestAreas_Map2025(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		units := listAreasOf(t, env, "parent=ca-mau")
		byOfficial := map[string]areaItem{}
		wards := 0
		for _, a := range units {
			if len(a.OfficialCode) != 5 || !a.HasBoundary || a.Historical {
				t.Errorf("%s: official code %q, boundary %v, historical %v", a.Code, a.OfficialCode, a.HasBoundary, a.Historical)
			}
			if a.Level == "ward" {
				wards++
			}
			byOfficial[a.OfficialCode] = a
		}
		if len(units) != 64 || len(byOfficial) != 64 || wards != 9 {
			t.Fatalf("got %d units (%d codes, %d wards), want 64 with 64 codes, 9 of them wards", len(units), len(byOfficial), wards)
		}
		all := listAreasOf(t, env, "parent=ca-mau&include_historical=true")
		if len(all) != 65 {
			t.Errorf("with historical units: %d, want 65", len(all))
		}
		for _, a := range all {
			if a.Code == "xa-ngoc-hien" && !a.Historical {
				t.Errorf("xa-ngoc-hien is not marked historical: %+v", a)
			}
		}
		wantProblem(t, do(t, env.app, get("/v1/areas?include_historical=maybe")), http.StatusUnprocessableEntity)

		// Search by name whatever the tone placement or Unicode form.
		for _, q := range []string{"Hoà Thành", "Hòa Thành", norm.NFD.String("Hoà Thành"), "hoa thanh"} {
			got := listAreasOf(t, env, "q="+url.QueryEscape(q))
			if len(got) != 1 || got[0].OfficialCode != "32041" {
				t.Errorf("q=%q: got %+v, want Phường Hòa Thành (32041) only", q, got)
			}
		}

		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		for official, p := range unitPoints {
			body := validReport()
			body["location"] = map[string]float64{"lat": p[0], "lng": p[1]}
			body["description"] = fmt.Sprintf("Đường ngập sâu ở đơn vị %s sau mưa lớn.", official)
			r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body))
			wantStatus(t, r, http.StatusCreated)
			var got reportResp
			r.json(t, &got)
			if got.Area == nil || got.Area.Code != byOfficial[official].Code {
				t.Errorf("a report at %v (in %s): area %+v, want %s", p, official, got.Area, byOfficial[official].Code)
			}
		}

		// Islands belong to their commune; the sea just off the coast is
		// refused with a 422 that says why; old units cannot be chosen.
		for _, tt := range []struct {
			name     string
			lat, lng float64
			area     string
		}{
			{"Hòn Khoai", 8.427747, 104.829314, byOfficial["32248"].Code},
			{"Hòn Chuối", 8.948389, 104.525333, byOfficial["32098"].Code},
		} {
			body := validReport()
			body["location"] = map[string]float64{"lat": tt.lat, "lng": tt.lng}
			var got reportResp
			r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body))
			wantStatus(t, r, http.StatusCreated)
			if r.json(t, &got); got.Area == nil || got.Area.Code != tt.area {
				t.Errorf("%s: area %+v, want %s", tt.name, got.Area, tt.area)
			}
		}
		body := validReport()
		body["location"] = map[string]float64{"lat": 9.050001, "lng": 104.80401} // 330 m off the west coast
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body, "Accept-Language", "en")), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "location" || !containsAll(p.Errors[0].Message, "outside", "province") {
			t.Errorf("off the coast: %+v, want one error on location saying it is outside the province", p.Errors)
		}
		body = validReport()
		body["area_code"] = "xa-ngoc-hien"
		p = wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body)), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "area_code" {
			t.Errorf("a historical unit chosen: %+v, want one error on area_code", p.Errors)
		}
	})
}
