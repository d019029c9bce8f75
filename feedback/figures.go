package feedback

import (
	"context"
	"slices"
	"sync"
	"time"

	"camaug/internal/apperr"
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

// FactStore streams the facts of reports created in [from, to).
type FactStore interface {
	HandlingFacts(ctx context.Context, from, to time.Time, fn func(Fact) error) error
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

func (c *StatusCounts) add(s Status) {
	switch s {
	case StatusSubmitted:
		c.Submitted++
	case StatusDispatched:
		c.Dispatched++
	case StatusAccepted:
		c.Accepted++
	case StatusInProgress:
		c.InProgress++
	case StatusResolved:
		c.Resolved++
	case StatusClosed:
		c.Closed++
	case StatusRejected:
		c.Rejected++
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
	n                          int64
	status                     StatusCounts
	dispatched, dispatchedOK   int64
	responded, respondedOK     int64
	hours                      []float64
	ratings, ratingSum, rated4 int64
}

func (a *acc) add(f Fact) {
	a.n++
	a.status.add(f.Status)
	if f.DispatchedAt != nil {
		a.dispatched++
		if !f.DispatchedAt.After(f.DispatchDue) {
			a.dispatchedOK++
		}
	}
	if f.RespondedAt != nil {
		a.responded++
		if !f.RespondedAt.After(f.ResponseDue) {
			a.respondedOK++
		}
	}
	if f.ResolvedAt != nil && (f.Status == StatusResolved || f.Status == StatusClosed) {
		a.hours = append(a.hours, f.ResolvedAt.Sub(f.CreatedAt).Hours())
	}
	if f.Rating > 0 {
		a.ratings++
		a.ratingSum += int64(f.Rating)
		if f.Rating >= 4 {
			a.rated4++
		}
	}
}

func (a *acc) stats() HandlingStats {
	s := HandlingStats{Reports: a.n, DispatchOnTime: Rate{N: a.dispatched}, ResponseOnTime: Rate{N: a.responded},
		MedianHandlingHours: Rate{N: int64(len(a.hours))}, MeanRating: Rate{N: a.ratings}, Rating4Plus: Rate{N: a.ratings}}
	if a.n < FiguresMinGroup {
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
	s.DispatchOnTime.Value = pct(a.dispatchedOK, a.dispatched)
	s.ResponseOnTime.Value = pct(a.respondedOK, a.responded)
	s.Rating4Plus.Value = pct(a.rated4, a.ratings)
	if a.ratings > 0 {
		v := float64(a.ratingSum) / float64(a.ratings)
		s.MeanRating.Value = &v
	}
	if len(a.hours) > 0 {
		h := slices.Clone(a.hours)
		slices.Sort(h)
		m := h[len(h)/2]
		if len(h)%2 == 0 {
			m = (h[len(h)/2-1] + h[len(h)/2]) / 2
		}
		s.MedianHandlingHours.Value = &m
	}
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
	loc := ref.Calendar.Location()
	now := s.now().In(loc)
	var fs []apperr.FieldError
	day := func(field, v string, def time.Time) time.Time {
		if v == "" {
			return def
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			fs = append(fs, fieldErr(field, "Ngày dạng YYYY-MM-DD", "must be a date like 2026-11-28"))
		}
		return t
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	to := day("to", q.To, today)
	from := day("from", q.From, to.AddDate(0, 0, -89))
	switch q.GroupBy {
	case "", "agency", "category", "area":
	default:
		fs = append(fs, fieldErr("group_by", "Chỉ nhận agency, category hoặc area", "must be agency, category or area"))
	}
	if len(fs) == 0 && from.After(to) {
		fs = append(fs, fieldErr("from", "Ngày bắt đầu phải trước ngày kết thúc", "must not be after to"))
	}
	if len(fs) == 0 && to.Sub(from) > FiguresMaxDays*24*time.Hour {
		fs = append(fs, fieldErr("to", "Tối đa 366 ngày mỗi lần", "the span must be at most 366 days"))
	}
	if len(fs) > 0 {
		return nil, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameters"), fs...)
	}
	end := to.AddDate(0, 0, 1)
	key := from.Format("2006-01-02") + "|" + to.Format("2006-01-02") + "|" + q.GroupBy

	s.figures.mu.Lock()
	e, ok := s.figures.entries[key]
	s.figures.mu.Unlock()
	if !ok || s.now().Sub(e.at) > figuresTTL {
		var all acc
		groups := map[string]*acc{}
		err := s.store.HandlingFacts(ctx, from, end, func(f Fact) error {
			all.add(f)
			if q.GroupBy == "" {
				return nil
			}
			k := map[string]string{"agency": f.AgencyCode, "category": f.CategoryCode, "area": f.AreaCode}[q.GroupBy]
			g := groups[k]
			if g == nil {
				g = &acc{}
				groups[k] = g
			}
			g.add(f)
			return nil
		})
		if err != nil {
			return nil, err
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
