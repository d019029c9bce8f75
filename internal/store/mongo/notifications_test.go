package mongo_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/store/mongo/mongotest"
)

// A crash between a change's event insert (its commit point) and the
// writing of its outbox entries loses no notification: the next dispatch
// writes them from the event.
func TestOutbox_CrashAfterEventInsert(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	db := open(t, srv)
	s := db.Reports()
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := &feedback.Report{ID: "01JTESTREPORT0000000000001", TrackingCode: "CM-TEST-0001", ReporterID: "u1", AgencyCode: "so-xay-dung",
		CategoryCode: "ha-tang-do-thi", AreaCode: "ca-mau", Status: feedback.StatusSubmitted, Title: "Ổ gà", CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	next := *r
	next.Version, next.Status = 2, feedback.StatusDispatched
	ev := feedback.Event{ReportID: r.ID, Version: 2, Action: feedback.ActDispatch, FromStatus: r.Status, ToStatus: next.Status, At: now,
		Notify: []feedback.Notification{{ID: r.ID + "#2/reporter", ReportID: r.ID, Version: 2, Party: feedback.PartyReporter, UserID: "u1",
			Action: feedback.ActDispatch, At: now, NextAttemptAt: now}}}
	if err := s.Transition(ctx, &next, ev); err != nil {
		t.Fatal(err)
	}
	// Undo what happened after the event insert, as a crash would have.
	client, err := driver.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	raw := client.Database(srv.Database)
	if _, err := raw.Collection("notifications").DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Collection("report_events").UpdateMany(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: true}}}}); err != nil {
		t.Fatal(err)
	}

	due, err := s.DueNotifications(ctx, now.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != r.ID+"#2/reporter" || due[0].UserID != "u1" {
		t.Fatalf("after the crash: %+v, %v; want the reporter's entry back", due, err)
	}
	if n, _ := raw.Collection("report_events").CountDocuments(ctx, bson.D{{Key: "pending", Value: true}}); n != 0 {
		t.Fatalf("%d events still marked pending after the sweep", n)
	}
	// The sweep is idempotent: a delivered entry is not recreated.
	if ok, _ := s.ClaimNotification(ctx, due[0].ID, 0, now.Add(time.Hour)); !ok {
		t.Fatal("claim failed")
	}
	if err := s.FinishNotification(ctx, due[0].ID, true, now, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	raw.Collection("report_events").UpdateMany(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: true}}}})
	if due, _ := s.DueNotifications(ctx, now.Add(2*time.Hour), 10); len(due) != 0 {
		t.Fatalf("a delivered entry came back: %+v", due)
	}
}
