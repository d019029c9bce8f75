package feedback

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// fixture is a small valid dataset: a province with two wards, one of which
// has a hamlet-level child used to test depth.
func fixture() *Reference {
	return &Reference{
		Categories: []Category{
			{Code: "cap-thoat-nuoc", Name: i18n.T("Cấp thoát nước", "Water")},
			{Code: "dien-chieu-sang", Name: i18n.T("Điện – chiếu sáng", "Lighting"), DefaultAgencyCode: "dien-luc"},
			{Code: "khac", Name: i18n.T("Khác", "Other")},
		},
		Agencies: []Agency{
			{Code: "dieu-phoi", Name: i18n.T("Trung tâm điều phối", "Coordinator"), Kind: AgencyCoordinator, Active: true},
			{Code: "cap-nuoc", Name: i18n.T("Công ty cấp nước", "Water company"), Kind: AgencyUtility, Active: true},
			{Code: "cap-nuoc-p5", Name: i18n.T("Xí nghiệp nước Phường 5", "Ward 5 water unit"), Kind: AgencyUtility, Active: true},
			{Code: "dien-luc", Name: i18n.T("Điện lực", "Power company"), Kind: AgencyUtility, Active: true},
			{Code: "ubnd-p5", Name: i18n.T("UBND Phường 5", "Ward 5 committee"), Kind: AgencyCommune, AreaCode: "phuong-5", Active: true},
			{Code: "ngung", Name: i18n.T("Đơn vị ngừng", "Retired"), Kind: AgencyDepartment},
		},
		Areas: []Area{
			{Code: "ca-mau", Name: i18n.T("Tỉnh Cà Mau", "Ca Mau"), Level: LevelProvince},
			{Code: "phuong-5", Name: i18n.T("Phường 5", "Ward 5"), Level: LevelWard, ParentCode: "ca-mau"},
			{Code: "phuong-6", Name: i18n.T("Phường 6", "Ward 6"), Level: LevelWard, ParentCode: "ca-mau"},
			{Code: "khom-1", Name: i18n.T("Khóm 1", "Block 1"), Level: LevelWard, ParentCode: "phuong-5"},
		},
		RoutingRules: []RoutingRule{
			{Code: "r-nuoc", CategoryCode: "cap-thoat-nuoc", AgencyCode: "cap-nuoc"},
			{Code: "r-nuoc-p5", CategoryCode: "cap-thoat-nuoc", AreaCode: "phuong-5", AgencyCode: "cap-nuoc-p5"},
			{Code: "r-p5", AreaCode: "phuong-5", AgencyCode: "ubnd-p5"},
		},
	}
}

