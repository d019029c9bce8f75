package feedback

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the calendar's zone must load on machines without a zoneinfo database

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Calendar is the civil-service working calendar: working hours per weekday,
// public holidays and compensating days per year, and the default handling
// time limits. All of it is data, loaded from the reference file.
type Calendar struct {
	TimeZone string `json:"time_zone"`
	// WorkingHours maps a lowercase English weekday ("monday") to its working
	// spans. A weekday that is absent or empty is a day off.
	WorkingHours map[string][]Span `json:"working_hours"`
	// DefaultSLA applies to every category that does not override it.
	DefaultSLA SLA `json:"default_sla"`
	// UrgentSLA applies to urgent reports unless their category overrides it.
	UrgentSLA SLA            `json:"urgent_sla,omitzero"`
	Years     []CalendarYear `json:"years"`
	// AutoCloseDays is how many days a resolved report waits for its
	// reporter (to rate or reopen) before it is closed; 0 means 7.
	AutoCloseDays int `json:"auto_close_days,omitempty"`
	// LimitSources says, for each time limit ("default_sla.dispatch_hours",
	// "urgent_sla", ...), whether it comes from the regulation or is a local
	// choice, and where it is written. A list, not a map: MongoDB keys may
	// not hold the dots of these names.
	LimitSources []LimitSource `json:"limit_sources,omitempty"`
}

// LimitBasis says where a time limit comes from.
type LimitBasis string

// The limit bases.
const (
	// BasisRegulation: set by the regulation (QĐ 17/2022/QĐ-UBND); changing
	// it needs a new regulation.
	BasisRegulation LimitBasis = "regulation"
	// BasisLocal: a choice of the operators, not from the regulation.
	BasisLocal LimitBasis = "local"
)

// LimitSource is the provenance of one time limit.
type LimitSource struct {
	// Limit names the limit by its path in the calendar or category
	// ("default_sla.response_hours", "categories.*.urgent_sla").
	Limit  string     `json:"limit"`
	Basis  LimitBasis `json:"basis"`
	Source string     `json:"source"`
}

// LimitSource returns the provenance recorded for the named limit.
func (c Calendar) LimitSource(limit string) (LimitSource, bool) {
	for _, ls := range c.LimitSources {
		if ls.Limit == limit {
			return ls, true
		}
	}
	return LimitSource{}, false
}

