package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"camaug/feedback"
)

// testFacts: the handling figures read exactly the reports created in the
// span, with their handling times and ratings; ratings are tallied by the
// month of the province's zone.
func testFacts(t *testing.T, s Stores) {
	ctx := context.Background()
	day := time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
	mk := func(created time.Time, agency string, status feedback.Status) *feedback.Report {
		r := newReport("u1", camauCenter, "cap-thoat-nuoc", status)
		r.CreatedAt, r.UpdatedAt, r.AgencyCode = created, created, agency
		r.Deadlines = feedback.Deadlines{DispatchDue: created.Add(2 * time.Hour), ResponseDue: created.Add(6 * time.Hour),
			ResolutionDue: created.Add(48 * time.Hour)}
		if err := s.Reports.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	mk(day.Add(-48*time.Hour), "a", feedback.StatusSubmitted) // before the span
	open := mk(day, "a", feedback.StatusSubmitted)
	done := mk(day.Add(time.Hour), "b", feedback.StatusSubmitted)
	mk(day.Add(72*time.Hour), "a", feedback.StatusSubmitted) // after it

	next := *done
	next.Version++
	next.Status = feedback.StatusResolved
	dispatched, responded, resolved := day.Add(4*time.Hour), day.Add(5*time.Hour), day.Add(30*time.Hour)
	next.DispatchedAt, next.RespondedAt, next.ResolvedAt = &dispatched, &responded, &resolved
	if err := s.Reports.Transition(ctx, &next, feedback.Event{ReportID: done.ID, Version: next.Version, Action: feedback.ActResolve,
		FromStatus: done.Status, ToStatus: next.Status, At: resolved}); err != nil {
		t.Fatal(err)
	}
	// Rated at 18:00 UTC on 31 March: 1 April in Cà Mau.
	if err := s.Ratings.PutRating(ctx, feedback.Rating{ReportID: done.ID, UserID: "u1", AgencyCode: "b", AreaCode: "phuong-an-xuyen", Score: 4,
		CreatedAt: day.Add(8 * time.Hour), UpdatedAt: day.Add(8 * time.Hour)}); err != nil {
		t.Fatal(err)
	}

	groups, err := s.Reports.HandlingFacts(ctx, day.Add(-time.Hour), day.Add(48*time.Hour), "agency")
	if err != nil || len(groups) != 2 {
		t.Fatalf("facts: %+v, %v; want the 2 reports of the span, one group each", groups, err)
	}
	got := map[string]feedback.FactGroup{}
	for _, g := range groups {
		got[g.Key] = g
	}
	a, b := got["a"], got["b"]
	if a.Status != feedback.StatusSubmitted || a.N != 1 || a.Dispatched != 0 || a.Ratings != 0 || len(a.HandlingMinutes) != 0 || len(a.DispatchMinutes) != 0 {
		t.Fatalf("open report's group: %+v", a)
	}
	// Dispatched 3 h after submission, after its 2 h deadline (late),
	// taken up 1 h after dispatch, before its response deadline, resolved
	// 29 h after submission, rated 4.
	want := feedback.FactGroup{Key: "b", Status: feedback.StatusResolved, N: 1, Dispatched: 1, DispatchedOnTime: 0, Responded: 1,
		RespondedOnTime: 1, Ratings: 1, RatingSum: 4, Rating4Plus: 1, HandlingMinutes: map[int64]int64{29 * 60: 1},
		DispatchMinutes: map[int64]int64{3 * 60: 1}, ResponseMinutes: map[int64]int64{60: 1}}
	if fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("resolved report's group:\n%+v\nwant\n%+v", b, want)
	}
	all, _ := s.Reports.HandlingFacts(ctx, day.Add(-time.Hour), day.Add(48*time.Hour), "")
	if len(all) != 2 || all[0].Key != "" || all[1].Key != "" || all[0].N+all[1].N != 2 {
		t.Fatalf("ungrouped: %+v", all)
	}
	if none, _ := s.Reports.HandlingFacts(ctx, day.Add(-24*time.Hour), day.Add(-time.Hour), "category"); len(none) != 0 {
		t.Fatalf("an empty span: %+v", none)
	}
	counts, err := s.Ratings.RatingCounts(ctx, "2026-03", "2026-04")
	if err != nil || len(counts) != 1 {
		t.Fatalf("rating counts: %+v, %v", counts, err)
	}
	if c := counts[0]; c != (feedback.RatingCount{AgencyCode: "b", AreaCode: "phuong-an-xuyen", Period: "2026-04", Score: 4, N: 1}) {
		t.Fatalf("rating count: %+v, want agency b, 2026-04 (province time), score 4", c)
	}
	if counts, _ := s.Ratings.RatingCounts(ctx, "2026-01", "2026-03"); len(counts) != 0 {
		t.Fatalf("rating counts outside the span: %+v", counts)
	}
	// Changing the score moves the tally; a second rating adds to it.
	if err := s.Ratings.PutRating(ctx, feedback.Rating{ReportID: done.ID, UserID: "u1", AgencyCode: "b", AreaCode: "phuong-an-xuyen", Score: 2,
		CreatedAt: day.Add(8 * time.Hour), UpdatedAt: day.Add(9 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Ratings.PutRating(ctx, feedback.Rating{ReportID: open.ID, UserID: "u1", AgencyCode: "b", AreaCode: "phuong-an-xuyen", Score: 2,
		CreatedAt: day.Add(20 * time.Hour), UpdatedAt: day.Add(20 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	counts, _ = s.Ratings.RatingCounts(ctx, "2026-04", "2026-04")
	if len(counts) != 1 || counts[0] != (feedback.RatingCount{AgencyCode: "b", AreaCode: "phuong-an-xuyen", Period: "2026-04", Score: 2, N: 2}) {
		t.Fatalf("after an edit and a second rating: %+v, want two 2s in April", counts)
	}
	if r, _ := s.Ratings.GetRating(ctx, done.ID); r.AreaCode != "phuong-an-xuyen" {
		t.Fatalf("rating area: %q", r.AreaCode)
	}
}
