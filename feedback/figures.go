package feedback

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"camaug/internal/i18n"
)

// Fact is what the handling figures need of one report.
type Fact struct {
	CategoryCode string
	AreaCode     string
	AgencyCode   string
	Status       Status
	CreatedAt    time.Time
	DispatchedAt *time.Time
	RespondedAt  *time.Time
	ResolvedAt   *time.Time
	DispatchDue  time.Time
	ResponseDue  time.Time
	Rating       int // 0 when not rated
}

// FactGroup sums the facts of the reports of one group (an agency,
// category or area code; "" when not grouped) in one status.
type FactGroup struct {
	Key              string
	Status           Status
	N                int64
	Dispatched       int64 // dispatched at all
	DispatchedOnTime int64 // of which by the dispatch deadline
	Responded        int64
	RespondedOnTime  int64
	Ratings          int64
	RatingSum        int64
	Rating4Plus      int64
	// HandlingMinutes counts the resolved (or closed) reports by their
	// time from submission to resolution, rounded to the minute.
	HandlingMinutes map[int64]int64
	// DispatchMinutes counts the dispatched reports by their time from
	// submission to dispatch, ResponseMinutes the reports taken up by
	// their time from dispatch to the agency's response (the regulation
	// counts it from the actual dispatch, QĐ 17/2022/QĐ-UBND).
	DispatchMinutes map[int64]int64
	ResponseMinutes map[int64]int64
}

// Add adds one report's fact to g.
func (g *FactGroup) Add(f Fact) {
	g.N++
	if f.DispatchedAt != nil {
		g.Dispatched++
		if !f.DispatchedAt.After(f.DispatchDue) {
			g.DispatchedOnTime++
		}
		addMinutes(&g.DispatchMinutes, f.DispatchedAt.Sub(f.CreatedAt))
	}
	if f.RespondedAt != nil {
		g.Responded++
		if !f.RespondedAt.After(f.ResponseDue) {
			g.RespondedOnTime++
		}
		if f.DispatchedAt != nil {
			addMinutes(&g.ResponseMinutes, f.RespondedAt.Sub(*f.DispatchedAt))
		}
	}
	if f.ResolvedAt != nil && (f.Status == StatusResolved || f.Status == StatusClosed) {
		addMinutes(&g.HandlingMinutes, f.ResolvedAt.Sub(f.CreatedAt))
	}
	if f.Rating > 0 {
		g.Ratings++
		g.RatingSum += int64(f.Rating)
		if f.Rating >= 4 {
			g.Rating4Plus++
		}
	}
}

// addMinutes counts d, rounded to the minute, in the histogram h.
func addMinutes(h *map[int64]int64, d time.Duration) {
	if *h == nil {
		*h = map[int64]int64{}
	}
	(*h)[int64(math.Round(d.Minutes()))]++
}

// GroupKey is f's key when grouping by groupBy ("agency", "category",
// "area"; anything else is "").
func (f Fact) GroupKey(groupBy string) string {
	switch groupBy {
	case "agency":
		return f.AgencyCode
	case "category":
		return f.CategoryCode
	case "area":
		return f.AreaCode
	}
	return ""
}

// FactStore sums the facts of the reports created in [from, to), by the
// group key groupBy ("", "agency", "category" or "area") and status.
type FactStore interface {
	HandlingFacts(ctx context.Context, from, to time.Time, groupBy string) ([]FactGroup, error)
}

// FiguresMinGroup is the smallest number of reports a published group's
// figures may rest on; smaller groups show their count only.
const FiguresMinGroup = 5

// FiguresMaxDays bounds the span one request may cover.
const FiguresMaxDays = 366

// Rate is one figure and the number of reports it rests on. Value is nil
// when suppressed or when there is nothing to measure.
type Rate struct {
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
}

// StatusCounts counts reports by their status now.
type StatusCounts struct {
	Submitted  int64 `json:"submitted"`
	Dispatched int64 `json:"dispatched"`
	Accepted   int64 `json:"accepted"`
	InProgress int64 `json:"in_progress"`
	Resolved   int64 `json:"resolved"`
	Closed     int64 `json:"closed"`
	Rejected   int64 `json:"rejected"`
}

func (c *StatusCounts) add(s Status, n int64) {
	switch s {
	case StatusSubmitted:
		c.Submitted += n
	case StatusDispatched:
		c.Dispatched += n
	case StatusAccepted:
		c.Accepted += n
	case StatusInProgress:
		c.InProgress += n
	case StatusResolved:
		c.Resolved += n
	case StatusClosed:
		c.Closed += n
	case StatusRejected:
		c.Rejected += n
	}
}

