package feedback_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// cellCounter passes every call to the real store and counts the cells
// nearby searches ask for.
type cellCounter struct {
	feedback.ReportStore
	cells atomic.Int64
}

func (c *cellCounter) NearbyCandidates(ctx context.Context, cells []string, category string, statuses []feedback.Status) ([]feedback.Candidate, error) {
	c.cells.Add(int64(len(cells)))
	return c.ReportStore.NearbyCandidates(ctx, cells, category, statuses)
}

// TestFindNearby_SameAsEveryReport: in a dense ward (1,500 reports within
// 600 m, most open) and around it, the nearby search answers exactly the
// nearest 20 open reports within the radius, worked out from every report,
// for each radius and category; and a dense search reads the cells around
// the point only, not its whole cover.
func TestFindNearby_SameAsEveryReport(t *testing.T) {
	ctx := context.Background()
	db, refs := openStore(t, nil)
	centre := feedback.Point{Lat: 9.1769, Lng: 105.1524}
	rng := rand.New(rand.NewPCG(13, 2026))
	statuses := []feedback.Status{feedback.StatusSubmitted, feedback.StatusDispatched, feedback.StatusAccepted,
		feedback.StatusInProgress, feedback.StatusResolved, feedback.StatusClosed}
	categories := []string{"cap-thoat-nuoc", "dien-chieu-sang"}
	now := time.Now().UTC().Truncate(time.Millisecond)
	all := make([]feedback.Report, 1500)
	for i := range all {
		// Uniform over a disc of 600 m.
		d, a := 600*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		p := feedback.Point{Lat: centre.Lat + d*math.Sin(a)/111_320, Lng: centre.Lng + d*math.Cos(a)/(111_320*math.Cos(centre.Lat*math.Pi/180))}
		all[i] = feedback.Report{ID: ids.New(), TrackingCode: feedback.NewTrackingCode(), ReporterID: "u1",
			CategoryCode: categories[rng.IntN(2)], AreaCode: "phuong-an-xuyen", AgencyCode: "cap-nuoc-ca-mau",
			RoutingReason: i18n.T("thử", "test"), Title: "Ngập nước", Description: "Đường ngập sâu 40 cm",
			Location: p, Cell: feedback.Geohash(p, 7), Locale: i18n.VI, Status: statuses[rng.IntN(len(statuses))],
			CreatedAt: now, UpdatedAt: now}
	}
	if err := db.Reports().(feedback.BulkReportStore).CreateReports(ctx, all); err != nil {
		t.Fatal(err)
	}
	counter := &cellCounter{ReportStore: db.Reports()}
	svc := feedback.NewReportService(counter, db.Media(), db.Ratings(), refs, nil)

	want := func(p feedback.Point, category string, radius float64) []string {
		type hit struct {
			id string
			d  float64
		}
		var hits []hit
		for _, r := range all {
			if !slices.Contains(feedback.OpenStatuses, r.Status) || (category != "" && r.CategoryCode != category) {
				continue
			}
			if d := feedback.DistanceMeters(p, r.Location); d <= radius {
				hits = append(hits, hit{r.ID, d})
			}
		}
		slices.SortFunc(hits, func(a, b hit) int { return int(math.Copysign(1, a.d-b.d)) })
		var out []string
		for _, h := range hits[:min(len(hits), 20)] {
			out = append(out, h.id)
		}
		return out
	}
	for i := 0; i < 40; i++ {
		// Points in the ward and up to 1 km beyond it.
		d, a := 1600*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		p := feedback.Point{Lat: centre.Lat + d*math.Sin(a)/111_320, Lng: centre.Lng + d*math.Cos(a)/(111_320*math.Cos(centre.Lat*math.Pi/180))}
		for _, radius := range []float64{30, 150, 450, 2000} {
			for _, category := range []string{"", "dien-chieu-sang"} {
				name := fmt.Sprintf("%d m from the centre, radius %.0f, category %q", int(d), radius, category)
				got, err := svc.FindNearby(ctx, p, category, radius)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var gotIDs []string
				for k, nb := range got {
					gotIDs = append(gotIDs, nb.Report.ID)
					if k > 0 && nb.Distance < got[k-1].Distance {
						t.Fatalf("%s: not nearest first at %d", name, k)
					}
				}
				if w := want(p, category, radius); !slices.Equal(gotIDs, w) {
					t.Fatalf("%s:\n got %v\nwant %v", name, gotIDs, w)
				}
			}
		}
	}

	// In the middle of the ward the 20 nearest open reports lie within
	// about 85 m: the search reads the cells around the point, not the
	// ~40 cells of a 450 m cover or the ~700 of a 2 km one.
	for _, radius := range []float64{450, 2000} {
		cover := len(feedback.NearestCells(centre, radius))
		counter.cells.Store(0)
		if got, err := svc.FindNearby(ctx, centre, "", radius); err != nil || len(got) != 20 {
			t.Fatalf("radius %.0f: %d reports, %v", radius, len(got), err)
		}
		if n := counter.cells.Load(); n > 27 {
			t.Errorf("radius %.0f: read %d cells of a cover of %d; want the nearest batches only (at most 9 + 18)", radius, n, cover)
		}
	}
}
