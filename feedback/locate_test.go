package feedback

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// unitInteriorPoints holds, for each of the 64 units, a point inside its
// largest polygon, found outside Go (the midpoint of the widest interior
// run of a scanline) and checked there to lie in that unit only.
var unitInteriorPoints = []struct {
	official string
	lat, lng float64
}{
	{"31825", 9.302275, 105.714644},
	{"31834", 9.290121, 105.777825},
	{"31840", 9.242801, 105.766241},
	{"31843", 9.519004, 105.436452},
	{"31849", 9.501955, 105.518579},
	{"31858", 9.582986, 105.361619},
	{"31864", 9.471113, 105.353539},
	{"31867", 9.45324, 105.485465},
	{"31876", 9.38869, 105.399198},
	{"31882", 9.375785, 105.508411},
	{"31885", 9.329934, 105.316302},
	{"31891", 9.249412, 105.595804},
	{"31894", 9.377581, 105.620493},
	{"31900", 9.372747, 105.734427},
	{"31906", 9.352536, 105.79862},
	{"31918", 9.319901, 105.573671},
	{"31927", 9.199817, 105.646748},
	{"31942", 9.283231, 105.389891},
	{"31951", 9.280727, 105.491006},
	{"31957", 9.225807, 105.323472},
	{"31972", 9.071455, 105.431112},
	{"31975", 9.133353, 105.542355},
	{"31985", 9.149487, 105.454449},
	{"31988", 9.182298, 105.35575},
	{"31993", 9.101798, 105.32222},
	{"32002", 9.231295, 105.190962},
	{"32014", 9.170411, 105.119042},
	{"32025", 9.177834, 105.212619},
	{"32041", 9.161331, 105.214315},
	{"32044", 9.487929, 104.951585},
	{"32047", 9.418594, 104.888099},
	{"32059", 9.263611, 105.008139},
	{"32062", 9.31691, 104.92148},
	{"32065", 9.331497, 105.1118},
	{"32069", 9.481393, 105.075062},
	{"32071", 9.392735, 105.209803},
	{"32083", 9.279479, 105.234908},
	{"32092", 9.289022, 105.118873},
	{"32095", 9.067631, 104.958039},
	{"32098", 9.020842, 104.84966},
	{"32104", 9.200563, 104.904207},
	{"32110", 9.18053, 105.023548},
	{"32119", 9.121291, 104.866482},
	{"32128", 8.935886, 105.028682},
	{"32134", 9.085433, 105.073896},
	{"32137", 9.003445, 105.074762},
	{"32140", 9.038113, 105.017173},
	{"32152", 8.968929, 105.19937},
	{"32155", 9.076716, 105.244109},
	{"32161", 8.95165, 105.128068},
	{"32167", 9.025979, 105.334855},
	{"32182", 8.887619, 105.113476},
	{"32185", 8.851163, 105.177653},
	{"32188", 8.949825, 105.313684},
	{"32191", 8.789144, 105.038066},
	{"32201", 8.723515, 104.888796},
	{"32206", 8.822449, 105.187922},
	{"32212", 8.810548, 104.841823},
	{"32214", 8.979146, 104.917138},
	{"32218", 8.905153, 104.846859},
	{"32227", 8.866075, 104.931845},
	{"32236", 8.754881, 105.097963},
	{"32244", 8.644747, 105.002163},
	{"32248", 8.644891, 104.805126},
}