func TestReference_Route(t *testing.T) {
	ref := fixture()
	tests := []struct {
		name, category, area, wantAgency, wantRule string
	}{
		{"category rule in the deepest matching area", "cap-thoat-nuoc", "phuong-5", "cap-nuoc-p5", "r-nuoc-p5"},
		{"an area rule covers the areas below it", "cap-thoat-nuoc", "khom-1", "cap-nuoc-p5", "r-nuoc-p5"},
		{"category rule for the whole province", "cap-thoat-nuoc", "phuong-6", "cap-nuoc", "r-nuoc"},
		{"no area: province-wide rules only", "cap-thoat-nuoc", "", "cap-nuoc", "r-nuoc"},
		{"category default beats an any-category area rule", "dien-chieu-sang", "phuong-5", "dien-luc", ""},
		{"any-category area rule", "khac", "phuong-5", "ubnd-p5", "r-p5"},
		{"nothing matches: the coordinator", "khac", "phuong-6", "dieu-phoi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ref.Route(tt.category, tt.area)
			if err != nil {
				t.Fatal(err)
			}
			if got.Agency.Code != tt.wantAgency || got.RuleCode != tt.wantRule {
				t.Fatalf("got agency %s by rule %q, want %s by rule %q", got.Agency.Code, got.RuleCode, tt.wantAgency, tt.wantRule)
			}
			if got.Reason.Vi == "" || got.Reason.En == "" {
				t.Fatalf("no reason given: %+v", got.Reason)
			}
		})
	}

	t.Run("reason names the rule, category, area and agency", func(t *testing.T) {
		got, _ := ref.Route("cap-thoat-nuoc", "phuong-5")
		if want := "quy tắc r-nuoc-p5: Cấp thoát nước tại Phường 5 → Xí nghiệp nước Phường 5"; got.Reason.Vi != want {
			t.Errorf("got %q, want %q", got.Reason.Vi, want)
		}
	})
	t.Run("inactive agencies are passed over", func(t *testing.T) {
		ref := fixture()
		ref.Agencies[2].Active = false // cap-nuoc-p5
		got, _ := ref.Route("cap-thoat-nuoc", "phuong-5")
		if got.Agency.Code != "cap-nuoc" {
			t.Errorf("got %s, want cap-nuoc", got.Agency.Code)
		}
	})
	t.Run("unknown category or area", func(t *testing.T) {
		if _, err := ref.Route("nope", ""); apperr.CodeOf(err) != apperr.EINVALID {
			t.Errorf("unknown category: got %v, want EINVALID", err)
		}
		if _, err := ref.Route("khac", "nope"); apperr.CodeOf(err) != apperr.EINVALID {
			t.Errorf("unknown area: got %v, want EINVALID", err)
		}
	})
	t.Run("no coordinator", func(t *testing.T) {
		ref := fixture()
		ref.Agencies[0].Active = false
		if _, err := ref.Route("khac", "phuong-6"); apperr.CodeOf(err) != apperr.ENOTFOUND {
			t.Errorf("got %v, want ENOTFOUND", err)
		}
	})
}

