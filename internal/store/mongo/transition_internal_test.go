package mongo

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"camaug/feedback"
	"camaug/internal/store/mongo/mongotest"
)

// A change interrupted after each of its steps (the steps called directly,
// as a crash would leave them) is finished by RepairEvents, the way the
// server runs it at start, and the event holds only what changed.
func TestTransition_CrashBetweenSteps(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &ReportStore{db: db}
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := &feedback.Report{ID: "01JTESTREPORT0000000000002", TrackingCode: "CM-TEST-0002", ReporterID: "u1", AgencyCode: "so-xay-dung",
		CategoryCode: "ha-tang-do-thi", AreaCode: "ca-mau", Status: feedback.StatusSubmitted, Title: "Ổ gà", Description: "Đường 3/2",
		CreatedAt: now, UpdatedAt: now}
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	// interrupted stores the event of the change to version v and then
	// only the first `steps` of finishEvent's steps.
	interrupted := func(v int64, status feedback.Status, answer string, steps int) eventDoc {
		t.Helper()
		cur, err := s.GetReport(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		next := *cur
		next.Version, next.Status, next.Answer, next.UpdatedAt = v, status, answer, now.Add(time.Duration(v)*time.Minute)
		set, unset, err := reportChanges(toReportDoc(cur), toReportDoc(&next))
		if err != nil {
			t.Fatal(err)
		}
		n := feedback.Notification{ID: eventID(r.ID, v) + "/reporter", ReportID: r.ID, Version: v, Party: feedback.PartyReporter,
			UserID: "u1", Action: feedback.ActDispatch, At: now, NextAttemptAt: now}
		e := eventDoc{ID: eventID(r.ID, v), ReportID: r.ID, Version: v, Action: string(feedback.ActDispatch), FromStatus: string(cur.Status),
			ToStatus: string(status), At: now, Set: set, Unset: unset, Notify: toNotificationDocs([]feedback.Notification{n}), Pending: true}
		if err := s.insertEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if steps >= 1 {
			if ok, err := s.applyChanges(ctx, e.ReportID, e.Version, e.Set, e.Unset); err != nil || !ok {
				t.Fatalf("applyChanges: %v, %v", ok, err)
			}
		}
		if steps >= 2 {
			if err := s.writeOutbox(ctx, e.Notify); err != nil {
				t.Fatal(err)
			}
		}
		return e
	}
	rawReport := func() reportDoc {
		t.Helper()
		var d reportDoc
		if err := db.db.Collection(collReports).FindOne(ctx, bson.D{{Key: "_id", Value: r.ID}}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	pending := func() int64 {
		n, err := db.db.Collection(collEvents).CountDocuments(ctx, bson.D{{Key: "pending", Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	for steps := 0; steps <= 2; steps++ {
		v := int64(steps + 2)
		e := interrupted(v, feedback.StatusDispatched, "bước "+string(rune('0'+steps)), steps)
		// The event holds the changed fields only, never the report.
		var keys []string
		elems, _ := e.Set.Elements()
		for _, el := range elems {
			keys = append(keys, el.Key())
		}
		for _, k := range keys {
			if k == "title" || k == "description" || k == "reporter_id" || k == "support_count" || k == "version" {
				t.Fatalf("the event stores unchanged field %q (set: %v)", k, keys)
			}
		}
		if got := pending(); got != 1 {
			t.Fatalf("after a crash at step %d: %d events pending, want 1", steps, got)
		}
		// A support counted while the change was interrupted (AddSupport's
		// own $inc, without its read, which would repair the report).
		if _, err := db.db.Collection(collReports).UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "support_count", Value: 1}}}}); err != nil {
			t.Fatal(err)
		}
		n, err := s.RepairEvents(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RepairEvents after a crash at step %d: %d, %v; want 1 finished", steps, n, err)
		}
		d := rawReport()
		if d.Version != v || d.Status != string(feedback.StatusDispatched) || d.Answer != "bước "+string(rune('0'+steps)) || d.Title != "Ổ gà" ||
			d.SupportCount != steps+1 {
			t.Fatalf("report after repairing a crash at step %d: version %d status %s answer %q title %q supports %d; want %d dispatched, the answer, the title kept, %d",
				steps, d.Version, d.Status, d.Answer, d.Title, d.SupportCount, v, steps+1)
		}
		due, err := s.DueNotifications(ctx, now.Add(time.Hour), 10)
		if err != nil || len(due) != 1 || due[0].ID != e.Notify[0].ID {
			t.Fatalf("outbox after repairing a crash at step %d: %+v, %v; want the change's entry", steps, due, err)
		}
		if ok, _ := s.ClaimNotification(ctx, due[0].ID, 0, now.Add(time.Hour)); !ok {
			t.Fatal("claim failed")
		}
		if err := s.FinishNotification(ctx, due[0].ID, true, now, time.Time{}, ""); err != nil {
			t.Fatal(err)
		}
		if got := pending(); got != 0 {
			t.Fatalf("%d events still pending after the repair", got)
		}
		// Repairing again changes nothing (a second instance's repair).
		if err := s.finishEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		if again := rawReport(); again.Version != v {
			t.Fatalf("a second repair moved the report to version %d, want %d", again.Version, v)
		}
		if due, _ := s.DueNotifications(ctx, now.Add(time.Hour), 10); len(due) != 0 {
			t.Fatalf("a second repair made a delivered entry pending again: %+v", due)
		}
	}

	// Reading the report finishes an interrupted change too, and the
	// history shows it as any other.
	interrupted(5, feedback.StatusResolved, "xong", 0)
	got, err := s.GetReport(ctx, r.ID)
	if err != nil || got.Version != 5 || got.Status != feedback.StatusResolved || got.Answer != "xong" {
		t.Fatalf("GetReport after a crash: %+v, %v; want version 5, resolved", got, err)
	}
	hist, err := s.History(ctx, r.ID)
	if err != nil || len(hist) != 4 || hist[3].Version != 5 || hist[3].ToStatus != feedback.StatusResolved {
		t.Fatalf("history: %+v, %v", hist, err)
	}
}
