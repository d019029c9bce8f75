package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
)

// openWithReference opens a database holding the default reference data,
// with automatic dispatch on for the street-lighting category, and returns
// it with a report service on it.
func openWithReference(t *testing.T, path string) (*DB, *feedback.ReportService) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ref, err := feedback.DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	for i := range ref.Categories {
		ref.Categories[i].AutoDispatch = ref.Categories[i].Code == "dien-chieu-sang"
	}
	refs := feedback.NewReferenceService(db.Reference())
	if err := refs.Import(ctx, ref); err != nil {
		t.Fatal(err)
	}
	return db, feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), refs, nil)
}

// lightOut is a report in a category dispatched on arrival.
var lightOut = feedback.SubmitInput{CategoryCode: "dien-chieu-sang", Description: "Đèn đường tắt cả tuần nay, rất tối",
	Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}

// stepsOnly hides the store's SubmitReport: the service then writes a
// submission in three calls.
type stepsOnly struct{ feedback.ReportStore }

// TestSubmit_OneCommitPerSubmission: a submission with an Idempotency-Key
// and automatic dispatch waits for one durable commit, where a store
// without SubmitReport takes three; a retry takes one.
func TestSubmit_OneCommitPerSubmission(t *testing.T) {
	ctx := context.Background()
	db, svc := openWithReference(t, filepath.Join(t.TempDir(), "camaug.db"))
	citizen := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
	submit := func(svc *feedback.ReportService, key string) (*feedback.Report, bool) {
		t.Helper()
		r, replayed, err := svc.Submit(ctx, citizen, lightOut, key)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != feedback.StatusDispatched {
			t.Fatalf("report %s is %s, want dispatched on arrival", r.ID, r.Status)
		}
		return r, replayed
	}
	const n = 5
	before := db.group.commits.Load()
	var first *feedback.Report
	for i := range n {
		r, _ := submit(svc, fmt.Sprint("key-", i))
		if i == 0 {
			first = r
		}
		hist, err := db.Reports().History(ctx, r.ID)
		if err != nil || len(hist) != 1 || hist[0].Action != feedback.ActDispatch {
			t.Fatalf("history of %s: %+v, %v; want its dispatch", r.ID, hist, err)
		}
	}
	if got := db.group.commits.Load() - before; got != n {
		t.Fatalf("%d submissions one at a time took %d group commits, want %d (one each)", n, got, n)
	}
	before = db.group.commits.Load()
	if r, replayed := submit(svc, "key-0"); !replayed || r.ID != first.ID {
		t.Fatalf("a retry got %s (replayed %v), want %s replayed", r.ID, replayed, first.ID)
	}
	if got := db.group.commits.Load() - before; got != 1 {
		t.Fatalf("a retry took %d group commits, want 1", got)
	}

	steps := feedback.NewReportService(stepsOnly{db.Reports()}, db.Media(), db.Ratings(), feedback.NewReferenceService(db.Reference()), nil)
	before = db.group.commits.Load()
	submit(steps, "key-steps")
	if got := db.group.commits.Load() - before; got != 3 {
		t.Fatalf("a submission through separate calls took %d group commits, want 3 (claim, report, dispatch)", got)
	}
}

// TestSubmitReport_DispatchFails: when the automatic dispatch cannot be
// written, the report is stored without it and waits for the coordinator.
func TestSubmitReport_DispatchFails(t *testing.T) {
	ctx := context.Background()
	db, svc := openWithReference(t, filepath.Join(t.TempDir(), "camaug.db"))
	citizen := identity.Principal{UserID: "u1", Role: identity.RoleCitizen}
	// Make the dispatch's event insert fail: fail any event row.
	if _, err := db.write.ExecContext(ctx, `CREATE TRIGGER no_events BEFORE INSERT ON report_events BEGIN SELECT RAISE(ABORT, 'no events'); END`); err != nil {
		t.Fatal(err)
	}
	r, _, err := svc.Submit(ctx, citizen, lightOut, "key-1")
	if err != nil {
		t.Fatalf("a submission whose dispatch fails: %v, want the report stored", err)
	}
	if r.Status != feedback.StatusSubmitted || r.Version != 1 {
		t.Fatalf("answered %s v%d, want submitted v1 (not dispatched)", r.Status, r.Version)
	}
	stored, err := db.Reports().GetReport(ctx, r.ID)
	if err != nil || stored.Status != feedback.StatusSubmitted || stored.Version != 1 || stored.DispatchedAt != nil {
		t.Fatalf("stored: %+v, %v; want the report, submitted, version 1", stored, err)
	}
	due, err := db.Reports().DueNotifications(ctx, time.Now().Add(time.Hour), 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("outbox: %d entries, %v; want none (the dispatch was rolled back)", len(due), err)
	}
	// The claim is stored too: a retry answers the same report.
	again, replayed, err := svc.Submit(ctx, citizen, lightOut, "key-1")
	if err != nil || !replayed || again.ID != r.ID {
		t.Fatalf("a retry: %v, replayed %v, %v; want %s replayed", again, replayed, err, r.ID)
	}
}

// TestOpen_WriterSubJournalInMemory: the writer's savepoints (one per job
// of a group commit) journal in memory, not in a temporary file.
func TestOpen_WriterSubJournalInMemory(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode int
	if err := db.write.QueryRow(`PRAGMA temp_store`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("writer temp_store = %d, %v; want 2 (memory)", mode, err)
	}
}
