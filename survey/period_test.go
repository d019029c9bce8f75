package survey

import (
	"testing"
	"time"
)

func TestParseMonthRange(t *testing.T) {
	now := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC) // 1 Dec 2026 in Cà Mau
	tests := []struct {
		from, to         string
		wantFrom, wantTo string
	}{
		{"", "", "2026-01", "2026-12"},
		{"2026-03", "", "2026-03", "2026-12"},
		{"", "2026-06", "2025-07", "2026-06"},
		{"2026-03-15", "2026-04-01", "2026-03", "2026-04"},
		{"2026-05", "2026-05", "2026-05", "2026-05"},
		{"2017-01", "2026-12", "2017-01", "2026-12"}, // 120 months
	}
	for _, tt := range tests {
		from, to, err := ParseMonthRange(tt.from, tt.to, now)
		if err != nil || from != tt.wantFrom || to != tt.wantTo {
			t.Errorf("ParseMonthRange(%q, %q) = %s, %s, %v; want %s, %s", tt.from, tt.to, from, to, err, tt.wantFrom, tt.wantTo)
		}
	}
	bad := []struct{ from, to, field string }{
		{"2026-13", "", "from"},
		{"2026-1", "", "from"},
		{"", "next month", "to"},
		{"2026-02-30", "", "from"},
		{"2026-05", "2026-04", "from"},
		{"2016-12", "2026-12", "from"}, // 121 months
		{"", "0000-05", "to"},          // no year 0: no month "0000--6" before it
		{"1899-12-31", "1900-02", "from"},
	}
	for _, tt := range bad {
		_, _, err := ParseMonthRange(tt.from, tt.to, now)
		if _, ok := fieldsOf(t, err)[tt.field]; !ok {
			t.Errorf("ParseMonthRange(%q, %q): got %v, want a problem with %s", tt.from, tt.to, err, tt.field)
		}
	}
}

func TestPreviousRange(t *testing.T) {
	tests := []struct{ from, to, wantFrom, wantTo string }{
		{"2026-01", "2026-12", "2025-01", "2025-12"},
		{"2026-03", "2026-05", "2025-12", "2026-02"},
		{"2026-11", "2026-11", "2026-10", "2026-10"},
		{"bad", "2026-11", "", ""},
		{"2026-12", "2026-11", "", ""},
	}
	for _, tt := range tests {
		if f, to := PreviousRange(tt.from, tt.to); f != tt.wantFrom || to != tt.wantTo {
			t.Errorf("PreviousRange(%s, %s) = %s, %s; want %s, %s", tt.from, tt.to, f, to, tt.wantFrom, tt.wantTo)
		}
	}
}

func TestQuarterOf(t *testing.T) {
	for in, want := range map[string]string{
		"2026-01": "2026-Q1", "2026-03": "2026-Q1", "2026-04": "2026-Q2",
		"2026-09": "2026-Q3", "2026-10": "2026-Q4", "2026-12": "2026-Q4", "2026-13": "", "": "",
	} {
		if got := QuarterOf(in); got != want {
			t.Errorf("QuarterOf(%q) = %q, want %q", in, got, want)
		}
	}
}