// HandlingStats are the handling figures of one selection of reports.
type HandlingStats struct {
	Reports    int64 `json:"reports"`
	Suppressed bool  `json:"suppressed"`
	// ByStatus is nil when suppressed.
	ByStatus *StatusCounts `json:"by_status"`
	// DispatchOnTime and ResponseOnTime are the percentages of the
	// dispatched (responded) reports that were dispatched (responded to)
	// by their deadline.
	DispatchOnTime Rate `json:"dispatch_on_time"`
	ResponseOnTime Rate `json:"response_on_time"`
	// MedianHandlingHours is the median time from submission to
	// resolution of the resolved reports, in hours.
	MedianHandlingHours Rate `json:"median_handling_hours"`
	// MedianDispatchHours is the median time from submission to dispatch
	// of the dispatched reports; MedianResponseHours from dispatch to the
	// agency's response of the reports taken up; in hours.
	MedianDispatchHours Rate `json:"median_dispatch_hours"`
	MedianResponseHours Rate `json:"median_response_hours"`
	// MeanRating is the mean of the reporters' ratings (1–5) and
	// Rating4Plus the percentage of them that are 4 or 5.
	MeanRating  Rate `json:"mean_rating"`
	Rating4Plus Rate `json:"rating_4_plus"`
}

// HandlingGroup is the figures of one agency, category or area.
type HandlingGroup struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	HandlingStats
}

// HandlingFigures is GET /v1/indicators/feedback.
type HandlingFigures struct {
	From         string          `json:"from"`
	To           string          `json:"to"`
	GroupBy      string          `json:"group_by,omitempty"`
	MinGroupSize int             `json:"min_group_size"`
	Overall      HandlingStats   `json:"overall"`
	Groups       []HandlingGroup `json:"groups"`
}

// FiguresQuery selects the figures: reports created from From to To
// (inclusive days, "2006-01-02", province zone), grouped by GroupBy
// ("", "agency", "category" or "area").
type FiguresQuery struct {
	From, To string
	GroupBy  string
	Lang     i18n.Lang
}

// acc accumulates one selection.
type acc struct {
	FactGroup
	status StatusCounts
}

func (a *acc) add(g FactGroup) {
	a.N += g.N
	a.status.add(g.Status, g.N)
	a.Dispatched += g.Dispatched
	a.DispatchedOnTime += g.DispatchedOnTime
	a.Responded += g.Responded
	a.RespondedOnTime += g.RespondedOnTime
	a.Ratings += g.Ratings
	a.RatingSum += g.RatingSum
	a.Rating4Plus += g.Rating4Plus
	mergeMinutes(&a.HandlingMinutes, g.HandlingMinutes)
	mergeMinutes(&a.DispatchMinutes, g.DispatchMinutes)
	mergeMinutes(&a.ResponseMinutes, g.ResponseMinutes)
}

func mergeMinutes(into *map[int64]int64, h map[int64]int64) {
	for m, n := range h {
		if *into == nil {
			*into = map[int64]int64{}
		}
		(*into)[m] += n
	}
}

// medianMinutes is the median of a histogram of minutes and its size.
func medianMinutes(h map[int64]int64) (float64, int64) {
	var total int64
	keys := make([]int64, 0, len(h))
	for m, n := range h {
		keys = append(keys, m)
		total += n
	}
	if total == 0 {
		return 0, 0
	}
	slices.Sort(keys)
	at := func(i int64) int64 { // the i-th value, 0-based
		for _, k := range keys {
			if i < h[k] {
				return k
			}
			i -= h[k]
		}
		return keys[len(keys)-1]
	}
	if total%2 == 1 {
		return float64(at(total / 2)), total
	}
	return float64(at(total/2-1)+at(total/2)) / 2, total
}

