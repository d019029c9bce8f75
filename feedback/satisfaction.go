package feedback

import (
	"cmp"
	"context"
	"slices"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// The field-report satisfaction indicator (PRODUCT.md §8): the ratings
// reporters give to answered field reports, published on their own and
// never mixed into SIPAS, which is computed from survey answers only.

// SatisfactionFigure is the field-report satisfaction of one selection:
// Value is the percentage of the ratings that are 4 or 5 (satisfied), N the
// number of ratings, CILow..CIHigh its 95% Wilson interval (percent) and
// MeanRating the mean score 1–5. Values are nil when there are no ratings
// or fewer than the minimum group size (then Suppressed).
type SatisfactionFigure struct {
	Value      *float64 `json:"value"`
	N          int64    `json:"n"`
	CILow      *float64 `json:"ci_low"`
	CIHigh     *float64 `json:"ci_high"`
	MeanRating *float64 `json:"mean_rating"`
	Suppressed bool     `json:"suppressed,omitempty"`
}

// SatisfactionGroup is the figure of one agency, category, area or month.
type SatisfactionGroup struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	SatisfactionFigure
}

// ReportSatisfaction is GET /v1/indicators/report-satisfaction.
type ReportSatisfaction struct {
	From         string              `json:"from"`
	To           string              `json:"to"`
	GroupBy      string              `json:"group_by,omitempty"`
	MinGroupSize int                 `json:"min_group_size"`
	Overall      SatisfactionFigure  `json:"overall"`
	Groups       []SatisfactionGroup `json:"groups"`
}

// satisfactionOf turns a tally of ratings into the published figure.
func satisfactionOf(ratings, satisfied, sum int64) SatisfactionFigure {
	f := SatisfactionFigure{N: ratings}
	switch {
	case ratings == 0:
	case ratings < FiguresMinGroup:
		f.Suppressed = true
	default:
		v := 100 * float64(satisfied) / float64(ratings)
		lo, hi := Wilson(satisfied, ratings)
		lo, hi = 100*lo, 100*hi
		m := float64(sum) / float64(ratings)
		f.Value, f.CILow, f.CIHigh, f.MeanRating = &v, &lo, &hi, &m
	}
	return f
}

// ReportSatisfaction computes the field-report satisfaction of the reports
// submitted from q.From to q.To (inclusive days, province zone; the last 90
// days by default, at most 366), overall and grouped by q.GroupBy:
// "agency" (the agency handling the report), "category", "area" or
// "month" (of submission). Only analysts and admins read it, like the
// SIPAS indicators it is published beside.
func (s *ReportService) ReportSatisfaction(ctx context.Context, p identity.Principal, q FiguresQuery) (*ReportSatisfaction, error) {
	if err := p.Require(identity.PermIndicatorsRead); err != nil {
		return nil, err
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	loc := ref.Calendar.Location()
	groupBy := q.GroupBy
	from, to, err := figuresSpan(q, loc, s.now(), true)
	if err != nil {
		return nil, err
	}
	out := &ReportSatisfaction{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), GroupBy: groupBy,
		MinGroupSize: FiguresMinGroup, Groups: []SatisfactionGroup{}}
	type tally struct{ n, satisfied, sum int64 }
	var all tally
	groups := map[string]*tally{}
	add := func(key string, g FactGroup) {
		all.n, all.satisfied, all.sum = all.n+g.Ratings, all.satisfied+g.Rating4Plus, all.sum+g.RatingSum
		if groupBy == "" || g.Ratings == 0 {
			return
		}
		t := groups[key]
		if t == nil {
			t = &tally{}
			groups[key] = t
		}
		t.n, t.satisfied, t.sum = t.n+g.Ratings, t.satisfied+g.Rating4Plus, t.sum+g.RatingSum
	}
	end := to.AddDate(0, 0, 1)
	if groupBy == "month" {
		// One read per calendar month of submission (at most 13).
		for start := from; start.Before(end); {
			next := time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, loc)
			if next.After(end) {
				next = end
			}
			facts, err := s.store.HandlingFacts(ctx, start, next, "")
			if err != nil {
				return nil, err
			}
			for _, g := range facts {
				add(start.Format("2006-01"), g)
			}
			start = next
		}
	} else {
		facts, err := s.store.HandlingFacts(ctx, from, end, groupBy)
		if err != nil {
			return nil, err
		}
		for _, g := range facts {
			add(g.Key, g)
		}
	}
	out.Overall = satisfactionOf(all.n, all.satisfied, all.sum)
	for k, t := range groups {
		label := k
		if groupBy != "month" {
			label = groupLabel(ref, groupBy, k, q.Lang)
		}
		out.Groups = append(out.Groups, SatisfactionGroup{Key: k, Label: label, SatisfactionFigure: satisfactionOf(t.n, t.satisfied, t.sum)})
	}
	slices.SortFunc(out.Groups, func(a, b SatisfactionGroup) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// figuresSpan reads and checks the days and grouping of a figures query:
// from..to inclusive in loc, the last 90 days up to today by default, at
// most FiguresMaxDays; GroupBy "", "agency", "category" or "area", or
// "month" when byMonth.
func figuresSpan(q FiguresQuery, loc *time.Location, clock time.Time, byMonth bool) (from, to time.Time, err error) {
	now := clock.In(loc)
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
	to = day("to", q.To, today)
	from = day("from", q.From, to.AddDate(0, 0, -89))
	switch {
	case q.GroupBy == "", q.GroupBy == "agency", q.GroupBy == "category", q.GroupBy == "area":
	case byMonth && q.GroupBy == "month":
	case byMonth:
		fs = append(fs, fieldErr("group_by", "Chỉ nhận agency, category, area hoặc month", "must be agency, category, area or month"))
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
		return from, to, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameters"), fs...)
	}
	return from, to, nil
}
