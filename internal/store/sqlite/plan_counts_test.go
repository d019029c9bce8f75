package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

// TestQueryPlans_QueueCounts checks that the console's queue counts,
// filtered by agency and/or category only, read the counters of
// report_counts (migration 0077) and never the reports: their cost is
// bounded by statuses × categories (× agencies for every agency), not by
// the number of reports. The other filters count matching reports; their
// plans must still be index searches, never a walk through every report.
func TestQueryPlans_QueueCounts(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		f        feedback.QueueFilter
		counters bool
	}{
		{"agency", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau"}, true},
		{"agency+category", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau", CategoryCode: "cap-thoat-nuoc"}, true},
		{"category", feedback.QueueFilter{CategoryCode: "cap-thoat-nuoc"}, true},
		{"every agency", feedback.QueueFilter{}, true},
		{"agency overdue", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau", DueBefore: &now}, false},
		{"agency+category overdue", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau", CategoryCode: "cap-thoat-nuoc", DueBefore: &now}, false},
		{"category overdue", feedback.QueueFilter{CategoryCode: "cap-thoat-nuoc", DueBefore: &now}, false},
		{"every agency overdue", feedback.QueueFilter{DueBefore: &now}, false},
		{"agency q", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau", Terms: feedback.SearchTerms("đèn")}, false},
		{"agency extension pending", feedback.QueueFilter{AgencyCode: "cap-nuoc-ca-mau", ExtensionPending: true}, false},
		{"tracking code", feedback.QueueFilter{TrackingCode: "CM-7KQ4-X9TP"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, args := queueCountsQuery(c.f)
			plan, err := explain(db, q, args)
			if err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			all := strings.Join(plan, "\n")
			readsReports := false
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN reports") || strings.HasPrefix(line, "SEARCH reports") {
					readsReports = true
				}
			}
			switch {
			case c.counters:
				// (Grouping may sort the counters: statuses × categories rows.)
				if readsReports || !strings.Contains(all, "report_counts") {
					t.Fatalf("the counts do not come from report_counts alone:\n%s\n%s", all, q)
				}
			case badPlan(plan) != "":
				t.Fatalf("plan has %q:\n%s\n%s", badPlan(plan), all, q)
			case c.f.DueBefore != nil && !strings.Contains(all, "next_due<?"):
				t.Fatalf("overdue counts do not search up to the time (they read more than the overdue reports):\n%s\n%s", all, q)
			}
			t.Logf("%s", all)
		})
	}
}
