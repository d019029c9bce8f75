package feedback

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// StatsQuery selects the statistics feed (GET /v1/stats/reports): reports
// created from From to To (inclusive days, "2006-01-02", province zone),
// counted per Period ("day" or "month") and grouped by GroupBy ("",
// "agency", "category" or "area"). A page covers at most Limit periods,
// starting at Cursor (from a previous page's NextCursor).
type StatsQuery struct {
	From, To string
	Period   string
	GroupBy  string
	Cursor   string
	Limit    int
	Lang     i18n.Lang
}

// StatsMaxDays bounds the span of one feed query: ten years, read a page
// of periods at a time.
const StatsMaxDays = 3660

// StatsRow is the figures of one period and group. They are computed by
// the same rules as HandlingFigures (the public indicators and the
// console's analytics): a group of fewer than FiguresMinGroup reports
// shows its counts of received, dispatched, responded and resolved
// reports only (the indicators show these as their rates' n), and null
// for everything that would reveal a rate.
type StatsRow struct {
	Period     string `json:"period"` // "2026-11-28" or "2026-11"
	GroupKey   string `json:"group_key,omitempty"`
	GroupLabel string `json:"group_label,omitempty"`
	Suppressed bool   `json:"suppressed"`
	Received   int64  `json:"received"`
	Dispatched int64  `json:"dispatched"`
	// DispatchedOnTime were dispatched by their deadline, DispatchOverdue
	// after it; RespondedOnTime and ResponseOverdue likewise for the
	// agencies' responses (QĐ 17/2022/QĐ-UBND's time limits).
	DispatchedOnTime *int64 `json:"dispatched_on_time"`
	DispatchOverdue  *int64 `json:"dispatch_overdue"`
	Responded        int64  `json:"responded"`
	RespondedOnTime  *int64 `json:"responded_on_time"`
	ResponseOverdue  *int64 `json:"response_overdue"`
	Resolved         int64  `json:"resolved"`
	// The medians, in hours: submission to dispatch, dispatch to the
	// agency's response, submission to resolution.
	MedianDispatchHours   *float64 `json:"median_dispatch_hours"`
	MedianResponseHours   *float64 `json:"median_response_hours"`
	MedianResolutionHours *float64 `json:"median_resolution_hours"`
}

// StatsPage is one page of the feed.
type StatsPage struct {
	From         string     `json:"from"`
	To           string     `json:"to"`
	Period       string     `json:"period"`
	GroupBy      string     `json:"group_by,omitempty"`
	MinGroupSize int        `json:"min_group_size"`
	Items        []StatsRow `json:"items"`
	NextCursor   *string    `json:"next_cursor"`
}

func statsRow(period string, a *acc) StatsRow {
	s := a.stats()
	r := StatsRow{Period: period, Suppressed: s.Suppressed, Received: a.N, Dispatched: a.Dispatched, Responded: a.Responded,
		Resolved: s.MedianHandlingHours.N}
	if !s.Suppressed {
		on, late := a.DispatchedOnTime, a.Dispatched-a.DispatchedOnTime
		ron, rlate := a.RespondedOnTime, a.Responded-a.RespondedOnTime
		r.DispatchedOnTime, r.DispatchOverdue, r.RespondedOnTime, r.ResponseOverdue = &on, &late, &ron, &rlate
		r.MedianDispatchHours, r.MedianResponseHours, r.MedianResolutionHours =
			s.MedianDispatchHours.Value, s.MedianResponseHours.Value, s.MedianHandlingHours.Value
	}
	return r
}

// encodeStatsCursor carries the next period's first
// day, opaquely.
func encodeStatsCursor(day time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(day.Format("2006-01-02")))
}

// Stats computes one page of the statistics feed, one store query per
// period, with the rules of HandlingFigures.
func (s *ReportService) Stats(ctx context.Context, q StatsQuery) (*StatsPage, error) {
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	loc := ref.Calendar.Location()
	var fs []apperr.FieldError
	if q.Period == "" {
		q.Period = "month"
	}
	if q.Limit <= 0 {
		q.Limit = 31
	}
	if q.Period != "day" && q.Period != "month" {
		fs = append(fs, fieldErr("period", "Chỉ nhận day hoặc month", "must be day or month"))
	}
	// The span's checks, without the indicators' one-year bound: the
	// feed pages through longer spans.
	from, to, err := figuresSpan(FiguresQuery{From: q.From, To: q.To, GroupBy: q.GroupBy}, loc, s.now(), false)
	if err != nil {
		var ae *apperr.Error
		if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != "to" || from.After(to) {
			return nil, err
		}
	}
	if to.Sub(from) > StatsMaxDays*24*time.Hour {
		fs = append(fs, fieldErr("to", "Tối đa 3660 ngày mỗi truy vấn", "the span must be at most 3660 days"))
	}
	start := from
	if q.Period == "month" {
		start = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, loc)
	}
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		c, err2 := time.ParseInLocation("2006-01-02", string(b), loc)
		if err != nil || err2 != nil || c.Before(start) || c.After(to) {
			fs = append(fs, fieldErr("cursor", "Con trỏ trang không hợp lệ", "is not a valid cursor"))
		} else {
			start = c
		}
	}
	if len(fs) > 0 {
		return nil, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameters"), fs...)
	}
	out := &StatsPage{From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Period: q.Period, GroupBy: q.GroupBy,
		MinGroupSize: FiguresMinGroup, Items: []StatsRow{}}
	end := to.AddDate(0, 0, 1)
	for i := 0; start.Before(end); i++ {
		if i == q.Limit {
			next := encodeStatsCursor(start)
			out.NextCursor = &next
			break
		}
		next, label := start.AddDate(0, 0, 1), start.Format("2006-01-02")
		if q.Period == "month" {
			next, label = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, loc), start.Format("2006-01")
		}
		// Within the span: a month is cut to the asked days, as the
		// indicators for the same days would count it.
		lo, hi := start, next
		if lo.Before(from) {
			lo = from
		}
		if hi.After(end) {
			hi = end
		}
		facts, err := s.store.HandlingFacts(ctx, lo, hi, q.GroupBy)
		if err != nil {
			return nil, err
		}
		if q.GroupBy == "" {
			var all acc
			for _, f := range facts {
				all.add(f)
			}
			out.Items = append(out.Items, statsRow(label, &all))
		} else {
			groups := map[string]*acc{}
			for _, f := range facts {
				if groups[f.Key] == nil {
					groups[f.Key] = &acc{}
				}
				groups[f.Key].add(f)
			}
			keys := make([]string, 0, len(groups))
			for k := range groups {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				r := statsRow(label, groups[k])
				r.GroupKey, r.GroupLabel = k, groupLabel(ref, q.GroupBy, k, q.Lang)
				out.Items = append(out.Items, r)
			}
		}
		start = next
	}
	return out, nil
}