func TestReference_Validate(t *testing.T) {
	if err := fixture().Validate(); err != nil {
		t.Fatalf("the fixture is invalid: %v", err)
	}
	tests := []struct {
		name   string
		change func(r *Reference)
		field  string // a field the error must name
	}{
		{"unknown parent", func(r *Reference) { r.Areas[1].ParentCode = "quan-1" }, "areas[1] (phuong-5).parent_code"},
		{"cycle", func(r *Reference) { r.Areas[1].ParentCode = "khom-1" }, "areas[1] (phuong-5).parent_code"},
		{"own parent", func(r *Reference) { r.Areas[2].ParentCode = "phuong-6" }, "areas[2] (phuong-6).parent_code"},
		{"duplicate category", func(r *Reference) { r.Categories = append(r.Categories, r.Categories[0]) }, "categories[3] (cap-thoat-nuoc).code"},
		{"duplicate area", func(r *Reference) { r.Areas[3].Code = "phuong-6" }, "areas[3] (phuong-6).code"},
		{"missing Vietnamese name", func(r *Reference) { r.Agencies[1].Name = i18n.T("", "Water company") }, "agencies[1] (cap-nuoc).name.vi"},
		{"bad code", func(r *Reference) { r.Categories[2].Code = "Khác" }, "categories[2] (Khác).code"},
		{"unknown agency in a rule", func(r *Reference) { r.RoutingRules[0].AgencyCode = "so-x" }, "routing_rules[0] (r-nuoc).agency_code"},
		{"inactive agency in a rule", func(r *Reference) { r.RoutingRules[0].AgencyCode = "ngung" }, "routing_rules[0] (r-nuoc).agency_code"},
		{"unknown category in a rule", func(r *Reference) { r.RoutingRules[0].CategoryCode = "y-te" }, "routing_rules[0] (r-nuoc).category_code"},
		{"unknown area in a rule", func(r *Reference) { r.RoutingRules[2].AreaCode = "phuong-9" }, "routing_rules[2] (r-p5).area_code"},
		{"two rules, one scope", func(r *Reference) {
			r.RoutingRules = append(r.RoutingRules, RoutingRule{Code: "r-x", CategoryCode: "cap-thoat-nuoc", AgencyCode: "dien-luc"})
		}, "routing_rules[3] (r-x).area_code"},
		{"unknown default agency", func(r *Reference) { r.Categories[0].DefaultAgencyCode = "so-x" }, "categories[0] (cap-thoat-nuoc).default_agency_code"},
		{"unknown agency area", func(r *Reference) { r.Agencies[4].AreaCode = "phuong-9" }, "agencies[4] (ubnd-p5).area_code"},
		{"bad agency kind", func(r *Reference) { r.Agencies[1].Kind = "ministry" }, "agencies[1] (cap-nuoc).kind"},
		{"no coordinator", func(r *Reference) { r.Agencies[0].Kind = AgencyDepartment }, "agencies"},
		{"out of scope without a message", func(r *Reference) { r.Categories[2].OutOfScope = true }, "categories[2] (khac).out_of_scope_message.vi"},
		{"negative SLA", func(r *Reference) { r.Categories[0].SLA = &SLA{ResponseHours: -1} }, "categories[0] (cap-thoat-nuoc).sla.response_hours"},
		{"boundary not a polygon", func(r *Reference) {
			r.Areas[1].Boundary = json.RawMessage(`{"type":"Point","coordinates":[105,9]}`)
		}, "areas[1] (phuong-5).boundary"},
		{"boundary ring not closed", func(r *Reference) {
			r.Areas[1].Boundary = json.RawMessage(`{"type":"Polygon","coordinates":[[[105,9],[106,9],[106,10],[105,10]]]}`)
		}, "areas[1] (phuong-5).boundary"},
		{"boundary with a stray key", func(r *Reference) {
			r.Areas[1].Boundary = json.RawMessage(`{"type":"Polygon","$where":"1","coordinates":[[[105,9],[106,9],[106,10],[105,9]]]}`)
		}, "areas[1] (phuong-5).boundary"},
		{"calendar: unknown zone", func(r *Reference) { r.Calendar = validCalendar(); r.Calendar.TimeZone = "Asia/Sai_Gon" }, "calendar.time_zone"},
		{"calendar: overlapping spans", func(r *Reference) {
			r.Calendar = validCalendar()
			r.Calendar.WorkingHours["monday"] = []Span{{"07:00", "12:00"}, {"11:00", "17:00"}}
		}, "calendar.working_hours.monday[1]"},
		{"calendar: bad weekday", func(r *Reference) { r.Calendar = validCalendar(); r.Calendar.WorkingHours["thu-hai"] = nil }, "calendar.working_hours.thu-hai"},
		{"calendar: date in another year", func(r *Reference) {
			r.Calendar = validCalendar()
			r.Calendar.Years[0].Holidays[0].Date = "2027-01-01"
		}, "calendar.years[0].holidays[0] (2027-01-01).date"},
		{"calendar: missing SLA", func(r *Reference) { r.Calendar = validCalendar(); r.Calendar.DefaultSLA.ResponseHours = 0 }, "calendar.default_sla"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := fixture()
			tt.change(ref)
			err := ref.Validate()
			var ae *apperr.Error
			if !asAppErr(err, &ae) || ae.Code != apperr.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			var fields []string
			for _, f := range ae.Fields {
				fields = append(fields, f.Field)
				if f.Message.Vi == "" || f.Message.En == "" {
					t.Errorf("field %s: message missing a language: %+v", f.Field, f.Message)
				}
			}
			if !contains(fields, tt.field) {
				t.Fatalf("error names %v, want it to name %s", fields, tt.field)
			}
		})
	}
	t.Run("every problem is listed", func(t *testing.T) {
		ref := fixture()
		ref.Areas[1].ParentCode = "quan-1"
		ref.Agencies[1].Name.Vi = ""
		err := ref.Validate()
		var ae *apperr.Error
		asAppErr(err, &ae)
		if ae == nil || len(ae.Fields) != 2 {
			t.Fatalf("got %v, want exactly 2 problems", err)
		}
	})
}

