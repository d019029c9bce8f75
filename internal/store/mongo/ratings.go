package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// PutRating stores or replaces a report's rating (one document per report)
// and moves the tally from the old score to the new one. The tally's $inc
// is atomic on MongoDB; FerretDB loses concurrent $inc on one document, so
// this process serializes its tally writes. A crash between the rating and
// its tally leaves the tally one off until `camaug reindex`.
func (s *RatingStore) PutRating(ctx context.Context, r feedback.Rating) error {
	var old ratingDoc
	err := s.db.db.Collection(collRatings).FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: r.ReportID}},
		ratingDoc{ReportID: r.ReportID, UserID: r.UserID, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode, Score: r.Score, Comment: r.Comment,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()},
		options.FindOneAndReplace().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&old)
	existed := err == nil
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return internal(err)
	}
	ratingTallyMu.Lock()
	defer ratingTallyMu.Unlock()
	if existed {
		if err := s.tally(ctx, old.AgencyCode, old.AreaCode, old.CreatedAt, old.Score, -1); err != nil {
			return err
		}
	}
	return s.tally(ctx, r.AgencyCode, r.AreaCode, r.CreatedAt, r.Score, 1)
}

const collRatingTally = "rating_tally"

var ratingTallyMu sync.Mutex

type tallyDoc struct {
	ID         string `bson:"_id"`
	Period     string `bson:"period"`
	AgencyCode string `bson:"agency_code"`
	AreaCode   string `bson:"area_code"`
	Score      int    `bson:"score"`
	N          int64  `bson:"n"`
}

func tallyID(period, agency, area string, score int) string {
	return fmt.Sprintf("%s|%s|%s|%d", period, agency, area, score)
}

func (s *RatingStore) tally(ctx context.Context, agency, area string, created time.Time, score int, delta int64) error {
	period := created.In(feedback.ProvinceLocation()).Format("2006-01")
	_, err := s.db.db.Collection(collRatingTally).UpdateOne(ctx, bson.D{{Key: "_id", Value: tallyID(period, agency, area, score)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: delta}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "period", Value: period}, {Key: "agency_code", Value: agency},
				{Key: "area_code", Value: area}, {Key: "score", Value: score}}}},
		options.UpdateOne().SetUpsert(true))
	return internal(err)
}

// ixTally walks the tally in the order RatingCounts returns it; the
// period range is checked on each (small) entry.
var ixTally = servedBy(collRatingTally, "RatingCounts: agency, area, period, score order", asc("agency_code"), asc("area_code"),
	asc("period"), asc("score"))

// ixAllRatings: a reindex reads every rating and empties the tally.
var (
	ixAllRatings = servedBy(collRatings, "RebuildTally: every rating", asc("_id"))
	ixAllTally   = servedBy(collRatingTally, "RebuildTally: empty the tally", asc("_id"))
)

// RatingCounts reads the tally of the months fromPeriod..toPeriod.
func (s *RatingStore) RatingCounts(ctx context.Context, fromPeriod, toPeriod string) ([]feedback.RatingCount, error) {
	// index: ixTally (a small collection: agencies × areas × months × 5)
	out, err := findAll(ctx, s.db.db.Collection(collRatingTally),
		bson.D{{Key: "period", Value: bson.D{{Key: "$gte", Value: fromPeriod}, {Key: "$lte", Value: toPeriod}}}, {Key: "n", Value: bson.D{{Key: "$gt", Value: 0}}}},
		options.Find().SetSort(bson.D{{Key: "agency_code", Value: 1}, {Key: "area_code", Value: 1}, {Key: "period", Value: 1}, {Key: "score", Value: 1}}),
		func(d tallyDoc) feedback.RatingCount {
			return feedback.RatingCount{AgencyCode: d.AgencyCode, AreaCode: d.AreaCode, Period: d.Period, Score: d.Score, N: d.N}
		})
	if out == nil && err == nil {
		out = []feedback.RatingCount{}
	}
	return out, err
}

// RebuildTally recomputes the rating tally from the ratings (reindex).
func (s *RatingStore) RebuildTally(ctx context.Context) error {
	// index: ixAllRatings
	rs, err := findAll(ctx, s.db.db.Collection(collRatings), bson.D{},
		options.Find().SetProjection(bson.D{{Key: "agency_code", Value: 1}, {Key: "area_code", Value: 1}, {Key: "score", Value: 1}, {Key: "created_at", Value: 1}}),
		func(d ratingDoc) feedback.Rating {
			return feedback.Rating{AgencyCode: d.AgencyCode, AreaCode: d.AreaCode, Score: d.Score, CreatedAt: d.CreatedAt}
		})
	if err != nil {
		return err
	}
	ratingTallyMu.Lock()
	defer ratingTallyMu.Unlock()
	if _, err := s.db.db.Collection(collRatingTally).DeleteMany(ctx, bson.D{}); err != nil { // index: ixAllTally
		return internal(err)
	}
	for _, c := range feedback.TallyRatings(rs, feedback.ProvinceLocation()) {
		d := tallyDoc{ID: tallyID(c.Period, c.AgencyCode, c.AreaCode, c.Score), Period: c.Period, AgencyCode: c.AgencyCode, AreaCode: c.AreaCode,
			Score: c.Score, N: c.N}
		if _, err := s.db.db.Collection(collRatingTally).InsertOne(ctx, d); err != nil {
			return internal(err)
		}
	}
	return nil
}

func ratingIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{collRatingTally: {{Keys: bson.D{{Key: "period", Value: 1}}}}}
}
