package survey

import (
	"fmt"
	"sync"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// MaxMonthSpan is the longest month range an indicator query may cover.
const MaxMonthSpan = 120

// provinceZone is Asia/Ho_Chi_Minh, or a fixed +07:00 where the system has
// no zone database (Viet Nam has kept +07:00 without daylight saving since
// 1975, so the two agree on every date a survey can have).
var provinceZone = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*60*60)
})

// PeriodOf returns the month of t in the province's zone, "2006-01": the
// period key of counters.
func PeriodOf(t time.Time) string { return t.In(provinceZone()).Format(periodLayout) }

// monthIndex turns "2006-01" into a count of months, for arithmetic.
func monthIndex(period string) (int, bool) {
	t, err := time.Parse(periodLayout, period)
	if err != nil {
		return 0, false
	}
	return t.Year()*12 + int(t.Month()) - 1, true
}

func monthString(i int) string {
	return fmt.Sprintf("%04d-%02d", i/12, i%12+1)
}

// parseMonth accepts a month "2026-11" or a date "2026-11-15" (taken as its
// month). Years before 1900 are refused: no survey is that old, and the months
// before a range must stay ordinary "YYYY-MM" strings.
func parseMonth(s string) (int, bool) {
	i, ok := monthIndex(s)
	if !ok {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return 0, false
		}
		i = t.Year()*12 + int(t.Month()) - 1
	}
	return i, i >= 1900*12
}

// ParseMonthRange reads an inclusive range of months from query values.
// Each may be a month "2026-11" or a date "2026-11-15", which stands for its
// month. An empty to is the current month (at now, in the province's zone);
// an empty from is eleven months before to, making a year. from after to,
// or a range longer than MaxMonthSpan months, is EINVALID.
func ParseMonthRange(from, to string, now time.Time) (string, string, error) {
	var fs []apperr.FieldError
	bad := apperr.FieldError{Message: i18n.T("Phải là tháng dạng 2026-11 hoặc ngày dạng 2026-11-15",
		"must be a month like 2026-11 or a date like 2026-11-15")}
	end, ok := 0, true
	if to == "" {
		end, _ = monthIndex(PeriodOf(now))
	} else if end, ok = parseMonth(to); !ok {
		bad.Field = "to"
		fs = append(fs, bad)
	}
	start := end - 11
	if from != "" {
		var ok bool
		if start, ok = parseMonth(from); !ok {
			bad.Field = "from"
			fs = append(fs, bad)
		}
	}
	if len(fs) == 0 {
		switch {
		case start > end:
			fs = append(fs, apperr.FieldError{Field: "from", Message: i18n.T("Phải trước hoặc bằng tháng kết thúc", "must not be after to")})
		case end-start+1 > MaxMonthSpan:
			fs = append(fs, apperr.FieldError{Field: "from", Message: i18n.T(
				fmt.Sprintf("Khoảng thời gian tối đa %d tháng", MaxMonthSpan), fmt.Sprintf("the range may span at most %d months", MaxMonthSpan))})
		}
	}
	if len(fs) > 0 {
		return "", "", apperr.Invalid(i18n.T("Khoảng thời gian không hợp lệ", "invalid period"), fs...)
	}
	return monthString(start), monthString(end), nil
}

// PreviousRange returns the range of as many months as from..to that ends
// the month before from, for comparing a period with the one before it.
// It returns "", "" when from or to is not a month.
func PreviousRange(from, to string) (string, string) {
	start, ok1 := monthIndex(from)
	end, ok2 := monthIndex(to)
	n := end - start + 1
	if !ok1 || !ok2 || n < 1 || start-n < 0 {
		return "", ""
	}
	return monthString(start - n), monthString(start - 1)
}

// QuarterOf returns the quarter of a month, "2026-11" → "2026-Q4", or ""
// when period is not a month.
func QuarterOf(period string) string {
	i, ok := monthIndex(period)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%04d-Q%d", i/12, i%12/3+1)
}