func problemFields(err error) []string {
	var out []string
	if ae, ok := err.(*apperr.Error); ok {
		for _, f := range ae.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func defaultAreaByOfficial(t *testing.T, ref *Reference) map[string]Area {
	t.Helper()
	out := map[string]Area{}
	for _, a := range ref.Areas {
		if a.OfficialCode != "" {
			out[a.OfficialCode] = a
		}
	}
	return out
}

func TestDefaultReference_Map2025(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	byOfficial := defaultAreaByOfficial(t, ref)
	wards, communes := 0, 0
	for _, a := range ref.Areas {
		if a.Historical || a.ParentCode != "ca-mau" {
			continue
		}
		switch a.Level {
		case LevelWard:
			wards++
		case LevelCommune:
			communes++
		}
		if len(a.OfficialCode) != 5 || !a.HasBoundary() {
			t.Errorf("%s: official code %q, boundary %v; want 5 digits and a boundary", a.Code, a.OfficialCode, a.HasBoundary())
		}
	}
	if wards != 9 || communes != 55 {
		t.Errorf("got %d wards and %d communes, want 9 and 55 (NQ 1655/NQ-UBTVQH15)", wards, communes)
	}
	if p := byOfficial["96"]; p.Code != "ca-mau" || !p.HasBoundary() {
		t.Errorf("the province: %q with boundary %v, want ca-mau with its outline", p.Code, p.HasBoundary())
	}
	// The built-in map has all 64 units and the province, islands included.
	if g, ok := BuiltinBoundary("96"); !ok || len(g) < 1_000_000 {
		t.Errorf("the province outline: %d bytes, want the 1 MB outline with its islands", len(g))
	}
	if len(unitInteriorPoints) != 64 {
		t.Fatalf("%d test points, want 64", len(unitInteriorPoints))
	}
	ref.locator = NewLocator(ref.Areas) // built once, as Snapshot does
	loc := ref.Locator()
	for _, pt := range unitInteriorPoints {
		want := byOfficial[pt.official].Code
		area, fe := place(ref, Point{Lat: pt.lat, Lng: pt.lng}, "")
		if fe != nil || area != want {
			t.Errorf("point %v,%v in %s: got %q (%v), want %q", pt.lat, pt.lng, pt.official, area, fe, want)
		}
		if got := loc.Containing(Point{Lat: pt.lat, Lng: pt.lng}); len(got) != 1 || got[0] != want {
			t.Errorf("point in %s lies in %v, want [%s]", pt.official, got, want)
		}
		if !loc.Holds("ca-mau", Point{Lat: pt.lat, Lng: pt.lng}) {
			t.Errorf("point in %s is outside the province's outline", pt.official)
		}
	}
}

func TestPlace_IslandsCoastAndBorders(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	byOfficial := defaultAreaByOfficial(t, ref)
	ref.locator = NewLocator(ref.Areas)
	tests := []struct {
		name     string
		p        Point
		chosen   string
		want     string // area code; "" when refused
		errField string
	}{
		{"Hòn Khoai belongs to Đất Mũi", Point{8.427747, 104.829314}, "", byOfficial["32248"].Code, ""},
		{"Hòn Chuối belongs to Sông Đốc", Point{8.948389, 104.525333}, "", byOfficial["32098"].Code, ""},
		{"the sea 1 km off Hòn Chuối", Point{8.948389, 104.515}, "", "", "location"},
		{"the sea 330 m off the west coast", Point{9.050001, 104.80401}, "", "", "location"},
		{"330 m inland from there", Point{9.050001, 104.81001}, "", byOfficial["32098"].Code, ""},
		{"Hà Nội", Point{21.0285, 105.8542}, "", "", "location"},
		// A vertex on the border of An Xuyên (32002) and Tân Thành
		// (32025): in both, given to the smaller official code.
		{"a shared border vertex", Point{9.20791, 105.19548}, "", byOfficial["32002"].Code, ""},
		{"the border, choosing the other side", Point{9.20791, 105.19548}, byOfficial["32025"].Code, byOfficial["32025"].Code, ""},
		{"a chosen unit that does not hold the point", Point{8.427747, 104.829314}, byOfficial["32002"].Code, "", "area_code"},
		{"the province chosen, the unit found", Point{8.427747, 104.829314}, "ca-mau", byOfficial["32248"].Code, ""},
		{"a unit that no longer exists", Point{8.427747, 104.829314}, "xa-ngoc-hien", "", "area_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 { // the same answer every time
				got, fe := place(ref, tt.p, tt.chosen)
				switch {
				case tt.errField != "" && (fe == nil || fe.Field != tt.errField):
					t.Fatalf("got %q, %v; want an error on %s", got, fe, tt.errField)
				case tt.errField == "" && (fe != nil || got != tt.want):
					t.Fatalf("got %q, %v; want %q", got, fe, tt.want)
				}
			}
		})
	}
	t.Run("the refusal says the point is outside the province", func(t *testing.T) {
		_, fe := place(ref, Point{8.948389, 104.515}, "")
		if fe == nil || !strings.Contains(fe.Message.Vi, "ngoài Tỉnh Cà Mau") || !strings.Contains(fe.Message.En, "outside") {
			t.Fatalf("got %+v", fe)
		}
	})
	t.Run("data order does not decide a border", func(t *testing.T) {
		rev := *ref
		rev.Areas = append([]Area(nil), ref.Areas...)
		for i, j := 0, len(rev.Areas)-1; i < j; i, j = i+1, j-1 {
			rev.Areas[i], rev.Areas[j] = rev.Areas[j], rev.Areas[i]
		}
		if got, _ := place(&rev, Point{9.20791, 105.19548}, ""); got != byOfficial["32002"].Code {
			t.Errorf("reversed data: got %q, want %q", got, byOfficial["32002"].Code)
		}
	})
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"Hoà Thành", "Hòa Thành"},
		{norm.NFD.String("Hòa Bình"), "Hoà Bình"},
		{"Thuỷ", "thủy"},
		{"  Phường   Hòa Thành ", "phường hoà thành"},
	}
	for _, p := range same {
		if NameKey(p[0]) != NameKey(p[1]) {
			t.Errorf("%q and %q: keys %q and %q differ", p[0], p[1], NameKey(p[0]), NameKey(p[1]))
		}
	}
	for _, p := range [][2]string{{"Hòa", "Hóa"}, {"Tân", "Tấn"}, {"Đá Bạc", "Da Bac"}} {
		if NameKey(p[0]) == NameKey(p[1]) {
			t.Errorf("%q and %q fold alike, want different", p[0], p[1])
		}
	}
	for _, q := range []string{"Hoà Thành", "Hòa Thành", norm.NFD.String("Hoà Thành"), "hoa thanh", "Hòa Th"} {
		if !NameMatches("Phường Hòa Thành", q) {
			t.Errorf("%q does not find Phường Hòa Thành", q)
		}
	}
	if NameMatches("Phường Hòa Thành", "Hóa Thành") {
		t.Error("Hóa Thành found Hòa Thành")
	}
}

