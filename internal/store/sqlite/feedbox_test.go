package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// TestFeedInBox pages through the feed with map boxes of every kind (the
// dense city, a rural corner with a handful of reports, the province, an
// empty box) and other filters, and checks every page against the answer
// worked out here from the reports themselves: the window, the plan by
// place and the walk give the same pages, in the same order, with working
// cursors. The steps' bounds are made small so 3,000 reports reach all
// three.
func TestFeedInBox(t *testing.T) {
	defer func(w int64, p, c, k int) { boxWindow, boxProbeMax, boxCells, boxChunk = w, p, c, k }(boxWindow, boxProbeMax, boxCells, boxChunk)
	boxWindow, boxProbeMax, boxCells, boxChunk = 256, 300, 12, 5

	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "box.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	cats := []string{"cap-thoat-nuoc", "dien-chieu-sang", "khac"}
	areas := []string{"phuong-an-xuyen", "xa-u-minh"}
	agencies := []string{"cap-nuoc-ca-mau", "dien-luc-ca-mau"}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []feedback.Report
	for i := 0; i < 3000; i++ {
		var p feedback.Point
		switch {
		case i%10 < 4: // the city
			p = feedback.Point{Lat: 9.1769 + (rng.Float64()-0.5)*0.02, Lng: 105.1524 + (rng.Float64()-0.5)*0.02}
		case i < 400 && i%10 == 4: // old reports clustered in a rural ward, none later
			p = feedback.Point{Lat: 8.9 + rng.Float64()*0.01, Lng: 105.4 + rng.Float64()*0.01}
		default:
			p = feedback.Point{Lat: 8.6 + rng.Float64(), Lng: 104.8 + rng.Float64()}
		}
		at := base.Add(time.Duration(i) * time.Minute)
		all = append(all, feedback.Report{ID: ids.New(), TrackingCode: fmt.Sprintf("CM-T%03d-%04d", i/10000, i%10000), ReporterID: "u",
			Anonymous: true, CategoryCode: cats[rng.IntN(len(cats))], AreaCode: areas[rng.IntN(len(areas))], AgencyCode: agencies[rng.IntN(len(agencies))],
			RoutingReason: i18n.T("quy tắc", "rule"), Title: "Thử", Description: "Phản ánh thử", Location: p, Cell: feedback.Geohash(p, 7),
			Locale: i18n.VI, Status: feedback.AllStatuses[rng.IntN(len(feedback.AllStatuses))], CreatedAt: at, UpdatedAt: at,
			Deadlines: feedback.Deadlines{DispatchDue: at, ResponseDue: at, ResolutionDue: at}})
	}
	if err := db.Reports().(*ReportStore).CreateReports(ctx, all); err != nil {
		t.Fatal(err)
	}

	boxes := map[string][4]float64{
		"city 1 km":        {105.1474, 9.1719, 105.1574, 9.1819},
		"rural 2 km":       {105.30, 9.20, 105.32, 9.22},
		"rural ward, old":  {105.399, 8.899, 105.411, 8.911},
		"rural 20 km":      {105.2, 8.7, 105.4, 8.9},
		"province":         {104.7, 8.5, 105.9, 9.7},
		"nothing there":    {100, 0, 100.01, 0.01},
		"inverted":         {105.2, 9.2, 105.1, 9.1},
		"a point (on one)": {all[7].Location.Lng, all[7].Location.Lat, all[7].Location.Lng, all[7].Location.Lat},
	}
	since := base.Add(2000 * time.Minute)
	filters := map[string]func(*feedback.FeedFilter){
		"":          func(*feedback.FeedFilter) {},
		"category":  func(f *feedback.FeedFilter) { f.CategoryCode = "khac" },
		"area":      func(f *feedback.FeedFilter) { f.AreaCode = "xa-u-minh" },
		"agency":    func(f *feedback.FeedFilter) { f.AgencyCode = "dien-luc-ca-mau" },
		"status":    func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusClosed} },
		"since":     func(f *feedback.FeedFilter) { f.Since = &since },
		"cat+agncy": func(f *feedback.FeedFilter) { f.CategoryCode, f.AgencyCode = "cap-thoat-nuoc", "cap-nuoc-ca-mau" },
	}
	before := struct{ window, place, walk int64 }{boxPlans.window.Load(), boxPlans.place.Load(), boxPlans.walk.Load()}
	for boxName, box := range boxes {
		for filterName, set := range filters {
			f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 7, BBox: &box}
			set(&f)
			var want []string
			for i := len(all) - 1; i >= 0; i-- {
				r := all[i]
				if slices.Contains(f.Statuses, r.Status) && r.Location.Lng >= box[0] && r.Location.Lng <= box[2] &&
					r.Location.Lat >= box[1] && r.Location.Lat <= box[3] && (f.CategoryCode == "" || r.CategoryCode == f.CategoryCode) &&
					(f.AreaCode == "" || r.AreaCode == f.AreaCode) && (f.AgencyCode == "" || r.AgencyCode == f.AgencyCode) &&
					(f.Since == nil || !r.CreatedAt.Before(*f.Since)) {
					want = append(want, r.ID)
				}
			}
			var got []string
			for page := 0; ; page++ {
				list, next, err := db.Reports().Feed(ctx, f)
				if err != nil {
					t.Fatalf("%s, %s, page %d: %v", boxName, filterName, page, err)
				}
				if len(list) > f.Limit || (next != "" && len(list) != f.Limit) {
					t.Fatalf("%s, %s, page %d: %d reports, next %q", boxName, filterName, page, len(list), next)
				}
				for _, r := range list {
					got = append(got, r.ID)
				}
				if next == "" || page > 1000 {
					break
				}
				f.Cursor = next
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s, %s: got %d reports\n%v\nwant %d\n%v", boxName, filterName, len(got), got, len(want), want)
			}
		}
	}
	window, place, walk := boxPlans.window.Load()-before.window, boxPlans.place.Load()-before.place, boxPlans.walk.Load()-before.walk
	if window == 0 || place == 0 || walk == 0 {
		t.Fatalf("pages served by the window %d, by place %d, by the walk %d: want each step used", window, place, walk)
	}
	t.Logf("pages served by the window %d, by place %d, by the walk %d", window, place, walk)
}
