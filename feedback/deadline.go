package feedback

import (
	"math"
	"time"
)

// maxIdleDays bounds the search for working time. The longest real run of
// days off (Tết plus two weekends) is under two weeks; a year and a month
// without a single working span means the calendar has no hours at all (or
// no hours configured yet), and looping further would never end.
const maxIdleDays = 400

// AddWorkingTime returns the instant when d of working time has passed after
// start, counting only the calendar's working spans: lunch breaks, nights,
// weekends and holidays are skipped, and compensating working days count.
// A start outside working time begins counting at the next span; a deadline
// that uses up a span exactly ends at that span's close rather than at the
// next opening, because the work was due by then. d <= 0 returns start.
// If 400 consecutive days pass without working time the calendar is taken to
// have no hours and start.Add(d) is returned, so a bad calendar degrades to
// clock time instead of hanging. Results are in the calendar's zone.
func (c Calendar) AddWorkingTime(start time.Time, d time.Duration) time.Time {
	loc := c.Location()
	start = start.In(loc)
	if d <= 0 {
		return start
	}
	remaining := d
	day := start
	for idle := 0; idle < maxIdleDays; {
		spans := c.WorkingSpans(day)
		if len(spans) == 0 {
			idle++
		} else {
			idle = 0
		}
		for _, s := range spans {
			if !s[1].After(start) {
				continue // already over when counting began
			}
			from := s[0]
			if start.After(from) {
				from = start
			}
			avail := s[1].Sub(from)
			if remaining <= avail {
				return from.Add(remaining)
			}
			remaining -= avail
		}
		day = nextMidnight(day, loc)
	}
	return start.Add(d)
}

// AddWorkingDays returns the end of the n-th working day after start's civil
// day (the closing time of that day's last span): start's own day never
// counts, however early the report came in, so "10 working days" always
// means ten full days. n < 1 returns start. Like AddWorkingTime it gives up
// after 400 consecutive days without a working day and then returns start
// plus n calendar days. Results are in the calendar's zone.
func (c Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	loc := c.Location()
	start = start.In(loc)
	if n < 1 {
		return start
	}
	day, left := start, n
	for idle := 0; idle < maxIdleDays; {
		day = nextMidnight(day, loc)
		spans := c.WorkingSpans(day)
		if len(spans) == 0 {
			idle++
			continue
		}
		idle = 0
		if left--; left == 0 {
			return spans[len(spans)-1][1]
		}
	}
	return start.AddDate(0, 0, n)
}

// nextMidnight returns the start of the civil day after t's in loc. It goes
// through time.Date rather than adding 24 hours so a zone that shifts its
// clocks cannot make a day be skipped or visited twice.
func nextMidnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// EffectiveSLA returns the time limits that apply to a report of cat. It
// merges, field by field, the calendar's DefaultSLA, then the category's
// SLA, then (if urgent) the calendar's UrgentSLA, then (if urgent) the
// category's UrgentSLA; later non-zero fields win, so an urgent report is
// never slower than the urgent limits because its category set normal ones. Merging per field lets a
// category override one limit (say, the response time) and inherit the rest.
func (c Calendar) EffectiveSLA(cat Category, urgent bool) SLA {
	out := mergeSLA(c.DefaultSLA, cat.SLA)
	if urgent {
		out = mergeSLA(out, &c.UrgentSLA)
		out = mergeSLA(out, cat.UrgentSLA)
	}
	return out
}

// mergeSLA overlays the non-zero fields of over onto base; zero means "not
// set here" (see SLA).
func mergeSLA(base SLA, over *SLA) SLA {
	if over == nil {
		return base
	}
	if over.DispatchHours != 0 {
		base.DispatchHours = over.DispatchHours
	}
	if over.DispatchHoursDayOff != 0 {
		base.DispatchHoursDayOff = over.DispatchHoursDayOff
	}
	if over.ResponseHours != 0 {
		base.ResponseHours = over.ResponseHours
	}
	if over.ResponseHoursDayOff != 0 {
		base.ResponseHoursDayOff = over.ResponseHoursDayOff
	}
	if over.ResolutionWorkingDays != 0 {
		base.ResolutionWorkingDays = over.ResolutionWorkingDays
	}
	return base
}

// Deadlines are the moments by which a report must have been dispatched to
// its handling agency, answered by that agency, and resolved.
type Deadlines struct {
	DispatchDue   time.Time `json:"dispatch_due"`
	ResponseDue   time.Time `json:"response_due"`
	ResolutionDue time.Time `json:"resolution_due"`
}

