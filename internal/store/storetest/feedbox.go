package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// FeedInBox pages through the feed with map boxes of every kind (the dense
// city, a rural corner with a handful of reports, an old cluster, the
// province, an empty box, a point) and other filters, n reports in all,
// (limit a page), and checks every page against the answer worked out from the reports
// themselves: whichever plan a store picks for a box (walk, window, by
// place), the pages, their order and their cursors are the feed's. The
// store packages also run it with their plans' bounds made small.
func FeedInBox(t *testing.T, s feedback.ReportStore, n, limit int) {
	ctx := context.Background()
	bulk, ok := s.(feedback.BulkReportStore)
	if !ok {
		t.Fatal("the store has no bulk path")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cats := []string{"cap-thoat-nuoc", "dien-chieu-sang", "khac"}
	areas := []string{"phuong-an-xuyen", "xa-u-minh"}
	agencies := []string{"cap-nuoc-ca-mau", "dien-luc-ca-mau"}
	base := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Duration(n) * time.Minute)
	all := make([]feedback.Report, 0, n)
	for i := 0; i < n; i++ {
		var p feedback.Point
		switch {
		case i%10 < 4: // the city
			p = feedback.Point{Lat: 9.1769 + (rng.Float64()-0.5)*0.02, Lng: 105.1524 + (rng.Float64()-0.5)*0.02}
		case i < n/8 && i%10 == 4: // old reports clustered in a rural ward, none later
			p = feedback.Point{Lat: 8.9 + rng.Float64()*0.01, Lng: 105.4 + rng.Float64()*0.01}
		default:
			p = feedback.Point{Lat: 8.6 + rng.Float64(), Lng: 104.8 + rng.Float64()}
		}
		at := base.Add(time.Duration(i) * time.Minute)
		all = append(all, feedReport(i, at, p, cats[rng.IntN(len(cats))], areas[rng.IntN(len(areas))], agencies[rng.IntN(len(agencies))],
			feedback.AllStatuses[rng.IntN(len(feedback.AllStatuses))]))
	}
	for start := 0; start < n; start += 500 {
		if err := bulk.CreateReports(ctx, all[start:min(start+500, n)]); err != nil {
			t.Fatal(err)
		}
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
	since := all[n/2].CreatedAt
	filters := map[string]func(*feedback.FeedFilter){
		"":                func(*feedback.FeedFilter) {},
		"category":        func(f *feedback.FeedFilter) { f.CategoryCode = "khac" },
		"area":            func(f *feedback.FeedFilter) { f.AreaCode = "xa-u-minh" },
		"agency":          func(f *feedback.FeedFilter) { f.AgencyCode = "dien-luc-ca-mau" },
		"status":          func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusClosed} },
		"since":           func(f *feedback.FeedFilter) { f.Since = &since },
		"category+agency": func(f *feedback.FeedFilter) { f.CategoryCode, f.AgencyCode = "cap-thoat-nuoc", "cap-nuoc-ca-mau" },
	}
	// Newest first is the order of creation, on both stores.
	slices.SortStableFunc(all, func(a, b feedback.Report) int { return b.CreatedAt.Compare(a.CreatedAt) })
	for boxName, box := range boxes {
		for filterName, set := range filters {
			f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: limit, BBox: &box}
			set(&f)
			var want []string
			for _, r := range all {
				if slices.Contains(f.Statuses, r.Status) && r.Location.Lng >= box[0] && r.Location.Lng <= box[2] &&
					r.Location.Lat >= box[1] && r.Location.Lat <= box[3] && (f.CategoryCode == "" || r.CategoryCode == f.CategoryCode) &&
					(f.AreaCode == "" || r.AreaCode == f.AreaCode) && (f.AgencyCode == "" || r.AgencyCode == f.AgencyCode) &&
					(f.Since == nil || !r.CreatedAt.Before(*f.Since)) {
					want = append(want, r.ID)
				}
			}
			got := feedIDs(t, s, f, boxName+", "+filterName, n)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s, %s: got %d reports\n%v\nwant %d\n%v", boxName, filterName, len(got), got, len(want), want)
			}
		}
	}
}

// feedReport is the i-th generated report of the feed tests, made at at:
// its identifier follows creation order (ids.New orders by the
// millisecond only), so newest first is one order on both stores.
func feedReport(i int, at time.Time, p feedback.Point, category, area, agency string, status feedback.Status) feedback.Report {
	return feedback.Report{ID: ids.Floor(at), TrackingCode: fmt.Sprintf("CM-F%03d-%04d", i/10000, i%10000), ReporterID: "u",
		Anonymous: true, CategoryCode: category, AreaCode: area, AgencyCode: agency, RoutingReason: i18n.T("quy tắc", "rule"),
		Title: "Thử", Description: "Phản ánh thử", Location: p, Cell: feedback.Geohash(p, 7), Locale: i18n.VI, Status: status,
		CreatedAt: at, UpdatedAt: at, Deadlines: feedback.Deadlines{DispatchDue: at, ResponseDue: at, ResolutionDue: at}}
}

// feedIDs pages through the feed for f (at most maxPages pages), checking
// each page's size and cursor, and returns the IDs in the order served.
func feedIDs(t *testing.T, s feedback.ReportStore, f feedback.FeedFilter, name string, maxPages int) []string {
	t.Helper()
	var got []string
	for page := 0; ; page++ {
		list, next, err := s.Feed(context.Background(), f)
		if err != nil {
			t.Fatalf("%s, page %d: %v", name, page, err)
		}
		if len(list) > f.Limit || (next != "" && len(list) != f.Limit) {
			t.Fatalf("%s, page %d: %d reports, next %q", name, page, len(list), next)
		}
		for _, r := range list {
			got = append(got, r.ID)
		}
		if next == "" || page > maxPages {
			return got
		}
		f.Cursor = next
	}
}
