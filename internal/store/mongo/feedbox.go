package mongo

import (
	"context"
	"encoding/base64"
	"slices"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
)

// The feed in a map box (see the SQLite store's feedbox.go for the whole
// argument). Walking the feed's index newest first and checking each
// report against the box costs every report of the province when the box
// holds fewer than a page (a rural commune on the map). Here the box's
// reports are first looked up by place: the precision-7 cells under a few
// coarser cells covering the box are ranges of the nearby index (cell,
// status, category_code), read for _id only, at most boxProbeMax of them;
// they are sorted newest first here and read a chunk at a time for the
// other filters. More than boxProbeMax in the box, and the walk serves: a
// box that full fills its page after a bounded walk.
var (
	boxProbeMax = 5000
	boxCells    = 12
	boxChunk    = 64
)

// boxPlans counts the pages each plan served, for tests.
var boxPlans struct{ place, walk atomic.Int64 }

// feedInBox serves a feed with a box by place; done is false when it
// cannot (too many reports in the box, or a box too large to cover).
func (s *ReportStore) feedInBox(ctx context.Context, f feedback.FeedFilter) (page []feedback.Report, next string, done bool, err error) {
	cells := feedback.CoverBox(*f.BBox, 7, boxCells)
	if cells == nil {
		boxPlans.walk.Add(1)
		return nil, "", false, nil
	}
	before, err := feedBefore(f)
	if err != nil {
		return nil, "", true, err
	}
	if len(cells) == 0 {
		return []feedback.Report{}, "", true, nil
	}
	st := bson.A{}
	for _, x := range f.Statuses {
		st = append(st, string(x))
	}
	ranges := bson.A{}
	for _, c := range cells {
		// "~" sorts after every geohash letter: [c, c~) is every cell under c.
		ranges = append(ranges, bson.D{{Key: "cell", Value: bson.D{{Key: "$gte", Value: c}, {Key: "$lt", Value: c + "~"}}}})
	}
	b := *f.BBox
	filter := bson.D{{Key: "$or", Value: ranges}, {Key: "status", Value: bson.D{{Key: "$in", Value: st}}}}
	if f.CategoryCode != "" {
		filter = append(filter, bson.E{Key: "category_code", Value: f.CategoryCode})
	}
	filter = append(filter, bson.E{Key: "lng", Value: bson.D{{Key: "$gte", Value: b[0]}, {Key: "$lte", Value: b[2]}}},
		bson.E{Key: "lat", Value: bson.D{{Key: "$gte", Value: b[1]}, {Key: "$lte", Value: b[3]}}})
	if before != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	type idDoc struct {
		ID string `bson:"_id"`
	}
	found, err := findAll(ctx, s.reports(), filter, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).
		SetLimit(int64(boxProbeMax)+1).SetHint(ixNearby), func(d idDoc) string { return d.ID })
	if err != nil {
		return nil, "", true, err
	}
	if len(found) > boxProbeMax {
		boxPlans.walk.Add(1)
		return nil, "", false, nil
	}
	boxPlans.place.Add(1)
	slices.Sort(found)
	slices.Reverse(found) // identifiers follow creation time: newest first
	out := make([]feedback.Report, 0, min(max(f.Limit, 0), 100))
	for start := 0; start < len(found) && len(out) < f.Limit; start += boxChunk {
		chunk := found[start:min(start+boxChunk, len(found))]
		list := bson.A{}
		for _, id := range chunk {
			list = append(list, id)
		}
		rows, err := s.find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: list}}}}, options.Find())
		if err != nil {
			return nil, "", true, err
		}
		byID := make(map[string]feedback.Report, len(rows))
		for _, r := range rows {
			byID[r.ID] = r
		}
		for _, id := range chunk {
			r, ok := byID[id]
			// The probe checked status, category and box on the index;
			// what the index lacks is checked here.
			if !ok || (f.AreaCode != "" && r.AreaCode != f.AreaCode) || (f.AgencyCode != "" && r.AgencyCode != f.AgencyCode) ||
				(f.Since != nil && r.CreatedAt.Before(*f.Since)) || !slices.Contains(f.Statuses, r.Status) {
				continue
			}
			out = append(out, r)
			if len(out) == f.Limit {
				break
			}
		}
	}
	if len(out) < f.Limit || len(out) == 0 {
		return out, "", true, nil
	}
	return out, base64.RawURLEncoding.EncodeToString([]byte("m" + out[len(out)-1].ID)), true, nil
}
