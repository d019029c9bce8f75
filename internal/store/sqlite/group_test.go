package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// TestGroupCommit: concurrent reports share transactions, and one that
// fails (a tracking code already used) fails alone.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := db.Reports()
	mk := func(code string) *feedback.Report {
		p := feedback.Point{Lat: 9.1769, Lng: 105.1524}
		now := time.Now().UTC()
		return &feedback.Report{ID: ids.New(), TrackingCode: code, ReporterID: "u", CategoryCode: "khac", AgencyCode: "a",
			RoutingReason: i18n.T("r", "r"), Description: "d", Location: p, Cell: feedback.Geohash(p, 7), Locale: i18n.VI,
			Status: feedback.StatusSubmitted, CreatedAt: now, UpdatedAt: now, Deadlines: feedback.Deadlines{DispatchDue: now, ResponseDue: now, ResolutionDue: now}}
	}
	if err := s.CreateReport(ctx, mk("CM-2222-2222")); err != nil {
		t.Fatal(err)
	}
	before := db.group.commits.Load()
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code := feedback.NewTrackingCode()
			if i == n/2 {
				code = "CM-2222-2222" // taken
			}
			errs[i] = s.CreateReport(ctx, mk(code))
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		var want apperr.Code
		if i == n/2 {
			want = apperr.ECONFLICT
		}
		if got := apperr.CodeOf(err); got != want {
			t.Errorf("report %d: got %v, want code %q", i, err, want)
		}
	}
	var stored int
	db.read.QueryRowContext(ctx, `SELECT count(*) FROM reports`).Scan(&stored)
	if stored != n {
		t.Errorf("%d reports stored, want %d (the first and the %d that did not clash)", stored, n, n-1)
	}
	if commits := db.group.commits.Load() - before; commits >= n {
		t.Errorf("%d concurrent reports took %d transactions: no grouping", n, commits)
	} else {
		t.Logf("%d concurrent reports in %d transactions", n, commits)
	}
}

// TestGroupCommit_AfterJobs: writes deferred by a job run after the
// group's jobs only if the job succeeded; one that fails fails the group,
// and nothing of it is stored.
func TestGroupCommit_AfterJobs(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE t (job TEXT NOT NULL, part TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	job := func(name string, fail bool, later string) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (?, 'now')`, name); err != nil {
				return err
			}
			db.afterJobs(func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, later, name)
				return err
			})
			if fail {
				return errors.New("job failed")
			}
			return nil
		}
	}
	const ok = `INSERT INTO t VALUES (?, 'later')`
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.grouped(ctx, job(fmt.Sprint("j", i), i%4 == 0, ok))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i%4 == 0) {
			t.Fatalf("job %d: %v, want an error only for the failing jobs", i, err)
		}
	}
	count := func(q string) int {
		var n int
		if err := db.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if now, later := count(`SELECT count(*) FROM t WHERE part = 'now'`), count(`SELECT count(*) FROM t WHERE part = 'later'`); now != 12 || later != 12 {
		t.Fatalf("stored %d rows in jobs and %d after them, want 12 and 12 (the failed jobs' deferred writes dropped)", now, later)
	}
	// A deferred write that fails fails its group: nothing of it stays.
	err = db.grouped(ctx, job("bad", false, `INSERT INTO missing VALUES (?)`))
	if apperr.CodeOf(err) != apperr.EINTERNAL {
		t.Fatalf("a failing deferred write: %v, want EINTERNAL", err)
	}
	if n := count(`SELECT count(*) FROM t WHERE job = 'bad'`); n != 0 {
		t.Fatalf("%d rows of the failed group stored, want 0", n)
	}
}
