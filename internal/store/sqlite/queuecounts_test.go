package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// TestMigration0077_BackFill opens a database whose reports predate the
// queue counters (migration 0077 undone after they were stored): the
// migration counts them once, so the console's counts equal a direct
// count of the reports, and the triggers keep them right afterwards.
func TestMigration0077_BackFill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "camaug.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var rs []feedback.Report
	prev := ids.New()
	agencies, categories := []string{"a", "b", "c"}, []string{"cap-thoat-nuoc", "dien-chieu-sang"}
	for i := 0; i < 40; i++ {
		p := feedback.Point{Lat: 9.17 + float64(i)*0.001, Lng: 105.15}
		id := ids.After(prev)
		prev = id
		rs = append(rs, feedback.Report{ID: id, TrackingCode: feedback.NewTrackingCode(), ReporterID: "u1", CategoryCode: categories[i%2],
			AgencyCode: agencies[i%3], RoutingReason: i18n.T("r", "r"), Description: fmt.Sprintf("báo cáo %d", i), Location: p,
			Cell: feedback.Geohash(p, 7), Locale: i18n.VI, Status: feedback.AllStatuses[i%len(feedback.AllStatuses)],
			Deadlines: feedback.Deadlines{DispatchDue: now, ResponseDue: now, ResolutionDue: now}, CreatedAt: now, UpdatedAt: now})
	}
	if err := db.Reports().(*ReportStore).CreateReports(ctx, rs); err != nil {
		t.Fatal(err)
	}
	// Undo 0077, as if the reports were stored by an older version.
	if _, err := db.write.ExecContext(ctx, `DROP TRIGGER reports_counts_insert; DROP TRIGGER reports_counts_update;
		DROP TRIGGER reports_counts_delete; DROP TABLE report_counts; DELETE FROM schema_migrations WHERE version = 77`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	direct := func(f feedback.QueueFilter) map[feedback.Status]int {
		t.Helper()
		out := map[feedback.Status]int{}
		for _, r := range rs {
			if (f.AgencyCode == "" || r.AgencyCode == f.AgencyCode) && (f.CategoryCode == "" || r.CategoryCode == f.CategoryCode) {
				out[r.Status]++
			}
		}
		return out
	}
	check := func(stage string) {
		t.Helper()
		for _, f := range []feedback.QueueFilter{{}, {AgencyCode: "a"}, {AgencyCode: "c", CategoryCode: "dien-chieu-sang"}, {CategoryCode: "cap-thoat-nuoc"}} {
			got, err := db.Reports().QueueCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if want := direct(f); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s: counts for %+v: got %v, want %v", stage, f, got, want)
			}
		}
	}
	check("after the back-fill")
	// Re-routed after the migration: the triggers move the counts.
	r := rs[0]
	r.AgencyCode, r.Status = "b", feedback.StatusDispatched
	if err := db.Reports().UpdateReport(ctx, &r); err != nil {
		t.Fatal(err)
	}
	rs[0] = r
	check("after a re-routing")
}

// BenchmarkQueueCounts measures the console's queue counts at n reports
// (one agency holds about a tenth): from the counters (agency, agency and
// category, every agency), overdue (the overdue entries), and the count
// of the agency's reports that the counters replaced, for comparison.
//
//	CAMAUG_BENCH_REPORTS=1000000 go test ./internal/store/sqlite -run '^$' -bench QueueCounts -benchtime 2000x
func BenchmarkQueueCounts(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_REPORTS")); err == nil && v > 0 {
		n = v
	}
	db := benchDB(b, n)
	defer db.Close()
	ctx := context.Background()
	s := db.Reports()
	due := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	counts := func(f feedback.QueueFilter) func() error {
		return func() error { _, err := s.QueueCounts(ctx, f); return err }
	}
	for _, c := range []struct {
		name string
		op   func() error
	}{
		{"counters/agency", counts(feedback.QueueFilter{AgencyCode: "so-xay-dung"})},
		{"counters/agency+category", counts(feedback.QueueFilter{AgencyCode: "so-xay-dung", CategoryCode: "ha-tang-do-thi"})},
		{"counters/every-agency", counts(feedback.QueueFilter{})},
		{"overdue/agency", counts(feedback.QueueFilter{AgencyCode: "so-xay-dung", DueBefore: &due})},
		{"reports/agency (before 0077)", func() error {
			rows, err := db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM reports WHERE agency_code = ? GROUP BY status`, "so-xay-dung")
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		}},
	} {
		b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) { timed(b, c.op) })
	}
}
