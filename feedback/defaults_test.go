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
