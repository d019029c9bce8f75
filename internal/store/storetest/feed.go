package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/ids"
)

// testFeedFilters stores reports spread over categories, areas, agencies,
// statuses, places and days, then reads the feed with no filter, each
// filter and each pair, two reports a page: every page set equals the
// matching public reports, newest first, each once.
func testFeedFilters(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	cats, areas, agencies := []string{"cap-thoat-nuoc", "dien-chieu-sang"}, []string{"phuong-an-xuyen", "xa-u-minh", "phuong-tan-thanh"},
		[]string{"cap-nuoc-ca-mau", "dien-luc-ca-mau"}
	statuses := []feedback.Status{feedback.StatusDispatched, feedback.StatusClosed, feedback.StatusSubmitted, feedback.StatusAccepted,
		feedback.StatusRejected, feedback.StatusResolved, feedback.StatusClosed}
	var all []*feedback.Report
	prev := ""
	for i := 0; i < 42; i++ {
		p := feedback.Point{Lat: 9.17 + float64(i%5)*0.01, Lng: 105.15 + float64(i%4)*0.01}
		r := newReport("u1", p, cats[i%2], statuses[i%7])
		r.AreaCode, r.AgencyCode = areas[i%3], agencies[(i/2)%2]
		r.ID = ids.After(prev)
		prev = r.ID
		if i%3 == 0 {
			r.Title, r.Description = "Đèn đường hỏng", "Cả dãy đèn không sáng"
		}
		r.CreatedAt = base.Add(time.Duration(i) * 6 * time.Hour)
		r.UpdatedAt = r.CreatedAt
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	since := base.Add(5 * 24 * time.Hour)
	filters := []struct {
		name  string
		set   func(*feedback.FeedFilter)
		match func(*feedback.Report) bool
	}{
		{"category", func(f *feedback.FeedFilter) { f.CategoryCode = "dien-chieu-sang" },
			func(r *feedback.Report) bool { return r.CategoryCode == "dien-chieu-sang" }},
		{"area", func(f *feedback.FeedFilter) { f.AreaCode = "xa-u-minh" }, func(r *feedback.Report) bool { return r.AreaCode == "xa-u-minh" }},
		{"agency", func(f *feedback.FeedFilter) { f.AgencyCode = "cap-nuoc-ca-mau" },
			func(r *feedback.Report) bool { return r.AgencyCode == "cap-nuoc-ca-mau" }},
		{"status", func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusClosed} },
			func(r *feedback.Report) bool { return r.Status == feedback.StatusClosed }},
		{"bbox", func(f *feedback.FeedFilter) { f.BBox = &[4]float64{105.155, 9.175, 105.175, 9.195} }, func(r *feedback.Report) bool {
			return r.Location.Lng >= 105.155 && r.Location.Lng <= 105.175 && r.Location.Lat >= 9.175 && r.Location.Lat <= 9.195
		}},
		{"since", func(f *feedback.FeedFilter) { f.Since = &since }, func(r *feedback.Report) bool { return !r.CreatedAt.Before(since) }},
		{"q", func(f *feedback.FeedFilter) { f.Terms = feedback.SearchTerms("đèn") }, func(r *feedback.Report) bool { return r.Title == "Đèn đường hỏng" }},
	}
	combos := [][]int{nil}
	for i := range filters {
		combos = append(combos, []int{i})
		for j := i + 1; j < len(filters); j++ {
			combos = append(combos, []int{i, j})
		}
	}
	public := map[feedback.Status]bool{}
	for _, st := range feedback.PublicStatuses {
		public[st] = true
	}
	for _, combo := range combos {
		var names []string
		for _, i := range combo {
			names = append(names, filters[i].name)
		}
		t.Run("filters="+strings.Join(names, "+"), func(t *testing.T) {
			want := []string{}
			for i := len(all) - 1; i >= 0; i-- {
				ok := public[all[i].Status]
				for _, c := range combo {
					ok = ok && filters[c].match(all[i])
				}
				if ok {
					want = append(want, all[i].ID)
				}
			}
			got := []string{}
			cursor := ""
			for page := 0; page <= len(all); page++ {
				f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Cursor: cursor, Limit: 2}
				for _, c := range combo {
					filters[c].set(&f)
				}
				list, next, err := s.Feed(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range list {
					got = append(got, r.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %d reports %v, want %d %v", len(got), got, len(want), want)
			}
		})
	}
}

// testBulkCreate loads reports at once, as the load harness does: each is
// then read, listed, searched and found near its place like one created
// alone, and a clash is ECONFLICT.
func testBulkCreate(t *testing.T, s feedback.ReportStore) {
	bulk, ok := s.(feedback.BulkReportStore)
	if !ok {
		t.Fatal("the report store does not implement feedback.BulkReportStore")
	}
	ctx := context.Background()
	var rs []feedback.Report
	prev := ""
	for i := 0; i < 5; i++ {
		r := newReport("u9", camauCenter, "cap-thoat-nuoc", feedback.StatusDispatched)
		r.ID = ids.After(prev)
		prev = r.ID
		r.Title = fmt.Sprintf("Cống tắc số %d", i)
		rs = append(rs, *r)
	}
	if err := bulk.CreateReports(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		got, err := s.GetReport(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Title != r.Title {
			t.Fatalf("got version %d title %q, want 1 and %q", got.Version, got.Title, r.Title)
		}
	}
	list, _, err := s.Feed(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Terms: feedback.SearchTerms("cong tac"), Limit: 10})
	if err != nil || len(list) != 5 || list[0].ID != rs[4].ID {
		t.Fatalf("search after a bulk load: %d reports, %v; want the 5, newest first", len(list), err)
	}
	near, err := s.NearbyCandidates(ctx, []string{rs[0].Cell}, "", []feedback.Status{feedback.StatusDispatched})
	if err != nil || len(near) != 5 {
		t.Fatalf("nearby after a bulk load: %d, %v; want 5", len(near), err)
	}
	if err := bulk.CreateReports(ctx, rs[:1]); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("loading a stored report again: got %v, want ECONFLICT", err)
	}
}