// AutoCloseAfter is how long a resolved report stays open to its reporter.
func (c *Calendar) AutoCloseAfter() time.Duration {
	if c.AutoCloseDays > 0 {
		return time.Duration(c.AutoCloseDays) * 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// Span is a stretch of working time within a day, "07:00" to "11:30".
type Span struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// CalendarYear lists the exceptions to the weekly pattern in one year.
type CalendarYear struct {
	Year int `json:"year"`
	// Holidays are days off on what would be working days: public holidays
	// and the compensating days off around them.
	Holidays []CalendarDay `json:"holidays"`
	// WorkingDays are days worked on what would be days off (a Saturday
	// worked to make up for a bridged holiday). They use Monday's hours.
	WorkingDays []CalendarDay `json:"working_days,omitempty"`
	// Provisional marks a year built from the law's fixed holidays and the
	// lunar calendar before the government announced the year's days off
	// and swaps; the service warns at start while it is set.
	Provisional bool `json:"provisional,omitempty"`
	// Source names the announcements the year follows.
	Source string `json:"source,omitempty"`
}

// CalendarDay is one dated exception, "2026-02-17".
type CalendarDay struct {
	Date string    `json:"date"`
	Name i18n.Text `json:"name"`
	// Source is the legal basis or announcement of this day.
	Source string `json:"source,omitempty"`
}

// YearStatus returns whether the calendar lists year and, if it does,
// whether that year is still provisional.
func (c Calendar) YearStatus(year int) (listed, provisional bool) {
	for _, y := range c.Years {
		if y.Year == year {
			return true, y.Provisional
		}
	}
	return false, false
}

// Warnings lists what an operator must fix in the calendar as of now: the
// current or the next year missing, or still provisional (built before the
// government's announcement), since deadlines in it may be wrong.
func (c Calendar) Warnings(now time.Time) []string {
	var out []string
	y := now.In(c.Location()).Year()
	for _, year := range []int{y, y + 1} {
		switch listed, provisional := c.YearStatus(year); {
		case !listed:
			out = append(out, fmt.Sprintf("the working calendar has no year %d: holidays in it will count as working days", year))
		case provisional:
			out = append(out, fmt.Sprintf("the working calendar for %d is provisional: replace it once the government announces the year's days off", year))
		}
	}
	return out
}

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// IsZero reports whether no calendar is set.
func (c Calendar) IsZero() bool {
	return c.TimeZone == "" && len(c.WorkingHours) == 0 && len(c.Years) == 0 && c.DefaultSLA == (SLA{})
}

// Validate checks the calendar.
func (c Calendar) Validate() error { return invalidEntity("calendar", "default", c.check("")) }

func (c Calendar) check(p string) []apperr.FieldError {
	if c.IsZero() {
		return nil
	}
	var fs []apperr.FieldError
	add := func(field string, msg i18n.Text) { fs = append(fs, apperr.FieldError{Field: p + field, Message: msg}) }
	if c.TimeZone == "" {
		add("time_zone", msgRequired())
	} else if _, err := time.LoadLocation(c.TimeZone); err != nil {
		add("time_zone", i18n.T("Múi giờ không tồn tại", "unknown time zone"))
	}
	if c.AutoCloseDays < 0 || c.AutoCloseDays > 90 {
		add("auto_close_days", i18n.T("Từ 0 (mặc định 7) đến 90 ngày", "must be 0 (default 7) to 90 days"))
	}
	names := make([]string, 0, len(c.WorkingHours))
	for day := range c.WorkingHours {
		names = append(names, day)
	}
	sort.Strings(names)
	for _, day := range names {
		if weekdayIndex(day) < 0 {
			add("working_hours."+day, i18n.T("Phải là tên thứ tiếng Anh viết thường (monday…sunday)", "must be a lowercase English weekday (monday…sunday)"))
			continue
		}
		last := -1
		for i, s := range c.WorkingHours[day] {
			from, errF := parseClock(s.From)
			to, errT := parseClock(s.To)
			f := fmt.Sprintf("working_hours.%s[%d]", day, i)
			switch {
			case errF != nil || errT != nil:
				add(f, i18n.T("Giờ phải theo dạng HH:MM", "times must be HH:MM"))
			case from >= to:
				add(f, i18n.T("Giờ bắt đầu phải trước giờ kết thúc", "from must be before to"))
			case from < last:
				add(f, i18n.T("Các khoảng giờ phải theo thứ tự và không chồng nhau", "spans must be in order and must not overlap"))
			default:
				last = to
			}
		}
	}
	if c.DefaultSLA.DispatchHours <= 0 || c.DefaultSLA.ResponseHours <= 0 ||
		c.DefaultSLA.DispatchHoursDayOff <= 0 || c.DefaultSLA.ResponseHoursDayOff <= 0 {
		add("default_sla", i18n.T("Phải có đủ thời hạn tiếp nhận và phản hồi (ngày làm việc và ngày nghỉ)",
			"dispatch and response limits for working days and days off are all required"))
	}
	fs = append(fs, c.DefaultSLA.check(p+"default_sla.")...)
	fs = append(fs, c.UrgentSLA.check(p+"urgent_sla.")...)
	years := map[int]bool{}
	for i, y := range c.Years {
		yp := fmt.Sprintf("years[%d]", i)
		if years[y.Year] {
			add(yp+".year", i18n.T("Năm bị trùng", "duplicate year"))
		}
		years[y.Year] = true
		dates := map[string]bool{}
		check := func(list string, days []CalendarDay) {
			for j, d := range days {
				dp := fmt.Sprintf("%s.%s[%d] (%s)", yp, list, j, d.Date)
				t, err := time.Parse(time.DateOnly, d.Date)
				switch {
				case err != nil:
					add(dp+".date", i18n.T("Ngày phải theo dạng YYYY-MM-DD", "must be a date YYYY-MM-DD"))
				case t.Year() != y.Year:
					add(dp+".date", i18n.T("Ngày không thuộc năm này", "is not in this year"))
				case dates[d.Date]:
					add(dp+".date", i18n.T("Ngày bị trùng", "listed twice"))
				}
				dates[d.Date] = true
				if strings.TrimSpace(d.Name.Vi) == "" {
					add(dp+".name.vi", i18n.T("Thiếu tên tiếng Việt", "the Vietnamese name is required"))
				}
			}
		}
		check("holidays", y.Holidays)
		check("working_days", y.WorkingDays)
	}
	limits := map[string]bool{}
	for i, ls := range c.LimitSources {
		lp := fmt.Sprintf("limit_sources[%d] (%s).", i, ls.Limit)
		switch {
		case strings.TrimSpace(ls.Limit) == "":
			add(lp+"limit", msgRequired())
		case limits[ls.Limit]:
			add(lp+"limit", i18n.T("Thời hạn bị trùng", "listed twice"))
		}
		limits[ls.Limit] = true
		switch ls.Basis {
		case BasisRegulation, BasisLocal:
		default:
			add(lp+"basis", i18n.T("Phải là regulation hoặc local", "must be regulation or local"))
		}
		if strings.TrimSpace(ls.Source) == "" {
			add(lp+"source", msgRequired())
		}
	}
	return fs
}

// Location returns the calendar's time zone (Asia/Ho_Chi_Minh when unset or
// unknown).
func (c Calendar) Location() *time.Location {
	if c.TimeZone != "" {
		if loc, err := loadZone(c.TimeZone); err == nil {
			return loc
		}
	}
	loc, _ := loadZone("Asia/Ho_Chi_Minh")
	return loc
}

// zones holds the time zones loaded so far, by name. time.LoadLocation
// reads and parses the zone's file on every call; a deadline computation
// asks for the zone dozens of times (once per day it walks), which made it
// most of a submission's CPU time.
var zones sync.Map // string -> *time.Location

// loadZone is time.LoadLocation, loaded once per name.
func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// WorkingSpans returns the working time of the civil date of t, in the
// calendar's zone, as absolute intervals in order. A day off returns none.
func (c Calendar) WorkingSpans(t time.Time) [][2]time.Time {
	loc := c.Location()
	t = t.In(loc)
	date := t.Format(time.DateOnly)
	var spans []Span
	switch {
	case c.listed(date, func(y CalendarYear) []CalendarDay { return y.Holidays }):
		return nil
	case c.listed(date, func(y CalendarYear) []CalendarDay { return y.WorkingDays }):
		spans = c.WorkingHours["monday"]
	default:
		spans = c.WorkingHours[weekdays[t.Weekday()]]
	}
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	out := make([][2]time.Time, 0, len(spans))
	for _, s := range spans {
		from, err1 := parseClock(s.From)
		to, err2 := parseClock(s.To)
		if err1 != nil || err2 != nil || from >= to {
			continue
		}
		out = append(out, [2]time.Time{midnight.Add(time.Duration(from) * time.Minute), midnight.Add(time.Duration(to) * time.Minute)})
	}
	return out
}

// IsWorkingDay reports whether the civil date of t has working hours.
func (c Calendar) IsWorkingDay(t time.Time) bool { return len(c.WorkingSpans(t)) > 0 }

func (c Calendar) listed(date string, days func(CalendarYear) []CalendarDay) bool {
	for _, y := range c.Years {
		if strconv.Itoa(y.Year) != date[:4] {
			continue
		}
		for _, d := range days(y) {
			if d.Date == date {
				return true
			}
		}
	}
	return false
}

func weekdayIndex(name string) int {
	for i, w := range weekdays {
		if w == name {
			return i
		}
	}
	return -1
}

// parseClock turns "HH:MM" into minutes after midnight; "24:00" is allowed
// as the end of the day.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}
