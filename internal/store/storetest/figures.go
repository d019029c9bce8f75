package storetest

import (
	"context"
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

	got := map[string]feedback.Fact{}
	err := s.Reports.HandlingFacts(ctx, day.Add(-time.Hour), day.Add(48*time.Hour), func(f feedback.Fact) error {
		got[f.AgencyCode] = f
		return nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("facts: %+v, %v; want the 2 reports of the span", got, err)
	}
	a, b := got["a"], got["b"]
	if a.Status != feedback.StatusSubmitted || a.DispatchedAt != nil || a.Rating != 0 || !a.CreatedAt.Equal(open.CreatedAt) ||
		!a.DispatchDue.Equal(open.Deadlines.DispatchDue) {
		t.Fatalf("open report's fact: %+v", a)
	}
	if b.Status != feedback.StatusResolved || b.DispatchedAt == nil || !b.DispatchedAt.Equal(dispatched) || !b.RespondedAt.Equal(responded) ||
		!b.ResolvedAt.Equal(resolved) || b.Rating != 4 || !b.ResponseDue.Equal(done.Deadlines.ResponseDue) || b.CategoryCode != "cap-thoat-nuoc" ||
		b.AreaCode != "phuong-an-xuyen" {
		t.Fatalf("resolved report's fact: %+v", b)
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
