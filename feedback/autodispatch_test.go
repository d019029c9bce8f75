package feedback_test

import (
	"context"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
)

// A category marked auto_dispatch sends its reports to the routed agency
// on arrival: dispatched by the system, in the history, announced to the
// reporter and the agency; other categories wait for the coordinator.
func TestAutoDispatch(t *testing.T) {
	ctx := context.Background()
	db, refs := openStore(t, func(ref *feedback.Reference) {
		for i := range ref.Categories {
			if ref.Categories[i].Code == "dien-chieu-sang" {
				ref.Categories[i].AutoDispatch = true
			}
		}
	})
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), refs, func() time.Time { return now })
	citizen := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
	submit := func(category string) *feedback.Report {
		r, _, err := svc.Submit(ctx, citizen, feedback.SubmitInput{CategoryCode: category, Description: "Đèn đường tắt cả tuần nay, rất tối",
			Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	light := submit("dien-chieu-sang")
	water := submit("cap-thoat-nuoc")
	if light.Status != feedback.StatusDispatched || light.DispatchedAt == nil || light.AgencyCode != "dien-luc-ca-mau" {
		t.Fatalf("auto-dispatched report: %s, dispatched at %v, agency %s", light.Status, light.DispatchedAt, light.AgencyCode)
	}
	if stored, _ := db.Reports().GetReport(ctx, light.ID); stored.Status != feedback.StatusDispatched || stored.Version != light.Version {
		t.Fatalf("stored: %s v%d", stored.Status, stored.Version)
	}
	if water.Status != feedback.StatusSubmitted {
		t.Fatalf("a category without auto_dispatch: %s, want submitted", water.Status)
	}
	hist, _ := db.Reports().History(ctx, light.ID)
	if len(hist) != 1 || hist[0].Action != feedback.ActDispatch || hist[0].ActorID != "system" {
		t.Fatalf("history: %+v", hist)
	}
	due, _ := db.Reports().DueNotifications(ctx, now.Add(time.Minute), 10)
	if len(due) != 2 {
		t.Fatalf("%d notifications, want the reporter's and the agency's", len(due))
	}
	// The setting survives an export and import.
	got, _ := refs.Export(ctx)
	for _, c := range got.Categories {
		if c.AutoDispatch != (c.Code == "dien-chieu-sang") {
			t.Fatalf("category %s auto_dispatch %v after the round trip", c.Code, c.AutoDispatch)
		}
	}
}