// DeadlinesFor computes a report's deadlines from the moment it was received,
// following QĐ 17/2022/QĐ-UBND of the Cà Mau People's Committee: a limit
// counts working hours when it runs on a working day and clock hours when it
// runs on a day off (weekend, holiday), because someone is on duty around the
// clock then. See Limit for how the two regimes meet.
//   - Dispatch: Limit(received, DispatchHours, DispatchHoursDayOff).
//   - Response: the regulation counts it from the actual dispatch (ResponseDue
//     is recomputed by ResponseDueFrom when the report is dispatched); until
//     then it is projected from the dispatch deadline.
//   - Resolution: AddWorkingDays(received, ResolutionWorkingDays), or the
//     response deadline when no resolution limit is set. The resolution limit
//     is a local choice, not from the regulation (see Calendar.Sources).
//
// Times are returned in the calendar's zone.
func (c Calendar) DeadlinesFor(received time.Time, cat Category, urgent bool) Deadlines {
	loc := c.Location()
	received = received.In(loc)
	sla := c.EffectiveSLA(cat, urgent)
	var dl Deadlines
	dl.DispatchDue = c.Limit(received, sla.DispatchHours, sla.DispatchHoursDayOff)
	dl.ResponseDue = c.Limit(dl.DispatchDue, sla.ResponseHours, sla.ResponseHoursDayOff)
	if sla.ResolutionWorkingDays > 0 {
		dl.ResolutionDue = c.AddWorkingDays(received, sla.ResolutionWorkingDays)
	} else {
		dl.ResolutionDue = dl.ResponseDue
	}
	return dl
}

// ResponseDueFrom returns the response deadline of a report of cat that was
// dispatched at dispatched: QĐ 17/2022/QĐ-UBND counts the agency's time from
// the moment the report actually reached it, not from the dispatch deadline.
func (c Calendar) ResponseDueFrom(dispatched time.Time, cat Category, urgent bool) time.Time {
	sla := c.EffectiveSLA(cat, urgent)
	return c.Limit(dispatched, sla.ResponseHours, sla.ResponseHoursDayOff)
}

// maxRegimeHops bounds how many changes between working days and days off
// Limit looks ahead; the limits are hours, so two or three are ever needed.
const maxRegimeHops = 8

// Limit returns when a time limit that starts at start runs out. The
// regulation gives a limit in working hours for a working day (workingHours)
// and in clock hours for a day off (dayOffHours). A "day off" is a whole
// civil day without working hours, from 00:00 to 24:00, so the same rule
// holds whatever hour the report arrives on it. Applied uniformly:
//
//   - on a working day (at any hour, even after closing) the limit counts
//     workingHours of working time; on a day off it counts dayOffHours of
//     clock time;
//   - a limit never ends later than that of a report received at the next
//     change between working days and days off. So a limit still running when
//     a day off begins is taken over by the day-off duty and ends at most
//     dayOffHours after 00:00 of that day (Friday 20:00 gives Saturday 12:00,
//     not Monday 09:00), and a day-off limit never ends later than a report
//     received at 00:00 of the next working day would (Sunday 23:00 gives
//     Monday 09:00, not Monday 11:00).
//
// The result never decreases as start moves later, which is what makes the
// rule uniform. Results are in the calendar's zone.
func (c Calendar) Limit(start time.Time, workingHours, dayOffHours float64) time.Time {
	return c.limit(start.In(c.Location()), workingHours, dayOffHours, 0)
}

func (c Calendar) limit(start time.Time, workingHours, dayOffHours float64, hops int) time.Time {
	loc := c.Location()
	working := c.IsWorkingDay(start)
	var due time.Time
	if working {
		due = c.AddWorkingTime(start, hoursDuration(workingHours))
	} else {
		due = start.Add(hoursDuration(dayOffHours)).In(loc)
	}
	if hops >= maxRegimeHops {
		return due
	}
	// The next midnight where the kind of day changes.
	next := nextMidnight(start, loc)
	for i := 0; i < maxIdleDays && c.IsWorkingDay(next) == working; i++ {
		next = nextMidnight(next, loc)
	}
	if !due.After(next) {
		return due
	}
	if other := c.limit(next, workingHours, dayOffHours, hops+1); other.Before(due) {
		return other
	}
	return due
}

// hoursDuration converts fractional hours to a Duration. Multiplying in
// float64 before converting keeps 0.5 h as 30 minutes (time.Duration(h) *
// time.Hour would truncate it to zero), rounding to the nanosecond absorbs
// binary fractions like 0.1, and out-of-range input (negative, NaN, or
// beyond ~290 years) is clamped because a Duration conversion overflow is
// undefined.
func hoursDuration(h float64) time.Duration {
	ns := math.Round(h * float64(time.Hour))
	switch {
	case !(ns > 0): // also catches NaN
		return 0
	case ns >= math.MaxInt64:
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}

// WorkingTimeBetween returns the working time that passes from from to to:
// the inverse of AddWorkingTime, used to show a deadline as the working time
// left. When to is before from the result is negative (working time
// overdue). Spans more than 400 days apart are cut at 400 days.
func (c Calendar) WorkingTimeBetween(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -c.WorkingTimeBetween(to, from)
	}
	loc := c.Location()
	from, to = from.In(loc), to.In(loc)
	var total time.Duration
	for day, n := from, 0; day.Before(to) && n < maxIdleDays; day, n = nextMidnight(day, loc), n+1 {
		for _, s := range c.WorkingSpans(day) {
			lo, hi := s[0], s[1]
			if lo.Before(from) {
				lo = from
			}
			if hi.After(to) {
				hi = to
			}
			if hi.After(lo) {
				total += hi.Sub(lo)
			}
		}
	}
	return total
}
