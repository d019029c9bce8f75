package feedback

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultReference(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.Validate(); err != nil {
		t.Fatalf("the built-in dataset is invalid: %v", err)
	}
	want := []string{"an-ninh-trat-tu", "ha-tang-do-thi", "ve-sinh-moi-truong", "gop-y-hien-ke", "y-te", "giao-duc",
		"dien-chieu-sang", "cap-thoat-nuoc", "vi-pham-phap-luat", "du-lich", "khac", "thu-tuc-hanh-chinh", "khieu-nai-to-cao"}
	cats := map[string]Category{}
	for _, c := range ref.Categories {
		cats[c.Code] = c
		if c.Name.En == "" {
			t.Errorf("category %s has no English name", c.Code)
		}
	}
	for _, code := range want {
		if _, ok := cats[code]; !ok {
			t.Errorf("category %s missing", code)
		}
	}
	for _, code := range []string{"thu-tuc-hanh-chinh", "khieu-nai-to-cao"} {
		if c := cats[code]; !c.OutOfScope || c.OutOfScopeMessage.En == "" {
			t.Errorf("category %s: out_of_scope=%v message=%q, want out of scope with a message in both languages", code, c.OutOfScope, c.OutOfScopeMessage.En)
		}
	}
	communes := 0
	var province string
	for _, a := range ref.Areas {
		switch a.Level {
		case LevelProvince:
			province = a.Code
		case LevelCommune, LevelWard, LevelSpecialZone:
			communes++
		}
	}
	if province == "" || communes < 10 {
		t.Errorf("got province %q and %d communes/wards, want the province and at least 10", province, communes)
	}
	coordinators := 0
	for _, a := range ref.Agencies {
		if a.Kind == AgencyCoordinator {
			coordinators++
		}
	}
	if coordinators == 0 {
		t.Error("no coordinator agency")
	}

	// Tết and Giỗ Tổ Hùng Vương follow the lunar calendar: check the
	// dataset's 2026 and 2027 dates.
	cal := ref.Calendar
	loc := cal.Location()
	for _, tt := range []struct {
		date    string
		working bool
	}{
		{"2026-01-01", false}, // Tết Dương lịch
		{"2026-02-17", false}, // Mùng 1 Tết Bính Ngọ
		{"2026-02-18", false},
		{"2026-04-27", false}, // Giỗ Tổ 10/3 âm lịch falls on Sunday 26 April: compensated on Monday
		{"2026-04-30", false},
		{"2026-05-01", false},
		{"2026-09-02", false},
		{"2026-03-03", true},  // an ordinary Tuesday
		{"2026-03-07", false}, // an ordinary Saturday
		{"2027-02-06", false}, // Mùng 1 Tết Đinh Mùi
		{"2027-04-16", false}, // Giỗ Tổ 10/3 âm lịch
	} {
		day, _ := time.ParseInLocation(time.DateOnly, tt.date, loc)
		if got := cal.IsWorkingDay(day.Add(9 * time.Hour)); got != tt.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date, got, tt.working)
		}
	}
}

func TestCalendar_AutoCloseDays(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	c := ref.Calendar
	if got := c.AutoCloseAfter(); got != 7*24*time.Hour {
		t.Fatalf("default: %v, want 7 days", got)
	}
	c.AutoCloseDays = 3
	if got := c.AutoCloseAfter(); got != 72*time.Hour {
		t.Fatalf("3 days: %v", got)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.AutoCloseDays = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "auto_close_days") {
		t.Fatalf("negative days: %v", err)
	}
}

func TestCalendar_Warnings(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	cal := ref.Calendar
	at := func(y int) time.Time { return time.Date(y, 6, 1, 12, 0, 0, 0, cal.Location()) }
	tests := []struct {
		year int
		want []string
	}{
		{2025, []string{"has no year 2025"}},
		{2026, []string{"2027 is provisional"}},
		{2027, []string{"2027 is provisional", "has no year 2028"}},
	}
	for _, tt := range tests {
		got := cal.Warnings(at(tt.year))
		if len(got) != len(tt.want) {
			t.Errorf("%d: got %q, want %d warnings", tt.year, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%d: warning %q, want it to say %q", tt.year, got[i], w)
			}
		}
	}
	if listed, provisional := cal.YearStatus(2026); !listed || provisional {
		t.Errorf("2026: listed=%v provisional=%v, want an announced year", listed, provisional)
	}
}

// TestDefaultCalendar_Sources: every 2026 and 2027 day names its source,
// 2026 has the National Day bridge and its make-up Saturday, and every
// default limit says whether the regulation or a local choice sets it.
func TestDefaultCalendar_Sources(t *testing.T) {
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	cal := ref.Calendar
	for _, y := range cal.Years {
		if y.Source == "" {
			t.Errorf("%d has no source", y.Year)
		}
		for _, d := range append(append([]CalendarDay{}, y.Holidays...), y.WorkingDays...) {
			if d.Source == "" {
				t.Errorf("%s has no source", d.Date)
			}
		}
	}
	at := func(s string) time.Time {
		tm, _ := time.ParseInLocation(time.DateOnly, s, cal.Location())
		return tm.Add(9 * time.Hour)
	}
	for day, working := range map[string]bool{"2026-08-22": true, "2026-08-29": false, "2026-08-31": false,
		"2026-09-01": false, "2026-09-02": false, "2026-09-03": true} {
		if cal.IsWorkingDay(at(day)) != working {
			t.Errorf("%s: working day = %v, want %v", day, !working, working)
		}
	}
	want := map[string]LimitBasis{
		"default_sla.dispatch_hours": BasisRegulation, "default_sla.dispatch_hours_day_off": BasisRegulation,
		"default_sla.response_hours": BasisRegulation, "default_sla.response_hours_day_off": BasisRegulation,
		"default_sla.resolution_working_days": BasisLocal, "urgent_sla": BasisLocal,
	}
	for k, b := range want {
		if got, _ := cal.LimitSource(k); got.Basis != b || got.Source == "" {
			t.Errorf("limit_sources[%s] = %+v, want basis %s with a source", k, got, b)
		}
	}
	bad := cal
	bad.LimitSources = []LimitSource{{Limit: "urgent_sla", Basis: "folklore"}}
	if err := bad.Validate(); err == nil {
		t.Error("a limit source with an unknown basis and no source passed validation")
	}
}
