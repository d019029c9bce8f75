package mongo

import (
	"context"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/store/mongo/mongotest"
)

// TestSubmitReport_DispatchFails: when the automatic dispatch loses (here
// another change took version 2 first), the report is stored without it
// and the answer says so.
func TestSubmitReport_DispatchFails(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &ReportStore{db: db}
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := &feedback.Report{ID: "01JTESTREPORT0000000000009", TrackingCode: "CM-TEST-0009", ReporterID: "u1", AgencyCode: "so-xay-dung",
		CategoryCode: "ha-tang-do-thi", AreaCode: "ca-mau", Status: feedback.StatusSubmitted, Title: "Ổ gà", Description: "Đường 3/2",
		RoutingReason: i18n.T("r", "r"), Locale: i18n.VI, CreatedAt: now, UpdatedAt: now, Version: 1}
	next := *r
	next.Version, next.Status, next.DispatchedAt = 2, feedback.StatusDispatched, &now
	ev := feedback.Event{ReportID: r.ID, Version: 2, Action: feedback.ActDispatch, FromStatus: feedback.StatusSubmitted,
		ToStatus: feedback.StatusDispatched, ActorID: feedback.SystemActorID, At: now,
		Notify: []feedback.Notification{{ID: eventID(r.ID, 2) + "/reporter", ReportID: r.ID, TrackingCode: r.TrackingCode, Version: 2,
			Party: feedback.PartyReporter, UserID: "u1", Action: feedback.ActDispatch, At: now, NextAttemptAt: now}}}
	// Version 2's event is taken, and finished: it changed nothing else.
	if err := s.insertEvent(ctx, eventDoc{ID: eventID(r.ID, 2), ReportID: r.ID, Version: 2, Action: string(feedback.ActTransfer),
		FromStatus: string(feedback.StatusSubmitted), ToStatus: string(feedback.StatusSubmitted), At: now}); err != nil {
		t.Fatal(err)
	}
	res, err := s.SubmitReport(ctx, &feedback.Submission{Report: r, Dispatched: &next, Event: ev})
	if err != nil {
		t.Fatalf("a submission whose dispatch loses: %v, want the report stored", err)
	}
	if res.Report.Status != feedback.StatusSubmitted || res.Report.DispatchedAt != nil {
		t.Fatalf("answered %s, want submitted (the dispatch was not written)", res.Report.Status)
	}
	stored, err := s.GetReport(ctx, r.ID)
	if err != nil || stored.Status != feedback.StatusSubmitted || stored.DispatchedAt != nil {
		t.Fatalf("stored: %+v, %v; want the report, submitted", stored, err)
	}
	due, err := s.DueNotifications(ctx, now.Add(time.Hour), 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("outbox: %d entries, %v; want none", len(due), err)
	}
}
