package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

const collRatings = "ratings"

type ratingDoc struct {
	ReportID   string    `bson:"_id"`
	UserID     string    `bson:"user_id"`
	AgencyCode string    `bson:"agency_code"`
	AreaCode   string    `bson:"area_code"`
	Score      int       `bson:"score"`
	Comment    string    `bson:"comment"`
	CreatedAt  time.Time `bson:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at"`
}

// RatingStore implements feedback.RatingStore.
type RatingStore struct{ db *DB }

var _ feedback.RatingStore = (*RatingStore)(nil)

// Ratings returns the rating store.
func (db *DB) Ratings() feedback.RatingStore { return &RatingStore{db: db} }

// GetRating returns a report's rating.
func (s *RatingStore) GetRating(ctx context.Context, reportID string) (feedback.Rating, error) {
	var d ratingDoc
	err := s.db.db.Collection(collRatings).FindOne(ctx, bson.D{{Key: "_id", Value: reportID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return feedback.Rating{}, apperr.NotFound(i18n.T("Chưa có đánh giá", "not rated"))
	}
	return feedback.Rating{ReportID: d.ReportID, UserID: d.UserID, AgencyCode: d.AgencyCode, AreaCode: d.AreaCode, Score: d.Score,
		Comment: d.Comment, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}, internal(err)
}

// PutRating stores or replaces a report's rating (one document per report).
func (s *RatingStore) PutRating(ctx context.Context, r feedback.Rating) error {
	_, err := s.db.db.Collection(collRatings).ReplaceOne(ctx, bson.D{{Key: "_id", Value: r.ReportID}},
		ratingDoc{ReportID: r.ReportID, UserID: r.UserID, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode, Score: r.Score, Comment: r.Comment,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, options.Replace().SetUpsert(true))
	return internal(err)
}

// RatingCounts tallies the ratings created in [from, to), read through the
// creation-time index and grouped in Go.
func (s *RatingStore) RatingCounts(ctx context.Context, from, to time.Time) ([]feedback.RatingCount, error) {
	rs, err := findAll(ctx, s.db.db.Collection(collRatings),
		bson.D{{Key: "created_at", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}},
		options.Find().SetProjection(bson.D{{Key: "agency_code", Value: 1}, {Key: "area_code", Value: 1}, {Key: "score", Value: 1}, {Key: "created_at", Value: 1}}),
		func(d ratingDoc) feedback.Rating {
			return feedback.Rating{AgencyCode: d.AgencyCode, AreaCode: d.AreaCode, Score: d.Score, CreatedAt: d.CreatedAt}
		})
	if err != nil {
		return nil, err
	}
	return feedback.TallyRatings(rs, feedback.ProvinceLocation()), nil
}

func ratingIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{collRatings: {{Keys: bson.D{{Key: "created_at", Value: 1}}}}}
}
