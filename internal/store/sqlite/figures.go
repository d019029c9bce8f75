package sqlite

import (
	"context"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// figureKeys maps a grouping to its column.
var figureKeys = map[string]string{"": "''", "agency": "r.agency_code", "category": "r.category_code", "area": "r.area_code"}

// HandlingFacts sums the reports created in [from, to) in SQL, by group
// and status: the timestamps are fixed-width UTC text, so deadlines
// compare as strings. Handling, dispatch and response times come back as
// histograms of minutes.
func (s *ReportStore) HandlingFacts(ctx context.Context, from, to time.Time, groupBy string) ([]feedback.FactGroup, error) {
	key, ok := figureKeys[groupBy]
	if !ok {
		return nil, apperr.Invalid(i18n.T("Cách nhóm không hợp lệ", "unknown grouping"))
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+key+`, r.status, count(*),
		count(r.dispatched_at), count(CASE WHEN r.dispatched_at <= r.dispatch_due THEN 1 END),
		count(r.responded_at), count(CASE WHEN r.responded_at <= r.response_due THEN 1 END),
		count(g.score), coalesce(sum(g.score), 0), count(CASE WHEN g.score >= 4 THEN 1 END)
		FROM reports r LEFT JOIN ratings g ON g.report_id = r.id
		WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2`, ts(from), ts(to))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	byKey := map[[2]string]*feedback.FactGroup{}
	var out []feedback.FactGroup
	for rows.Next() {
		var g feedback.FactGroup
		var status string
		if err := rows.Scan(&g.Key, &status, &g.N, &g.Dispatched, &g.DispatchedOnTime, &g.Responded, &g.RespondedOnTime,
			&g.Ratings, &g.RatingSum, &g.Rating4Plus); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		g.Status = feedback.Status(status)
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	for i := range out {
		byKey[[2]string{out[i].Key, string(out[i].Status)}] = &out[i]
	}
	// Three histograms of minutes: submission to resolution ('h', resolved
	// or closed reports), submission to dispatch ('d'), dispatch to the
	// agency's response ('r').
	minutes := func(a, b string) string {
		return `CAST(round((julianday(substr(` + b + `, 1, 23)) - julianday(substr(` + a + `, 1, 23))) * 1440) AS INTEGER)`
	}
	span := ` FROM reports r WHERE r.created_at >= ? AND r.created_at < ? AND `
	rows, err = s.db.read.QueryContext(ctx, `SELECT `+key+`, r.status, 'h', `+minutes("r.created_at", "r.resolved_at")+`, count(*)`+span+
		`r.resolved_at IS NOT NULL AND r.status IN ('resolved', 'closed') GROUP BY 1, 2, 3, 4
		UNION ALL SELECT `+key+`, r.status, 'd', `+minutes("r.created_at", "r.dispatched_at")+`, count(*)`+span+
		`r.dispatched_at IS NOT NULL GROUP BY 1, 2, 3, 4
		UNION ALL SELECT `+key+`, r.status, 'r', `+minutes("r.dispatched_at", "r.responded_at")+`, count(*)`+span+
		`r.dispatched_at IS NOT NULL AND r.responded_at IS NOT NULL GROUP BY 1, 2, 3, 4`,
		ts(from), ts(to), ts(from), ts(to), ts(from), ts(to))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, status, kind string
		var minutes, n int64
		if err := rows.Scan(&k, &status, &kind, &minutes, &n); err != nil {
			return nil, apperr.Internal(err)
		}
		g := byKey[[2]string{k, status}]
		if g == nil {
			continue
		}
		h := map[string]*map[int64]int64{"h": &g.HandlingMinutes, "d": &g.DispatchMinutes, "r": &g.ResponseMinutes}[kind]
		if *h == nil {
			*h = map[int64]int64{}
		}
		(*h)[minutes] += n
	}
	return out, apperr.InternalOrNil(rows.Err())
}
