package sqlite

import (
	"context"
	"time"

	"camaug/feedback"
)

var _ feedback.ChangeStore = (*ReportStore)(nil)

// FeedChanges walks reports_changes from since (or the cursor): the other
// filters are checked on each row.
func (s *ReportStore) FeedChanges(ctx context.Context, f feedback.FeedFilter, since time.Time, after *feedback.ChangeCursor) ([]feedback.Report, error) {
	q, args := changesQuery(f, since, after)
	return s.list(ctx, q, args...)
}

// ReporterChanges walks reports_reporter_changes within the reporter.
func (s *ReportStore) ReporterChanges(ctx context.Context, reporterID string, since time.Time, after *feedback.ChangeCursor, limit int) ([]feedback.Report, error) {
	q, args := reporterChangesQuery(reporterID, since, after, limit)
	return s.list(ctx, q, args...)
}

// changesQuery is FeedChanges' statement.
func changesQuery(f feedback.FeedFilter, since time.Time, after *feedback.ChangeCursor) (string, []any) {
	q := `SELECT ` + reportColumns + ` FROM reports INDEXED BY reports_changes WHERE updated_at >= ?`
	args := []any{ts(since)}
	if after != nil {
		q += ` AND (updated_at, id) > (?, ?)`
		args = append(args, ts(after.UpdatedAt), after.ID)
	}
	q += ` AND status IN (` + placeholders(len(f.Statuses)) + `)`
	for _, st := range f.Statuses {
		args = append(args, string(st))
	}
	for _, c := range []struct{ col, v string }{{"category_code", f.CategoryCode}, {"area_code", f.AreaCode}, {"agency_code", f.AgencyCode}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if b := f.BBox; b != nil {
		q += ` AND lng BETWEEN ? AND ? AND lat BETWEEN ? AND ?`
		args = append(args, b[0], b[2], b[1], b[3])
	}
	if f.Since != nil {
		q += ` AND created_at >= ?`
		args = append(args, ts(*f.Since))
	}
	q += ` ORDER BY updated_at, id LIMIT ?`
	return q, append(args, f.Limit)
}

// reporterChangesQuery is ReporterChanges' statement.
func reporterChangesQuery(reporterID string, since time.Time, after *feedback.ChangeCursor, limit int) (string, []any) {
	q := `SELECT ` + reportColumns + ` FROM reports INDEXED BY reports_reporter_changes WHERE reporter_id = ? AND updated_at >= ?`
	args := []any{reporterID, ts(since)}
	if after != nil {
		q += ` AND (updated_at, id) > (?, ?)`
		args = append(args, ts(after.UpdatedAt), after.ID)
	}
	q += ` ORDER BY updated_at, id LIMIT ?`
	return q, append(args, limit)
}