func (a *acc) stats() HandlingStats {
	median, resolved := medianMinutes(a.HandlingMinutes)
	dispatchMedian, dispatched := medianMinutes(a.DispatchMinutes)
	responseMedian, responded := medianMinutes(a.ResponseMinutes)
	s := HandlingStats{Reports: a.N, DispatchOnTime: Rate{N: a.Dispatched}, ResponseOnTime: Rate{N: a.Responded},
		MedianHandlingHours: Rate{N: resolved}, MedianDispatchHours: Rate{N: dispatched}, MedianResponseHours: Rate{N: responded},
		MeanRating: Rate{N: a.Ratings}, Rating4Plus: Rate{N: a.Ratings}}
	if a.N < FiguresMinGroup {
		s.Suppressed = true
		return s
	}
	status := a.status
	s.ByStatus = &status
	pct := func(k, n int64) *float64 {
		if n == 0 {
			return nil
		}
		v := 100 * float64(k) / float64(n)
		return &v
	}
	s.DispatchOnTime.Value = pct(a.DispatchedOnTime, a.Dispatched)
	s.ResponseOnTime.Value = pct(a.RespondedOnTime, a.Responded)
	s.Rating4Plus.Value = pct(a.Rating4Plus, a.Ratings)
	if a.Ratings > 0 {
		v := float64(a.RatingSum) / float64(a.Ratings)
		s.MeanRating.Value = &v
	}
	hours := func(median float64, n int64) *float64 {
		if n == 0 {
			return nil
		}
		h := median / 60
		return &h
	}
	s.MedianHandlingHours.Value = hours(median, resolved)
	s.MedianDispatchHours.Value = hours(dispatchMedian, dispatched)
	s.MedianResponseHours.Value = hours(responseMedian, responded)
	return s
}

// figuresCache keeps computed figures for a minute: the endpoint is
// public and each computation reads every report of the span.
type figuresCache struct {
	mu      sync.Mutex
	entries map[string]figuresEntry
}

type figuresEntry struct {
	at      time.Time
	overall HandlingStats
	groups  map[string]HandlingStats
}

const figuresTTL = time.Minute

// HandlingFigures computes the public handling figures.
func (s *ReportService) HandlingFigures(ctx context.Context, q FiguresQuery) (*HandlingFigures, error) {
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	from, to, err := figuresSpan(q, ref.Calendar.Location(), s.now(), false)
	if err != nil {
		return nil, err
	}
	end := to.AddDate(0, 0, 1)
	key := from.Format("2006-01-02") + "|" + to.Format("2006-01-02") + "|" + q.GroupBy

	s.figures.mu.Lock()
	e, ok := s.figures.entries[key]
	s.figures.mu.Unlock()
	if !ok || s.now().Sub(e.at) > figuresTTL {
		var all acc
		groups := map[string]*acc{}
		facts, err := s.store.HandlingFacts(ctx, from, end, q.GroupBy)
		if err != nil {
			return nil, err
		}
		for _, f := range facts {
			all.add(f)
			if q.GroupBy == "" {
				continue
			}
			g := groups[f.Key]
			if g == nil {
				g = &acc{}
				groups[f.Key] = g
			}
			g.add(f)
		}
		e = figuresEntry{at: s.now(), overall: all.stats(), groups: map[string]HandlingStats{}}
		for k, g := range groups {
			e.groups[k] = g.stats()
		}
		s.figures.mu.Lock()
		if s.figures.entries == nil || len(s.figures.entries) > 256 {
			s.figures.entries = map[string]figuresEntry{}
		}
		s.figures.entries[key] = e
		s.figures.mu.Unlock()
	}

	out := &HandlingFigures{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), GroupBy: q.GroupBy,
		MinGroupSize: FiguresMinGroup, Overall: e.overall, Groups: []HandlingGroup{}}
	for k, st := range e.groups {
		out.Groups = append(out.Groups, HandlingGroup{Key: k, Label: groupLabel(ref, q.GroupBy, k, q.Lang), HandlingStats: st})
	}
	slices.SortFunc(out.Groups, func(a, b HandlingGroup) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out, nil
}

func groupLabel(ref *Reference, groupBy, key string, lang i18n.Lang) string {
	switch groupBy {
	case "agency":
		for _, a := range ref.Agencies {
			if a.Code == key {
				return a.Name.In(lang)
			}
		}
	case "category":
		for _, c := range ref.Categories {
			if c.Code == key {
				return c.Name.In(lang)
			}
		}
	case "area":
		for _, a := range ref.Areas {
			if a.Code == key {
				return a.Name.In(lang)
			}
		}
		if key == "" {
			return i18n.T("Chưa xác định", "Unknown").In(lang)
		}
	}
	return key
}

var provinceZone = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
})

// ProvinceLocation is the province's time zone (Asia/Ho_Chi_Minh, +07:00),
// in which months and days of the figures are counted.
func ProvinceLocation() *time.Location { return provinceZone() }
