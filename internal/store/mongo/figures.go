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

// HandlingFacts sums the reports created in [from, to) by group and
// status, reading them in pages of 1000 by _id (time-ordered), each page's
// ratings by _id; the arithmetic is done in Go.

// ixFacts: the period's reports, page by page in creation order.
var ixFacts = servedBy(collReports, "HandlingFacts: the period's reports in creation order", asc("created_at"), asc("_id"))

func (s *ReportStore) HandlingFacts(ctx context.Context, from, to time.Time, groupBy string) ([]feedback.FactGroup, error) {
	groups := map[[2]string]*feedback.FactGroup{}
	add := func(f feedback.Fact) {
		k := [2]string{f.GroupKey(groupBy), string(f.Status)}
		g := groups[k]
		if g == nil {
			g = &feedback.FactGroup{Key: k[0], Status: f.Status}
			groups[k] = g
		}
		g.Add(f)
	}
	var after *reportDoc
	for {
		// Pages in (created_at, _id) order on their index: the server
		// reads the period in order and stops at each page's end, instead
		// of sorting the period's reports in memory.
		filter := bson.D{{Key: "created_at", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}}
		if after != nil {
			filter = append(filter, bson.E{Key: "$or", Value: bson.A{
				bson.D{{Key: "created_at", Value: bson.D{{Key: "$gt", Value: after.CreatedAt}}}},
				bson.D{{Key: "created_at", Value: after.CreatedAt}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after.ID}}}},
			}})
		}
		page, err := findAll(ctx, s.reports(), filter,
			options.Find().SetProjection(factFields).SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(1000).SetHint(ixFacts),
			func(d reportDoc) reportDoc { return d })
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			out := make([]feedback.FactGroup, 0, len(groups))
			for _, g := range groups {
				out = append(out, *g)
			}
			return out, nil
		}
		ids := make([]string, len(page))
		for i, d := range page {
			ids[i] = d.ID
		}
		scores := map[string]int{}
		ratings, err := findAll(ctx, s.db.db.Collection(collRatings), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
			options.Find().SetProjection(bson.D{{Key: "score", Value: 1}}), func(d ratingDoc) ratingDoc { return d })
		if err != nil {
			return nil, err
		}
		for _, r := range ratings {
			scores[r.ReportID] = r.Score
		}
		for _, d := range page {
			f := feedback.Fact{CategoryCode: d.CategoryCode, AreaCode: d.AreaCode, AgencyCode: d.AgencyCode, Status: feedback.Status(d.Status),
				CreatedAt: d.CreatedAt, DispatchedAt: d.DispatchedAt, RespondedAt: d.RespondedAt, ResolvedAt: d.ResolvedAt,
				DispatchDue: d.DispatchDue, ResponseDue: d.ResponseDue, Rating: scores[d.ID]}
			add(f)
		}
		after = &page[len(page)-1]
	}
}
