package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
)

// factFields is the projection of a report that the figures read.
var factFields = bson.D{{Key: "category_code", Value: 1}, {Key: "area_code", Value: 1}, {Key: "agency_code", Value: 1},
	{Key: "status", Value: 1}, {Key: "created_at", Value: 1}, {Key: "dispatched_at", Value: 1}, {Key: "responded_at", Value: 1},
	{Key: "resolved_at", Value: 1}, {Key: "dispatch_due", Value: 1}, {Key: "response_due", Value: 1}}

// HandlingFacts streams the facts of the reports created in [from, to),
// in pages of 1000 by _id (time-ordered), each page's ratings read by _id.
func (s *ReportStore) HandlingFacts(ctx context.Context, from, to time.Time, fn func(feedback.Fact) error) error {
	after := ""
	for {
		filter := bson.D{{Key: "created_at", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}}
		if after != "" {
			filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}})
		}
		page, err := findAll(ctx, s.reports(), filter,
			options.Find().SetProjection(factFields).SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(1000), func(d reportDoc) reportDoc { return d })
		if err != nil || len(page) == 0 {
			return err
		}
		ids := make([]string, len(page))
		for i, d := range page {
			ids[i] = d.ID
		}
		scores := map[string]int{}
		ratings, err := findAll(ctx, s.db.db.Collection(collRatings), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
			options.Find().SetProjection(bson.D{{Key: "score", Value: 1}}), func(d ratingDoc) ratingDoc { return d })
		if err != nil {
			return err
		}
		for _, r := range ratings {
			scores[r.ReportID] = r.Score
		}
		for _, d := range page {
			f := feedback.Fact{CategoryCode: d.CategoryCode, AreaCode: d.AreaCode, AgencyCode: d.AgencyCode, Status: feedback.Status(d.Status),
				CreatedAt: d.CreatedAt, DispatchedAt: d.DispatchedAt, RespondedAt: d.RespondedAt, ResolvedAt: d.ResolvedAt,
				DispatchDue: d.DispatchDue, ResponseDue: d.ResponseDue, Rating: scores[d.ID]}
			if err := fn(f); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
}
