package feedback

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// dlCaMau returns the calendar and categories of the built-in dataset, so the
// tests pin the real working hours and holidays rather than a copy of them.
func dlCaMau(t *testing.T) (Calendar, map[string]Category) {
	t.Helper()
	ref, err := DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	cats := map[string]Category{}
	for _, c := range ref.Categories {
		cats[c.Code] = c
	}
	return ref.Calendar, cats
}

// dlAt parses a local "2006-01-02 15:04" time in the calendar's zone.
func dlAt(t *testing.T, c Calendar, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location())
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// dlRFC formats an instant as the tests expect it: RFC 3339 with the offset,
// which also proves the result is in the calendar's zone.
func dlRFC(tm time.Time) string { return tm.Format(time.RFC3339) }

func TestAddWorkingTime_CaMau(t *testing.T) {
	cal, _ := dlCaMau(t)
	tests := []struct {
		name  string
		start string
		d     time.Duration
		want  string
	}{
		{"within the morning", "2026-03-02 09:00", 2 * time.Hour, "2026-03-02T11:00:00+07:00"},
		{"crosses lunch", "2026-03-02 10:30", 2 * time.Hour, "2026-03-02T14:30:00+07:00"},
		{"crosses the night", "2026-03-02 16:30", 2 * time.Hour, "2026-03-03T08:30:00+07:00"},
		{"skips the weekend", "2026-03-06 16:00", 4 * time.Hour, "2026-03-09T10:00:00+07:00"},
		{"starts during lunch", "2026-03-02 12:00", time.Hour, "2026-03-02T14:30:00+07:00"},
		{"starts before opening", "2026-03-02 05:00", time.Hour, "2026-03-02T08:00:00+07:00"},
		{"starts at the lunch break", "2026-03-02 11:30", time.Hour, "2026-03-02T14:30:00+07:00"},
		{"starts at closing", "2026-03-02 17:00", time.Hour, "2026-03-03T08:00:00+07:00"},
		{"starts in the evening", "2026-03-02 20:00", time.Hour, "2026-03-03T08:00:00+07:00"},
		{"exact fit ends at closing, not next morning", "2026-03-02 16:00", time.Hour, "2026-03-02T17:00:00+07:00"},
		{"exact fit ends at the lunch break", "2026-03-02 10:30", time.Hour, "2026-03-02T11:30:00+07:00"},
		{"a whole working day is 8 hours", "2026-03-02 07:00", 8 * time.Hour, "2026-03-02T17:00:00+07:00"},
		{"one minute more spills over", "2026-03-02 07:00", 8*time.Hour + time.Minute, "2026-03-03T07:01:00+07:00"},
		{"from Saturday counts from Monday", "2026-03-07 10:00", time.Hour, "2026-03-09T08:00:00+07:00"},
		{"from Sunday counts from Monday", "2026-03-08 23:59", 2 * time.Hour, "2026-03-09T09:00:00+07:00"},
		{"half an hour across lunch", "2026-03-02 11:15", 30 * time.Minute, "2026-03-02T13:45:00+07:00"},
		// Fri 13 Feb 2026: one hour left today, then Sat 14, Sun 15, Tết
		// Mon 16–Fri 20, Sat 21, Sun 22 are all off.
		{"Tết", "2026-02-13 16:00", 2 * time.Hour, "2026-02-23T08:00:00+07:00"},
		{"during Tết", "2026-02-18 10:00", time.Hour, "2026-02-23T08:00:00+07:00"},
		// Sat 10 Jan 2026 is worked to make up for the Fri 2 Jan bridge day.
		{"make-up Saturday counts", "2026-01-09 16:00", 2 * time.Hour, "2026-01-10T08:00:00+07:00"},
		{"make-up Saturday from its start", "2026-01-10 06:00", 5 * time.Hour, "2026-01-10T14:00:00+07:00"},
		{"New Year 2026 and its bridge day", "2025-12-31 16:00", 2 * time.Hour, "2026-01-05T08:00:00+07:00"},
		// Thu 31 Dec 2026 → Fri 1 Jan 2027 is a holiday (listed for 2027),
		// Sat 2 and Sun 3 are the weekend.
		{"across the year boundary", "2026-12-31 16:00", 4 * time.Hour, "2027-01-04T10:00:00+07:00"},
		{"Hung Kings compensating Monday", "2026-04-24 16:00", 2 * time.Hour, "2026-04-28T08:00:00+07:00"},
		{"30 April and 1 May", "2026-04-29 16:00", 2 * time.Hour, "2026-05-04T08:00:00+07:00"},
		{"zero duration", "2026-03-02 12:00", 0, "2026-03-02T12:00:00+07:00"},
		{"negative duration", "2026-03-07 12:00", -time.Hour, "2026-03-07T12:00:00+07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddWorkingTime(dlAt(t, cal, tt.start), tt.d)
			if dlRFC(got) != tt.want {
				t.Errorf("AddWorkingTime(%s, %v) = %s, want %s", tt.start, tt.d, dlRFC(got), tt.want)
			}
		})
	}
}

