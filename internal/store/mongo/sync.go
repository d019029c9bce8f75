package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
)

var _ feedback.ChangeStore = (*ReportStore)(nil)

var (
	ixChanges         = servedBy(collReports, "FeedChanges", asc("updated_at"), asc("_id"))
	ixReporterChanges = servedBy(collReports, "ReporterChanges", asc("reporter_id"), asc("updated_at"), asc("_id"))
	changeOrder       = bson.D{{Key: "updated_at", Value: 1}, {Key: "_id", Value: 1}}
)

// changedSince selects updated_at at or after since and, with a cursor,
// after it in (updated_at, _id) order.
func changedSince(since time.Time, after *feedback.ChangeCursor) bson.D {
	filter := bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}}
	if after != nil {
		at := after.UpdatedAt.UTC()
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gt", Value: at}}}},
			bson.D{{Key: "updated_at", Value: at}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after.ID}}}},
		}})
	}
	return filter
}

// FeedChanges walks the (updated_at, _id) index from since or the cursor;
// the other filters are checked on each document.
func (s *ReportStore) FeedChanges(ctx context.Context, f feedback.FeedFilter, since time.Time, after *feedback.ChangeCursor) ([]feedback.Report, error) {
	st := bson.A{}
	for _, x := range f.Statuses {
		st = append(st, string(x))
	}
	filter := append(changedSince(since, after), bson.E{Key: "status", Value: bson.D{{Key: "$in", Value: st}}})
	for _, c := range []struct{ key, v string }{{"category_code", f.CategoryCode}, {"area_code", f.AreaCode}, {"agency_code", f.AgencyCode}} {
		if c.v != "" {
			filter = append(filter, bson.E{Key: c.key, Value: c.v})
		}
	}
	if b := f.BBox; b != nil {
		filter = append(filter, bson.E{Key: "lng", Value: bson.D{{Key: "$gte", Value: b[0]}, {Key: "$lte", Value: b[2]}}},
			bson.E{Key: "lat", Value: bson.D{{Key: "$gte", Value: b[1]}, {Key: "$lte", Value: b[3]}}})
	}
	if f.Since != nil {
		filter = append(filter, bson.E{Key: "created_at", Value: bson.D{{Key: "$gte", Value: f.Since.UTC()}}})
	}
	return s.find(ctx, filter, options.Find().SetSort(changeOrder).SetLimit(int64(f.Limit)).SetHint(ixChanges))
}

// ReporterChanges walks the (reporter_id, updated_at, _id) index.
func (s *ReportStore) ReporterChanges(ctx context.Context, reporterID string, since time.Time, after *feedback.ChangeCursor, limit int) ([]feedback.Report, error) {
	filter := append(bson.D{{Key: "reporter_id", Value: reporterID}}, changedSince(since, after)...)
	return s.find(ctx, filter, options.Find().SetSort(changeOrder).SetLimit(int64(limit)).SetHint(ixReporterChanges))
}
