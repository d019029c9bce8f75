package feedback_test

import (
	"context"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
)

// BenchmarkDeadlinesFor is the deadline computation every submission makes.
func BenchmarkDeadlinesFor(b *testing.B) {
	ref, err := feedback.DefaultReference()
	if err != nil {
		b.Fatal(err)
	}
	cat := ref.Categories[0]
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for b.Loop() {
		ref.Calendar.DeadlinesFor(at, cat, false)
	}
}

// BenchmarkCheckSubmit is a submission's work before the store: the
// reference snapshot, validation, placing, routing, deadlines.
func BenchmarkCheckSubmit(b *testing.B) {
	ctx := context.Background()
	db, refs := openStore(b, nil)
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), refs, nil)
	citizen := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
	in := feedback.SubmitInput{CategoryCode: "dien-chieu-sang", Description: "Đèn đường tắt cả tuần nay, rất tối",
		Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}
	svc.CheckSubmit(ctx, citizen, in) // the first loads the snapshot
	for b.Loop() {
		if fs := svc.CheckSubmit(ctx, citizen, in); len(fs) > 0 {
			b.Fatal(fs)
		}
	}
}