func TestAddWorkingTime_HandBuilt(t *testing.T) {
	// A night shift that runs across midnight, in UTC: the span ending at
	// "24:00" must join the next day's span starting at "00:00".
	night := Calendar{
		TimeZone: "UTC",
		WorkingHours: map[string][]Span{
			"monday":  {{"22:00", "24:00"}},
			"tuesday": {{"00:00", "06:00"}},
		},
	}
	start := time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC) // Monday
	if got, want := dlRFC(night.AddWorkingTime(start, 2*time.Hour)), "2026-03-03T01:00:00Z"; got != want {
		t.Errorf("across midnight: got %s, want %s", got, want)
	}
	// Seven hours of Mon+Tue is all there is in a week: the eighth hour is
	// the next Monday night.
	if got, want := dlRFC(night.AddWorkingTime(start, 8*time.Hour)), "2026-03-09T23:00:00Z"; got != want {
		t.Errorf("to the next week: got %s, want %s", got, want)
	}

	// A calendar with no hours at all must terminate and fall back to clock
	// time rather than search forever.
	empty := Calendar{TimeZone: "Asia/Ho_Chi_Minh"}
	begin := time.Now()
	got := empty.AddWorkingTime(start, 3*time.Hour)
	if !got.Equal(start.Add(3 * time.Hour)) {
		t.Errorf("no hours: got %s, want start + 3h", dlRFC(got))
	}
	if elapsed := time.Since(begin); elapsed > 5*time.Second {
		t.Errorf("no hours: took %v", elapsed)
	}
	// Every day a holiday is no better than no hours.
	if got := empty.AddWorkingDays(start, 2); !got.Equal(start.AddDate(0, 0, 2)) {
		t.Errorf("no hours, AddWorkingDays: got %s, want start + 2 days", dlRFC(got))
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal, _ := dlCaMau(t)
	tests := []struct {
		name  string
		start string
		n     int
		want  string
	}{
		{"next day", "2026-03-02 09:00", 1, "2026-03-03T17:00:00+07:00"},
		{"received early still excludes its own day", "2026-03-02 00:01", 1, "2026-03-03T17:00:00+07:00"},
		{"ten working days", "2026-03-03 10:00", 10, "2026-03-17T17:00:00+07:00"},
		{"from Sunday, Monday is the first", "2026-03-08 09:00", 1, "2026-03-09T17:00:00+07:00"},
		{"across Tết", "2026-02-13 09:00", 1, "2026-02-23T17:00:00+07:00"},
		{"make-up Saturday", "2026-01-09 09:00", 1, "2026-01-10T17:00:00+07:00"},
		{"across the year boundary", "2026-12-31 10:00", 3, "2027-01-06T17:00:00+07:00"},
		{"n = 0 returns start", "2026-03-02 09:00", 0, "2026-03-02T09:00:00+07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AddWorkingDays(dlAt(t, cal, tt.start), tt.n)
			if dlRFC(got) != tt.want {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.start, tt.n, dlRFC(got), tt.want)
			}
		})
	}
}

