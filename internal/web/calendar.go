package web

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

var weekdayNames = []struct {
	key string
	txt i18n.Text
}{
	{"monday", i18n.T("Thứ Hai", "Monday")}, {"tuesday", i18n.T("Thứ Ba", "Tuesday")}, {"wednesday", i18n.T("Thứ Tư", "Wednesday")},
	{"thursday", i18n.T("Thứ Năm", "Thursday")}, {"friday", i18n.T("Thứ Sáu", "Friday")}, {"saturday", i18n.T("Thứ Bảy", "Saturday")},
	{"sunday", i18n.T("Chủ Nhật", "Sunday")},
}

type weekdayField struct{ Key, Label, Value, Error string }

type yearField struct {
	Year                  string
	Holidays, WorkingDays string
	Provisional           bool
}

// calendarView is the working calendar form: hours per weekday, the default
// and urgent limits, and each year's holidays and make-up days, one per
// line with its name (the source belongs in the name, e.g. the notice).
type calendarView struct {
	refView
	Zone     string
	Weekdays []weekdayField
	SLA      map[string]string
	Years    []yearField
	Prefixes []string // the default and urgent limit groups
}

var slaFields = []string{"dispatch_hours", "dispatch_hours_day_off", "response_hours", "response_hours_day_off", "resolution_working_days"}

func slaForm(prefix string, s feedback.SLA, into map[string]string) {
	f := func(x float64) string {
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	into[prefix+"dispatch_hours"], into[prefix+"dispatch_hours_day_off"] = f(s.DispatchHours), f(s.DispatchHoursDayOff)
	into[prefix+"response_hours"], into[prefix+"response_hours_day_off"] = f(s.ResponseHours), f(s.ResponseHoursDayOff)
	into[prefix+"resolution_working_days"] = f(float64(s.ResolutionWorkingDays))
}

func daysText(days []feedback.CalendarDay) string {
	var b strings.Builder
	for _, d := range days {
		if d.Source != "" {
			fmt.Fprintf(&b, "%s | %s | %s | %s\n", d.Date, d.Name.Vi, d.Name.En, d.Source)
			continue
		}
		fmt.Fprintf(&b, "%s | %s | %s\n", d.Date, d.Name.Vi, d.Name.En)
	}
	return b.String()
}

func (w *Console) calendarView(c *fiber.Ctx, cal feedback.Calendar) calendarView {
	v := calendarView{refView: w.refBase(c, "calendar"), Zone: cal.TimeZone, SLA: map[string]string{},
		Prefixes: []string{"default.", "urgent."}}
	for _, d := range weekdayNames {
		var parts []string
		for _, s := range cal.WorkingHours[d.key] {
			parts = append(parts, s.From+"-"+s.To)
		}
		v.Weekdays = append(v.Weekdays, weekdayField{Key: d.key, Label: d.txt.In(v.Lang), Value: strings.Join(parts, ", ")})
	}
	slaForm("default.", cal.DefaultSLA, v.SLA)
	slaForm("urgent.", cal.UrgentSLA, v.SLA)
	if cal.AutoCloseDays > 0 {
		v.SLA["auto_close_days"] = strconv.Itoa(cal.AutoCloseDays)
	}
	years := append([]feedback.CalendarYear{}, cal.Years...)
	sort.Slice(years, func(i, j int) bool { return years[i].Year < years[j].Year })
	for _, y := range years {
		v.Years = append(v.Years, yearField{Year: strconv.Itoa(y.Year), Holidays: daysText(y.Holidays), WorkingDays: daysText(y.WorkingDays),
			Provisional: y.Provisional})
	}
	v.Years = append(v.Years, yearField{}) // a blank one to add a year
	return v
}

func (w *Console) calendarPage(c *fiber.Ctx) error {
	cal, err := w.cfg.Reference.Calendar(c.UserContext())
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "calendar", "", w.calendarView(c, cal))
}

