package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"camaug/feedback"
)

// testChanges stores reports of two reporters whose last changes are out of
// creation order, some at the same instant, and reads them by last change
// two a page: every page set equals the matching reports changed since, in
// (UpdatedAt, ID) order, each once; a later change moves a report to the
// end.
func testChanges(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	statuses := []feedback.Status{feedback.StatusDispatched, feedback.StatusSubmitted, feedback.StatusResolved, feedback.StatusRejected, feedback.StatusAccepted}
	cats := []string{"cap-thoat-nuoc", "dien-chieu-sang"}
	var all []*feedback.Report
	for i := 0; i < 14; i++ {
		r := newReport([]string{"u1", "u2"}[i%2], camauCenter, cats[(i/3)%2], statuses[i%5])
		r.CreatedAt = base.Add(time.Duration(i) * time.Hour)
		// Changed in another order than created; pairs share an instant.
		r.UpdatedAt = base.Add(time.Duration(20+(i*5)%14/2) * time.Hour).Add(123456 * time.Microsecond)
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	want := func(since time.Time, keep func(*feedback.Report) bool) []string {
		var sel []*feedback.Report
		for _, r := range all {
			if !r.UpdatedAt.Before(since) && keep(r) {
				sel = append(sel, r)
			}
		}
		sort.Slice(sel, func(a, b int) bool {
			if !sel[a].UpdatedAt.Equal(sel[b].UpdatedAt) {
				return sel[a].UpdatedAt.Before(sel[b].UpdatedAt)
			}
			return sel[a].ID < sel[b].ID
		})
		out := []string{}
		for _, r := range sel {
			out = append(out, r.ID)
		}
		return out
	}
	pages := func(read func(after *feedback.ChangeCursor) ([]feedback.Report, error)) []string {
		t.Helper()
		out := []string{}
		var after *feedback.ChangeCursor
		for page := 0; page < 20; page++ {
			got, err := read(after)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				out = append(out, r.ID)
			}
			if len(got) < 2 {
				return out
			}
			last := got[len(got)-1]
			after = &feedback.ChangeCursor{UpdatedAt: last.UpdatedAt, ID: last.ID}
		}
		t.Fatal("more than 20 pages")
		return nil
	}
	public := func(r *feedback.Report) bool { return r.IsPublic() }
	since := base.Add(22 * time.Hour)
	cases := []struct {
		name string
		read func(after *feedback.ChangeCursor) ([]feedback.Report, error)
		want []string
	}{
		{"feed", func(a *feedback.ChangeCursor) ([]feedback.Report, error) {
			return s.FeedChanges(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 2}, since, a)
		}, want(since, public)},
		{"feed from the start", func(a *feedback.ChangeCursor) ([]feedback.Report, error) {
			return s.FeedChanges(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 2}, base, a)
		}, want(base, public)},
		{"feed by category", func(a *feedback.ChangeCursor) ([]feedback.Report, error) {
			return s.FeedChanges(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, CategoryCode: "dien-chieu-sang", Limit: 2}, since, a)
		}, want(since, func(r *feedback.Report) bool { return public(r) && r.CategoryCode == "dien-chieu-sang" })},
		{"reporter u1", func(a *feedback.ChangeCursor) ([]feedback.Report, error) {
			return s.ReporterChanges(ctx, "u1", since, a, 2)
		}, want(since, func(r *feedback.Report) bool { return r.ReporterID == "u1" })},
		{"nobody's", func(a *feedback.ChangeCursor) ([]feedback.Report, error) {
			return s.ReporterChanges(ctx, "u3", base, a, 2)
		}, []string{}},
	}
	for _, tc := range cases {
		got := pages(tc.read)
		if len(tc.want) < 2 && tc.name != "nobody's" {
			t.Fatalf("%s: fixture selects only %d reports", tc.name, len(tc.want))
		}
		sameJSON(t, got, tc.want)
	}

	// A change moves the report after every other.
	r := all[0]
	r.UpdatedAt = base.Add(48 * time.Hour)
	if err := s.UpdateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReporterChanges(ctx, "u1", base.Add(30*time.Hour), nil, 10)
	if err != nil || len(got) != 1 || got[0].ID != r.ID || !got[0].UpdatedAt.Equal(r.UpdatedAt) {
		t.Fatalf("after a change: got %v (%v), want only %s", got, err, r.ID)
	}
}