func TestReferenceValidate_AreaNamesAndCodes(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	bad := *ref
	bad.Areas = append([]Area(nil), ref.Areas...)
	// The same ward written with the other tone placement, in NFD.
	bad.Areas = append(bad.Areas, Area{Code: "phuong-hoa-thanh-2", Name: i18n.T("Phường "+norm.NFD.String("Hoà Thành"), ""), Level: LevelWard, ParentCode: "ca-mau", OfficialCode: "32041"},
		Area{Code: "xa-cu", Name: i18n.T("Xã Cũ", ""), Level: LevelCommune, ParentCode: "ca-mau", SuccessorCode: "xa-ngoc-hien"})
	err = bad.Validate()
	for _, want := range []string{"(phuong-hoa-thanh-2).name.vi", "(phuong-hoa-thanh-2).official_code", "(xa-cu).successor_code"} {
		if !strings.Contains(fmt.Sprint(problemFields(err)), want) {
			t.Errorf("got %v, want a problem on %s", problemFields(err), want)
		}
	}
}

// TestDefaultReference_EveryUnitRoutes: no category in any of the 64 units
// is left to the coordinator's fallback, and reports filed in the unit that
// no longer exists still route.
func TestDefaultReference_EveryUnitRoutes(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, a := range ref.Areas {
		if a.Historical || a.Level == LevelProvince {
			continue
		}
		units++
		for _, c := range ref.Categories {
			r, err := ref.Route(c.Code, a.Code)
			if err != nil {
				t.Errorf("%s in %s: %v", c.Code, a.Code, err)
				continue
			}
			if !r.Agency.Active || r.Agency.Kind == AgencyCoordinator || (r.RuleCode == "" && r.Agency.Code != c.DefaultAgencyCode) {
				t.Errorf("%s in %s goes to %s (%s), want a handling agency by a rule or the category's default", c.Code, a.Code, r.Agency.Code, r.Reason.Vi)
			}
		}
		// The unit's own people's committee handles what no department does.
		if r, _ := ref.Route("khac", a.Code); r.Agency.AreaCode != a.Code {
			t.Errorf("khac in %s goes to %s, want the unit's people's committee", a.Code, r.Agency.Code)
		}
	}
	if units != 64 {
		t.Errorf("checked %d units, want 64", units)
	}
	if r, err := ref.Route("ha-tang-do-thi", "xa-ngoc-hien"); err != nil || !r.Agency.Active {
		t.Errorf("a report filed in the historical xa-ngoc-hien: %+v, %v; want it routed", r, err)
	}
}

// BenchmarkPlace measures placing a report by its point on the built-in map
// with the index built once, as intake does (ReferenceService.Snapshot).
func BenchmarkPlace(b *testing.B) {
	ref, err := DefaultReference()
	if err != nil {
		b.Fatal(err)
	}
	ref.locator = NewLocator(ref.Areas)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pt := unitInteriorPoints[i%len(unitInteriorPoints)]
		if _, fe := place(ref, Point{Lat: pt.lat, Lng: pt.lng}, ""); fe != nil {
			b.Fatal(fe)
		}
	}
}

// BenchmarkNewLocator measures indexing the built-in map again (boundaries
// already parsed once), which Snapshot does when it reloads the dataset.
func BenchmarkNewLocator(b *testing.B) {
	ref, err := DefaultReference()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		NewLocator(ref.Areas)
	}
}