// calendarSave reads the form back into a calendar. The domain validates it
// (zone, spans, limits, dates); the form only reports what it cannot parse.
func (w *Console) calendarSave(c *fiber.Ctx) error {
	u, _ := userOf(c)
	cur, err := w.cfg.Reference.Calendar(c.UserContext())
	if err != nil {
		return w.failErr(c, err)
	}
	var fs []apperr.FieldError
	bad := func(field, vi, en string) { fs = append(fs, apperr.FieldError{Field: field, Message: i18n.T(vi, en)}) }
	cal := feedback.Calendar{TimeZone: strings.TrimSpace(c.FormValue("time_zone")), WorkingHours: map[string][]feedback.Span{}}
	for _, d := range weekdayNames {
		for _, part := range strings.Split(c.FormValue("hours."+d.key), ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			from, to, ok := strings.Cut(part, "-")
			if !ok {
				bad("hours."+d.key, "Viết dạng 07:00-11:30", "write it as 07:00-11:30")
				continue
			}
			cal.WorkingHours[d.key] = append(cal.WorkingHours[d.key], feedback.Span{From: strings.TrimSpace(from), To: strings.TrimSpace(to)})
		}
	}
	num := func(field string) float64 {
		s := strings.TrimSpace(c.FormValue(field))
		if s == "" {
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || x < 0 {
			bad(field, "Phải là một số không âm", "must be a number, zero or more")
		}
		return x
	}
	sla := func(prefix string) feedback.SLA {
		return feedback.SLA{DispatchHours: num(prefix + "dispatch_hours"), DispatchHoursDayOff: num(prefix + "dispatch_hours_day_off"),
			ResponseHours: num(prefix + "response_hours"), ResponseHoursDayOff: num(prefix + "response_hours_day_off"),
			ResolutionWorkingDays: int(num(prefix + "resolution_working_days"))}
	}
	cal.DefaultSLA, cal.UrgentSLA = sla("default."), sla("urgent.")
	cal.AutoCloseDays = int(num("auto_close_days"))
	cal.LimitSources = cur.LimitSources // not edited on this page
	args := c.Request().PostArgs()
	for i := 0; i < 50; i++ {
		ys := strings.TrimSpace(string(args.Peek(fmt.Sprintf("year.%d", i))))
		if ys == "" {
			continue
		}
		y, err := strconv.Atoi(ys)
		if err != nil {
			bad(fmt.Sprintf("year.%d", i), "Năm không hợp lệ", "is not a year")
			continue
		}
		year := feedback.CalendarYear{Year: y, Provisional: args.Has(fmt.Sprintf("provisional.%d", i))}
		// The year's source has no field on the page: keep the stored one.
		for _, old := range cur.Years {
			if old.Year == y {
				year.Source = old.Source
			}
		}
		year.Holidays = parseDays(string(args.Peek(fmt.Sprintf("holidays.%d", i))), fmt.Sprintf("holidays.%d", i), &fs)
		year.WorkingDays = parseDays(string(args.Peek(fmt.Sprintf("working_days.%d", i))), fmt.Sprintf("working_days.%d", i), &fs)
		cal.Years = append(cal.Years, year)
	}
	if len(fs) == 0 {
		err = w.cfg.Reference.SetCalendar(c.UserContext(), u, cal)
	} else {
		err = apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.EINVALID {
			return w.failErr(c, err)
		}
		// Re-show the form with what was typed where it parsed, else the
		// stored calendar, and every error above the form.
		shown := cal
		if len(fs) > 0 {
			shown = cur
		}
		v := w.calendarView(c, shown)
		v.Message = messageOf(err, v.Lang)
		v.Errors = fieldErrors(err, v.Lang)
		return w.render(c, fiber.StatusUnprocessableEntity, "calendar", "", v)
	}
	return w.redirect(c, "/console/admin/calendar", "done")
}

// parseDays reads "YYYY-MM-DD | tên | name" lines.
func parseDays(text, field string, fs *[]apperr.FieldError) []feedback.CalendarDay {
	var out []feedback.CalendarDay
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if len(parts) < 2 || len(parts[0]) != 10 {
			*fs = append(*fs, apperr.FieldError{Field: field, Message: i18n.T(
				fmt.Sprintf("Dòng %d: viết dạng YYYY-MM-DD | tên tiếng Việt | tên tiếng Anh", n+1),
				fmt.Sprintf("line %d: write YYYY-MM-DD | Vietnamese name | English name", n+1))})
			continue
		}
		d := feedback.CalendarDay{Date: parts[0], Name: i18n.T(parts[1], "")}
		if len(parts) > 2 {
			d.Name.En = parts[2]
		}
		if len(parts) > 3 {
			d.Source = strings.Join(parts[3:], " | ")
		}
		out = append(out, d)
	}
	return out
}
