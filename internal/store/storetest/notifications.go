package storetest

import (
	"context"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// testOutbox: a change writes its outbox entries with it (and a losing
// change none), and the delivery state machine works: due order, claims
// are exclusive, retries reschedule, delivered and dead entries leave.
func testOutbox(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	r := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	r.AgencyCode = "so-xay-dung"
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	change := func(cur *feedback.Report, action feedback.Action, to feedback.Status, at time.Time, parties ...string) (*feedback.Report, error) {
		next := *cur
		next.Version, next.Status = cur.Version+1, to
		ev := feedback.Event{ReportID: cur.ID, Version: next.Version, Action: action, FromStatus: cur.Status, ToStatus: to, At: at}
		for _, p := range parties {
			n := feedback.Notification{ID: ev.ReportID + "/" + p + "/" + string(action), ReportID: cur.ID, TrackingCode: cur.TrackingCode,
				Version: next.Version, Party: feedback.PartyAgency, AgencyCode: p, Action: action, FromStatus: cur.Status, ToStatus: to,
				Note: "ghi chú", At: at, NextAttemptAt: at}
			if p == "reporter" {
				n.Party, n.AgencyCode, n.UserID = feedback.PartyReporter, "", "u1"
			}
			ev.Notify = append(ev.Notify, n)
		}
		return &next, s.Transition(ctx, &next, ev)
	}
	d1, err := change(r, feedback.ActDispatch, feedback.StatusDispatched, t0, "reporter", "so-xay-dung")
	if err != nil {
		t.Fatal(err)
	}
	// A stale change loses and leaves no outbox entry.
	if _, err := change(r, feedback.ActReject, feedback.StatusRejected, t0, "reporter"); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("stale change: %v, want ECONFLICT", err)
	}
	if _, err := change(d1, feedback.ActAccept, feedback.StatusAccepted, t0.Add(time.Minute), "reporter"); err != nil {
		t.Fatal(err)
	}

	if due, err := s.DueNotifications(ctx, t0.Add(-time.Second), 10); err != nil || len(due) != 0 {
		t.Fatalf("due before any entry's time: %d, %v", len(due), err)
	}
	due, err := s.DueNotifications(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("due: %+v, %v; want the 3 entries of the 2 winning changes", due, err)
	}
	if due[2].Action != feedback.ActAccept || due[0].Action != feedback.ActDispatch {
		t.Fatalf("due order: %s, %s, %s; want earliest first", due[0].ID, due[1].ID, due[2].ID)
	}
	var rep feedback.Notification
	for _, n := range due {
		if n.Party == feedback.PartyReporter && n.Action == feedback.ActDispatch {
			rep = n
		}
	}
	if rep.UserID != "u1" || rep.TrackingCode != r.TrackingCode || rep.Note != "ghi chú" || rep.Attempts != 0 ||
		rep.ToStatus != feedback.StatusDispatched || !rep.At.Equal(t0) {
		t.Fatalf("stored entry: %+v", rep)
	}

	// Claims are exclusive: the second claim of the same attempt loses.
	lease := t0.Add(2 * time.Hour)
	if ok, err := s.ClaimNotification(ctx, rep.ID, 0, lease); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := s.ClaimNotification(ctx, rep.ID, 0, lease); ok || err != nil {
		t.Fatalf("second claim of the same attempt: %v %v, want false", ok, err)
	}
	if due, _ := s.DueNotifications(ctx, t0.Add(time.Hour), 10); len(due) != 2 {
		t.Fatalf("a claimed entry is hidden during its lease: %d due, want 2", len(due))
	}
	// A failure reschedules it.
	retry := t0.Add(90 * time.Minute)
	if err := s.FinishNotification(ctx, rep.ID, false, t0, retry, "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueNotifications(ctx, retry, 10)
	var again *feedback.Notification
	for i := range due {
		if due[i].ID == rep.ID {
			again = &due[i]
		}
	}
	if again == nil || again.Attempts != 1 || again.LastError != "HTTP 503" || !again.NextAttemptAt.Equal(retry) {
		t.Fatalf("after a failed attempt: %+v", again)
	}
	// Delivered and dead entries are never due again.
	if ok, _ := s.ClaimNotification(ctx, rep.ID, 1, lease); !ok {
		t.Fatal("claim of the second attempt failed")
	}
	if err := s.FinishNotification(ctx, rep.ID, true, t0, time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	other := due[0].ID
	if other == rep.ID {
		other = due[1].ID
	}
	if err := s.FinishNotification(ctx, other, false, t0, time.Time{}, "HTTP 400"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueNotifications(ctx, t0.Add(100*time.Hour), 10)
	if len(due) != 1 || due[0].ID == rep.ID || due[0].ID == other {
		t.Fatalf("after delivery and giving up: %+v, want only the third entry", due)
	}
	if ok, _ := s.ClaimNotification(ctx, rep.ID, 2, lease); ok {
		t.Fatal("a delivered entry was claimed")
	}
	// The history does not carry the outbox.
	if hist, _ := s.History(ctx, r.ID); len(hist) != 2 || hist[0].Notify != nil {
		t.Fatalf("history: %+v", hist)
	}
}
