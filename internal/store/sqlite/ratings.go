package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// RatingStore implements feedback.RatingStore.
type RatingStore struct{ db *DB }

var _ feedback.RatingStore = (*RatingStore)(nil)

// Ratings returns the rating store.
func (db *DB) Ratings() feedback.RatingStore { return &RatingStore{db: db} }

// GetRating returns a report's rating.
func (s *RatingStore) GetRating(ctx context.Context, reportID string) (feedback.Rating, error) {
	var r feedback.Rating
	var created, updated string
	err := s.db.read.QueryRowContext(ctx, `SELECT report_id, user_id, agency_code, area_code, score, comment, created_at, updated_at FROM ratings WHERE report_id = ?`,
		reportID).Scan(&r.ReportID, &r.UserID, &r.AgencyCode, &r.AreaCode, &r.Score, &r.Comment, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return r, apperr.NotFound(i18n.T("Chưa có đánh giá", "not rated"))
	}
	r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
	return r, apperr.InternalOrNil(err)
}

// PutRating stores or replaces a report's rating.
func (s *RatingStore) PutRating(ctx context.Context, r feedback.Rating) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO ratings (report_id, user_id, agency_code, area_code, score, comment, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (report_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,
		updated_at = excluded.updated_at`, r.ReportID, r.UserID, r.AgencyCode, r.AreaCode, r.Score, r.Comment, ts(r.CreatedAt), ts(r.UpdatedAt))
	return apperr.InternalOrNil(err)
}

// RatingCounts reads the tally of the ratings created in the months
// from..to (inclusive, "2006-01"), kept by triggers as ratings are written.
func (s *RatingStore) RatingCounts(ctx context.Context, fromPeriod, toPeriod string) ([]feedback.RatingCount, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT agency_code, area_code, period, score, n FROM rating_tally
		WHERE period >= ? AND period <= ? AND n > 0 ORDER BY agency_code, area_code, period, score`, fromPeriod, toPeriod)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.RatingCount{}
	for rows.Next() {
		var c feedback.RatingCount
		if err := rows.Scan(&c.AgencyCode, &c.AreaCode, &c.Period, &c.Score, &c.N); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, c)
	}
	return out, apperr.InternalOrNil(rows.Err())
}
