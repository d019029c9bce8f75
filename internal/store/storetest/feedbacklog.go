package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

// FeedPastBacklog fills a store with n reports in every status, then a
// backlog of newer submitted ones (reports waiting for review after a
// storm, which the public feed does not show), and pages through the
// public feed with no filter, each single filter, one status and a map
// box full of reports: the pages are the feed's (worked out from the
// reports), whatever plan the store uses to get past the backlog.
func FeedPastBacklog(t *testing.T, s feedback.ReportStore, n, backlog, limit int) {
	ctx := context.Background()
	bulk, ok := s.(feedback.BulkReportStore)
	if !ok {
		t.Fatal("the store has no bulk path")
	}
	cats := []string{"cap-thoat-nuoc", "khac"}
	areas := []string{"phuong-an-xuyen", "xa-u-minh"}
	agencies := []string{"cap-nuoc-ca-mau", "dien-luc-ca-mau"}
	base := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Duration(n+backlog) * time.Minute)
	all := make([]feedback.Report, 0, n+backlog)
	for i := 0; i < n+backlog; i++ {
		at := base.Add(time.Duration(i) * time.Minute)
		st := feedback.AllStatuses[(i*5)%len(feedback.AllStatuses)]
		if i >= n {
			st = feedback.StatusSubmitted
		}
		p := feedback.Point{Lat: 9.17 + float64(i%50)*0.001, Lng: 105.15}
		all = append(all, feedReport(i, at, p, cats[i%2], areas[(i/2)%2], agencies[(i/3)%2], st))
	}
	for start := 0; start < len(all); start += 500 {
		if err := bulk.CreateReports(ctx, all[start:min(start+500, len(all))]); err != nil {
			t.Fatal(err)
		}
	}
	slices.Reverse(all) // newest first
	filters := map[string]func(*feedback.FeedFilter){
		"":         func(*feedback.FeedFilter) {},
		"category": func(f *feedback.FeedFilter) { f.CategoryCode = "khac" },
		"area":     func(f *feedback.FeedFilter) { f.AreaCode = "xa-u-minh" },
		"agency":   func(f *feedback.FeedFilter) { f.AgencyCode = "dien-luc-ca-mau" },
		"category+area": func(f *feedback.FeedFilter) {
			f.CategoryCode, f.AreaCode = "cap-thoat-nuoc", "phuong-an-xuyen"
		},
		"status": func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusResolved} },
		"box":    func(f *feedback.FeedFilter) { f.BBox = &[4]float64{105.1, 9.1, 105.2, 9.19} },
		"box+category": func(f *feedback.FeedFilter) {
			f.BBox, f.CategoryCode = &[4]float64{105.1, 9.1, 105.2, 9.19}, "khac"
		},
	}
	for name, set := range filters {
		f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: limit}
		set(&f)
		var want []string
		for _, r := range all {
			if slices.Contains(f.Statuses, r.Status) && (f.CategoryCode == "" || r.CategoryCode == f.CategoryCode) &&
				(f.AreaCode == "" || r.AreaCode == f.AreaCode) && (f.AgencyCode == "" || r.AgencyCode == f.AgencyCode) &&
				(f.BBox == nil || (r.Location.Lng >= f.BBox[0] && r.Location.Lng <= f.BBox[2] && r.Location.Lat >= f.BBox[1] && r.Location.Lat <= f.BBox[3])) {
				want = append(want, r.ID)
			}
		}
		got := feedIDs(t, s, f, name, n+backlog)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: got %d reports\n%v\nwant %d\n%v", name, len(got), got, len(want), want)
		}
	}
}