func validCalendar() Calendar {
	day := []Span{{"07:00", "11:30"}, {"13:30", "17:00"}}
	return Calendar{
		TimeZone: "Asia/Ho_Chi_Minh",
		WorkingHours: map[string][]Span{
			"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
		},
		DefaultSLA: SLA{DispatchHours: 2, DispatchHoursDayOff: 12, ResponseHours: 4, ResponseHoursDayOff: 24},
		Years: []CalendarYear{{
			Year:        2026,
			Holidays:    []CalendarDay{{Date: "2026-01-01", Name: i18n.T("Tết Dương lịch", "New Year")}, {Date: "2026-01-02", Name: i18n.T("Nghỉ bù", "Bridge day")}},
			WorkingDays: []CalendarDay{{Date: "2026-01-10", Name: i18n.T("Làm bù", "Make-up day")}},
		}},
	}
}

func TestCalendar_WorkingSpans(t *testing.T) {
	cal := validCalendar()
	loc := cal.Location()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		when  string
		spans int
		first string
	}{
		{"2026-01-05 03:00", 2, "07:00"}, // Monday, any time of the day
		{"2026-01-03 10:00", 0, ""},      // Saturday
		{"2026-01-04 10:00", 0, ""},      // Sunday
		{"2026-01-01 10:00", 0, ""},      // holiday on a Thursday
		{"2026-01-02 10:00", 0, ""},      // bridge day off
		{"2026-01-10 10:00", 2, "07:00"}, // Saturday worked in exchange
	}
	for _, tt := range tests {
		got := cal.WorkingSpans(at(tt.when))
		if len(got) != tt.spans {
			t.Errorf("%s: got %d spans, want %d", tt.when, len(got), tt.spans)
			continue
		}
		if tt.spans > 0 && got[0][0].Format("15:04") != tt.first {
			t.Errorf("%s: first span starts %s, want %s", tt.when, got[0][0].Format("15:04"), tt.first)
		}
	}
	// A UTC instant late on Sunday is already Monday morning in Cà Mau.
	sundayUTC := time.Date(2026, 1, 4, 23, 30, 0, 0, time.UTC)
	if !cal.IsWorkingDay(sundayUTC) {
		t.Error("2026-01-04 23:30 UTC is Monday 06:30 in Cà Mau: want a working day")
	}
}

func TestBoundary_Contains(t *testing.T) {
	b, err := ParseBoundary(json.RawMessage(`{"type":"MultiPolygon","coordinates":[
		[[[105.0,9.0],[105.2,9.0],[105.2,9.2],[105.0,9.2],[105.0,9.0]],[[105.05,9.05],[105.1,9.05],[105.1,9.1],[105.05,9.1],[105.05,9.05]]],
		[[[106.0,9.0],[106.1,9.0],[106.1,9.1],[106.0,9.0]]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		p    Point
		want bool
	}{
		{Point{Lat: 9.15, Lng: 105.15}, true},
		{Point{Lat: 9.07, Lng: 105.07}, false}, // in the hole
		{Point{Lat: 9.02, Lng: 106.05}, true},  // second polygon
		{Point{Lat: 9.5, Lng: 105.1}, false},
	} {
		if got := b.Contains(tt.p); got != tt.want {
			t.Errorf("Contains(%+v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestDecodeReference(t *testing.T) {
	_, err := DecodeReference([]byte("{\n  \"categories\": [\n    {\"code\": \"a\",}\n  ]\n}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("syntax error: got %v, want the line named", err)
	}
	_, err = DecodeReference([]byte(`{"categories": [], "colour": "red"}`))
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field: got %v, want it named", err)
	}
	_, err = DecodeReference([]byte(`{"categories": [{"code": {"$ne": ""}}]}`))
	if err == nil || !strings.Contains(err.Error(), "code") {
		t.Errorf("object for a string: got %v, want an error naming the field", err)
	}
	_, err = DecodeReference([]byte(`{} {}`))
	if err == nil {
		t.Error("trailing data: got nil, want an error")
	}
	ref, _ := DefaultReference()
	data, err := ref.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeReference(data)
	if err != nil {
		t.Fatalf("the export format does not read back: %v", err)
	}
	data2, _ := again.MarshalIndent()
	if string(data) != string(data2) {
		t.Error("export → import → export changed the file")
	}
}

func asAppErr(err error, target **apperr.Error) bool {
	ae, ok := err.(*apperr.Error)
	*target = ae
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