func TestEffectiveSLA(t *testing.T) {
	cal := Calendar{
		DefaultSLA: SLA{DispatchHours: 2, DispatchHoursDayOff: 12, ResponseHours: 4, ResponseHoursDayOff: 24, ResolutionWorkingDays: 10},
		UrgentSLA:  SLA{DispatchHours: 1, ResolutionWorkingDays: 3},
	}
	plain := Category{Code: "plain"}
	withSLA := Category{Code: "with-sla", SLA: &SLA{DispatchHours: 3, ResponseHours: 6}}
	withBoth := Category{Code: "with-both", SLA: &SLA{DispatchHours: 3, ResponseHours: 6}, UrgentSLA: &SLA{DispatchHours: 0.5}}
	tests := []struct {
		name   string
		cat    Category
		urgent bool
		want   SLA
	}{
		{"default only", plain, false, SLA{2, 12, 4, 24, 10}},
		{"category overrides some fields", withSLA, false, SLA{3, 12, 6, 24, 10}},
		{"category's urgent SLA ignored when not urgent", withBoth, false, SLA{3, 12, 6, 24, 10}},
		{"calendar urgent over default", plain, true, SLA{1, 12, 4, 24, 3}},
		// Urgent limits come after the category's plain ones: an urgent
		// report is never slower than the calendar's urgent limits.
		{"calendar urgent over category SLA", withSLA, true, SLA{1, 12, 6, 24, 3}},
		{"category urgent wins last", withBoth, true, SLA{0.5, 12, 6, 24, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.EffectiveSLA(tt.cat, tt.urgent); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if cal.DefaultSLA != (SLA{2, 12, 4, 24, 10}) || *withBoth.SLA != (SLA{DispatchHours: 3, ResponseHours: 6}) {
		t.Error("EffectiveSLA modified its inputs")
	}

	// The real dataset: public-order reports have their own urgent limits
	// but take the resolution limit from the calendar's urgent SLA.
	camau, cats := dlCaMau(t)
	if got, want := camau.EffectiveSLA(cats["an-ninh-trat-tu"], true), (SLA{0.5, 1, 1, 2, 3}); got != want {
		t.Errorf("an-ninh-trat-tu urgent: got %+v, want %+v", got, want)
	}
	if got, want := camau.EffectiveSLA(cats["an-ninh-trat-tu"], false), (SLA{2, 12, 4, 24, 10}); got != want {
		t.Errorf("an-ninh-trat-tu: got %+v, want %+v", got, want)
	}
}

func TestDeadlinesFor(t *testing.T) {
	cal, cats := dlCaMau(t)
	infra := cats["ha-tang-do-thi"] // no overrides of its own
	order := cats["an-ninh-trat-tu"]
	slow := Category{Code: "slow", SLA: &SLA{ResponseHours: 8, ResolutionWorkingDays: 5}}
	tests := []struct {
		name                           string
		received                       string
		cat                            Category
		urgent                         bool
		dispatch, response, resolution string
	}{
		// 10:00–11:30 is 1.5 h, then 13:30 + 0.5 h; response 14:00–17:00 is
		// 3 h, then Wednesday 07:00 + 1 h. Resolution: 10 working days after
		// Tuesday 3 March is Tuesday 17 March.
		{"working day", "2026-03-03 10:00", infra, false,
			"2026-03-03T14:00:00+07:00", "2026-03-04T08:00:00+07:00", "2026-03-17T17:00:00+07:00"},
		// Sunday: 12 clock hours; dispatch_due is still Sunday, so the
		// response would get 24 clock hours (Monday 21:00), but never ends
		// later than one received at Monday 00:00: 4 working hours, 11:00.
		{"Sunday", "2026-03-08 09:00", infra, false,
			"2026-03-08T21:00:00+07:00", "2026-03-09T11:00:00+07:00", "2026-03-20T17:00:00+07:00"},
		// Sunday evening: dispatch_due falls on Monday morning, a working
		// day, so the response counts working hours: 08:00–11:30, 13:30 +
		// 0.5 h.
		{"Sunday evening into Monday", "2026-03-08 20:00", infra, false,
			"2026-03-09T08:00:00+07:00", "2026-03-09T14:00:00+07:00", "2026-03-20T17:00:00+07:00"},
		// A working day after hours, with the weekend next: the day-off
		// duty takes it over at Saturday 00:00 with its 12 clock hours
		// (not Monday 09:00), and the response gets 24 clock hours.
		{"Friday evening", "2026-03-06 20:00", infra, false,
			"2026-03-07T12:00:00+07:00", "2026-03-08T12:00:00+07:00", "2026-03-20T17:00:00+07:00"},
		// A weeknight with a working day next counts working hours.
		{"Tuesday evening", "2026-03-03 20:00", infra, false,
			"2026-03-04T09:00:00+07:00", "2026-03-04T15:00:00+07:00", "2026-03-17T17:00:00+07:00"},
		// A Tết holiday counts clock hours like a weekend.
		{"Tết holiday", "2026-02-17 09:00", infra, false,
			"2026-02-17T21:00:00+07:00", "2026-02-18T21:00:00+07:00", "2026-03-06T17:00:00+07:00"},
		// The calendar's urgent SLA: dispatch 1 h, response 2 h across
		// lunch, resolution 3 working days.
		{"urgent, calendar urgent SLA", "2026-03-03 10:00", infra, true,
			"2026-03-03T11:00:00+07:00", "2026-03-03T15:00:00+07:00", "2026-03-06T17:00:00+07:00"},
		// Public order's own urgent SLA: 0.5 h then 1 h, which ends exactly
		// at the lunch break.
		{"urgent, category urgent SLA", "2026-03-03 10:00", order, true,
			"2026-03-03T10:30:00+07:00", "2026-03-03T11:30:00+07:00", "2026-03-06T17:00:00+07:00"},
		{"urgent on Saturday", "2026-03-07 10:00", order, true,
			"2026-03-07T11:00:00+07:00", "2026-03-07T13:00:00+07:00", "2026-03-11T17:00:00+07:00"},
		// Response 8 h from 14:00: 3 h Tuesday, 4.5 h Wednesday morning,
		// 0.5 h after lunch. Resolution 5 working days.
		{"category SLA override", "2026-03-03 10:00", slow, false,
			"2026-03-03T14:00:00+07:00", "2026-03-04T14:00:00+07:00", "2026-03-10T17:00:00+07:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.DeadlinesFor(dlAt(t, cal, tt.received), tt.cat, tt.urgent)
			if dlRFC(got.DispatchDue) != tt.dispatch {
				t.Errorf("dispatch_due = %s, want %s", dlRFC(got.DispatchDue), tt.dispatch)
			}
			if dlRFC(got.ResponseDue) != tt.response {
				t.Errorf("response_due = %s, want %s", dlRFC(got.ResponseDue), tt.response)
			}
			if dlRFC(got.ResolutionDue) != tt.resolution {
				t.Errorf("resolution_due = %s, want %s", dlRFC(got.ResolutionDue), tt.resolution)
			}
		})
	}

	t.Run("no resolution limit", func(t *testing.T) {
		c := cal
		c.DefaultSLA.ResolutionWorkingDays = 0
		got := c.DeadlinesFor(dlAt(t, c, "2026-03-03 10:00"), infra, false)
		if !got.ResolutionDue.Equal(got.ResponseDue) {
			t.Errorf("resolution_due = %s, want response_due %s", dlRFC(got.ResolutionDue), dlRFC(got.ResponseDue))
		}
	})

	t.Run("json field names", func(t *testing.T) {
		b, err := json.Marshal(cal.DeadlinesFor(dlAt(t, cal, "2026-03-03 10:00"), infra, false))
		if err != nil {
			t.Fatal(err)
		}
		want := `{"dispatch_due":"2026-03-03T14:00:00+07:00","response_due":"2026-03-04T08:00:00+07:00","resolution_due":"2026-03-17T17:00:00+07:00"}`
		if string(b) != want {
			t.Errorf("got %s, want %s", b, want)
		}
	})
}

func TestDeadlinesFor_UTCInput(t *testing.T) {
	cal, cats := dlCaMau(t)
	infra := cats["ha-tang-do-thi"]
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 01:00Z is Monday 08:00 in Cà Mau: a working day, 2 working hours.
	got := cal.DeadlinesFor(utc("2026-03-02T01:00:00Z"), infra, false)
	for name, pair := range map[string][2]string{
		"dispatch_due":   {dlRFC(got.DispatchDue), "2026-03-02T10:00:00+07:00"},
		"response_due":   {dlRFC(got.ResponseDue), "2026-03-02T16:00:00+07:00"},
		"resolution_due": {dlRFC(got.ResolutionDue), "2026-03-16T17:00:00+07:00"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %s, want %s", name, pair[0], pair[1])
		}
	}
	// 20:00Z on Saturday is already Sunday 03:00 locally: still a day off,
	// so clock hours, but reported in the calendar's zone.
	got = cal.DeadlinesFor(utc("2026-03-07T20:00:00Z"), infra, false)
	if want := "2026-03-08T15:00:00+07:00"; dlRFC(got.DispatchDue) != want {
		t.Errorf("dispatch_due = %s, want %s", dlRFC(got.DispatchDue), want)
	}
	// 23:30Z on Sunday is Monday 06:30 locally: a working day, counting
	// from 07:00.
	got = cal.DeadlinesFor(utc("2026-03-08T23:30:00Z"), infra, false)
	if want := "2026-03-09T09:00:00+07:00"; dlRFC(got.DispatchDue) != want {
		t.Errorf("dispatch_due = %s, want %s", dlRFC(got.DispatchDue), want)
	}
	if got.DispatchDue.Location().String() != cal.Location().String() {
		t.Errorf("zone = %s, want %s", got.DispatchDue.Location(), cal.Location())
	}
	// AddWorkingTime itself converts too.
	if got, want := dlRFC(cal.AddWorkingTime(utc("2026-03-02T03:30:00Z"), 2*time.Hour)), "2026-03-02T14:30:00+07:00"; got != want {
		t.Errorf("AddWorkingTime from UTC = %s, want %s", got, want)
	}
}

func TestDeadlineHoursDuration(t *testing.T) {
	tests := []struct {
		h    float64
		want time.Duration
	}{
		{2, 2 * time.Hour},
		{0.5, 30 * time.Minute},
		{0.1, 6 * time.Minute}, // not exactly representable in binary
		{1.25, 75 * time.Minute},
		{0, 0},
		{-1, 0},
		{math.NaN(), 0},
		{1e300, time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		if got := hoursDuration(tt.h); got != tt.want {
			t.Errorf("hoursDuration(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
	// A fractional SLA drives a real deadline.
	cal, _ := dlCaMau(t)
	c := Category{Code: "half", SLA: &SLA{DispatchHours: 0.5}}
	got := cal.DeadlinesFor(dlAt(t, cal, "2026-03-02 11:15"), c, false)
	if want := "2026-03-02T13:45:00+07:00"; dlRFC(got.DispatchDue) != want {
		t.Errorf("0.5 h across lunch: got %s, want %s", dlRFC(got.DispatchDue), want)
	}
}

func TestWorkingTimeBetween(t *testing.T) {
	cal, _ := dlCaMau(t)
	tests := []struct {
		name     string
		from, to string
		want     time.Duration
	}{
		{"within the morning", "2026-03-02 09:00", "2026-03-02 11:00", 2 * time.Hour},
		{"lunch does not count", "2026-03-02 10:30", "2026-03-02 14:30", 2 * time.Hour},
		{"the weekend does not count", "2026-03-06 16:00", "2026-03-09 10:00", 4 * time.Hour},
		{"overdue is negative", "2026-03-02 11:00", "2026-03-02 09:00", -2 * time.Hour},
		{"night only", "2026-03-02 18:00", "2026-03-03 06:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingTimeBetween(dlAt(t, cal, tt.from), dlAt(t, cal, tt.to)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// The inverse of AddWorkingTime for starts inside working time.
	start := dlAt(t, cal, "2026-03-02 09:15")
	for _, d := range []time.Duration{time.Minute, 3 * time.Hour, 17 * time.Hour, 41 * time.Hour} {
		if got := cal.WorkingTimeBetween(start, cal.AddWorkingTime(start, d)); got != d {
			t.Errorf("round trip of %v: got %v", d, got)
		}
	}
}
