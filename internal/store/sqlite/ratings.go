package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

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

// RatingCounts tallies the ratings created in [from, to).
func (s *RatingStore) RatingCounts(ctx context.Context, from, to time.Time) ([]feedback.RatingCount, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT agency_code, area_code, score, created_at FROM ratings
		WHERE created_at >= ? AND created_at < ?`, ts(from), ts(to))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var rs []feedback.Rating
	for rows.Next() {
		var r feedback.Rating
		var created string
		if err := rows.Scan(&r.AgencyCode, &r.AreaCode, &r.Score, &created); err != nil {
			return nil, apperr.Internal(err)
		}
		r.CreatedAt = parseTS(created)
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return feedback.TallyRatings(rs, feedback.ProvinceLocation()), nil
}
