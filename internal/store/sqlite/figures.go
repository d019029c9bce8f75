package sqlite

import (
	"context"
	"database/sql"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// HandlingFacts streams the facts of the reports created in [from, to),
// read through the creation-time index, with their ratings.
func (s *ReportStore) HandlingFacts(ctx context.Context, from, to time.Time, fn func(feedback.Fact) error) error {
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.category_code, r.area_code, r.agency_code, r.status, r.created_at,
		r.dispatched_at, r.responded_at, r.resolved_at, r.dispatch_due, r.response_due, COALESCE(g.score, 0)
		FROM reports r LEFT JOIN ratings g ON g.report_id = r.id WHERE r.created_at >= ? AND r.created_at < ?`, ts(from), ts(to))
	if err != nil {
		return apperr.Internal(err)
	}
	defer rows.Close()
	opt := func(v sql.NullString) *time.Time {
		if !v.Valid {
			return nil
		}
		t := parseTS(v.String)
		return &t
	}
	for rows.Next() {
		var f feedback.Fact
		var status, created, dispatchDue, responseDue string
		var dispatched, responded, resolved sql.NullString
		if err := rows.Scan(&f.CategoryCode, &f.AreaCode, &f.AgencyCode, &status, &created, &dispatched, &responded, &resolved,
			&dispatchDue, &responseDue, &f.Rating); err != nil {
			return apperr.Internal(err)
		}
		f.Status, f.CreatedAt, f.DispatchDue, f.ResponseDue = feedback.Status(status), parseTS(created), parseTS(dispatchDue), parseTS(responseDue)
		f.DispatchedAt, f.RespondedAt, f.ResolvedAt = opt(dispatched), opt(responded), opt(resolved)
		if err := fn(f); err != nil {
			return err
		}
	}
	return apperr.InternalOrNil(rows.Err())
}
