package sqlite

import (
	"context"
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
