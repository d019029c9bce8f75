package api

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// queryParams reads a request's query parameters and remembers every bad
// one, so that a request is refused once, with all its faults listed:
//
//	q := readQuery(c)
//	limit := q.Int("limit", 20, 1, 100)
//	overdue := q.Bool("overdue")
//	if err := q.Err(); err != nil { return err }
//
// Every handler reads its typed parameters through it; a bad value is
// never replaced by the default.
type queryParams struct {
	c   *fiber.Ctx
	bad []apperr.FieldError
}

func readQuery(c *fiber.Ctx) *queryParams { return &queryParams{c: c} }

func (q *queryParams) fail(name, vi, en string) {
	q.bad = append(q.bad, apperr.FieldError{Field: name, Message: i18n.T(vi, en)})
}

// Err is nil when every parameter read was valid, else a 422 naming each
// bad one.
func (q *queryParams) Err() error {
	if len(q.bad) == 0 {
		return nil
	}
	return apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"), q.bad...)
}

// String returns the parameter, copied (fasthttp reuses its buffer), at
// most maxRunes characters long.
func (q *queryParams) String(name string, maxRunes int) string {
	v := strings.Clone(q.c.Query(name))
	if utf8.RuneCountInString(v) > maxRunes {
		q.fail(name, fmt.Sprintf("Tối đa %d ký tự", maxRunes), fmt.Sprintf("must be at most %d characters", maxRunes))
		return ""
	}
	return v
}

// Int returns an integer parameter from min to max, def when absent.
func (q *queryParams) Int(name string, def, min, max int) int {
	v := q.c.Query(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		q.fail(name, fmt.Sprintf("Phải là số nguyên từ %d đến %d", min, max), fmt.Sprintf("must be an integer between %d and %d", min, max))
		return def
	}
	return n
}

// Float returns a number parameter from min to max, def when absent; a
// required one missing is a fault.
func (q *queryParams) Float(name string, required bool, def, min, max float64) float64 {
	v := q.c.Query(name)
	if v == "" {
		if required {
			q.fail(name, "Bắt buộc nhập", "is required")
		}
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= min && f <= max) { // so NaN fails too
		q.fail(name, fmt.Sprintf("Phải là số từ %g đến %g", min, max), fmt.Sprintf("must be a number between %g and %g", min, max))
		return def
	}
	return f
}

// Bool returns a true/false parameter, false when absent.
func (q *queryParams) Bool(name string) bool {
	switch q.c.Query(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	q.fail(name, "Phải là true hoặc false", "must be true or false")
	return false
}

// Enum returns the parameter when it is one of allowed (or absent: "").
func (q *queryParams) Enum(name string, allowed ...string) string {
	v := q.c.Query(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return a
		}
	}
	list := strings.Join(allowed, ", ")
	q.fail(name, "Phải là một trong: "+list, "must be one of: "+list)
	return ""
}

// Time returns an RFC 3339 time parameter, nil when absent.
func (q *queryParams) Time(name string) *time.Time {
	v := q.c.Query(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || !inTimeRange(t) {
		q.fail(name, "Thời điểm theo RFC 3339, từ năm 2000 đến 9000", "must be an RFC 3339 time between the years 2000 and 9000")
		return nil
	}
	return &t
}

// inTimeRange bounds times read from a query: far enough apart for any
// real question, close enough for every store and encoder.
func inTimeRange(t time.Time) bool {
	return t.Year() >= 2000 && t.Year() <= 9000
}

// Cursor reads the cursor parameter with decode, a store's own cursor
// reader, and keeps its fault with the others.
func (q *queryParams) Cursor(decode func(string) (string, error)) string {
	v, err := decode(strings.Clone(q.c.Query("cursor")))
	var ae *apperr.Error
	switch {
	case err == nil:
		return v
	case errors.As(err, &ae) && ae.Code == apperr.EINVALID && len(ae.Fields) > 0:
		q.bad = append(q.bad, ae.Fields...)
	default:
		q.fail("cursor", "Con trỏ trang không hợp lệ", "is not a valid cursor")
	}
	return ""
}

// statusNames lists statuses as query values.
func statusNames(list []feedback.Status) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}
