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
// compare as strings. Handling times come back as a histogram of minutes.
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
	rows, err = s.db.read.QueryContext(ctx, `SELECT `+key+`, r.status,
		CAST(round((julianday(substr(r.resolved_at, 1, 23)) - julianday(substr(r.created_at, 1, 23))) * 1440) AS INTEGER) m, count(*)
		FROM reports r WHERE r.created_at >= ? AND r.created_at < ? AND r.resolved_at IS NOT NULL AND r.status IN ('resolved', 'closed')
		GROUP BY 1, 2, 3`, ts(from), ts(to))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, status string
		var minutes, n int64
		if err := rows.Scan(&k, &status, &minutes, &n); err != nil {
			return nil, apperr.Internal(err)
		}
		if g := byKey[[2]string{k, status}]; g != nil {
			if g.HandlingMinutes == nil {
				g.HandlingMinutes = map[int64]int64{}
			}
			g.HandlingMinutes[minutes] += n
		}
	}
	return out, apperr.InternalOrNil(rows.Err())
}
