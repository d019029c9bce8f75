package feedback_test

import (
	"context"
	"errors"
	"testing"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
)

// stepsOnly hides the store's SubmitReport: the service then writes a
// submission in three calls (claim, report, dispatch).
type stepsOnly struct{ feedback.ReportStore }

// TestSubmit_OneCallOrThree: the service answers the same whether the
// store writes a submission in one call (Submitter) or in three: the
// report dispatched on arrival, a retry replays it, another body with the
// key is the idempotency-key conflict.
func TestSubmit_OneCallOrThree(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap func(feedback.ReportStore) feedback.ReportStore
	}{
		{"Submitter", func(s feedback.ReportStore) feedback.ReportStore { return s }},
		{"ThreeCalls", func(s feedback.ReportStore) feedback.ReportStore { return stepsOnly{s} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, refs := openStore(t, func(ref *feedback.Reference) {
				for i := range ref.Categories {
					ref.Categories[i].AutoDispatch = ref.Categories[i].Code == "dien-chieu-sang"
				}
			})
			store := tc.wrap(db.Reports())
			if _, ok := store.(feedback.Submitter); ok != (tc.name == "Submitter") {
				t.Fatalf("%T is a Submitter: %v", store, ok)
			}
			svc := feedback.NewReportService(store, db.Media(), db.Ratings(), refs, nil)
			citizen := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
			in := feedback.SubmitInput{CategoryCode: "dien-chieu-sang", Description: "Đèn đường tắt cả tuần nay, rất tối",
				Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}

			first, replayed, err := svc.Submit(ctx, citizen, in, "key-1")
			if err != nil || replayed {
				t.Fatalf("first submission: %v, replayed %v", err, replayed)
			}
			if first.Status != feedback.StatusDispatched || first.Version != 2 || first.DispatchedAt == nil {
				t.Fatalf("answered %s v%d, want dispatched v2", first.Status, first.Version)
			}
			again, replayed, err := svc.Submit(ctx, citizen, in, "key-1")
			if err != nil || !replayed || again.ID != first.ID || again.TrackingCode != first.TrackingCode || again.Status != feedback.StatusDispatched {
				t.Fatalf("a retry: %+v, replayed %v, %v; want %s (%s) dispatched, replayed", again, replayed, err, first.ID, first.TrackingCode)
			}
			other := in
			other.Description = "Một nội dung khác hẳn, đủ dài để hợp lệ"
			_, _, err = svc.Submit(ctx, citizen, other, "key-1")
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.KindIdempotencyKey {
				t.Fatalf("another body with the key: %v, want the idempotency-key conflict", err)
			}
			mine, err := db.Reports().ListByReporter(ctx, "u1", "", 10)
			if err != nil || len(mine) != 1 {
				t.Fatalf("%d reports stored, %v; want 1", len(mine), err)
			}
			hist, err := db.Reports().History(ctx, first.ID)
			if err != nil || len(hist) != 1 || hist[0].Action != feedback.ActDispatch || hist[0].ActorID != feedback.SystemActorID {
				t.Fatalf("history: %+v, %v; want the system's dispatch", hist, err)
			}
		})
	}
}
