package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

// countCase is a shape of the queue counts and whether counters serve it.
type countCase struct {
	name     string
	f        feedback.QueueFilter
	counters bool
}

// countCases are the queue counts' shapes: the console's tabs (agency and
// category filters, answered by counters) and the other filters.
func countCases() []countCase {
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	return []countCase{
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
	}
}

// countShapes are the queue counts' statements, for TestQueryPlans.
func countShapes() []queryShape {
	var out []queryShape
	for _, c := range countCases() {
		q, args := queueCountsQuery(c.f)
		out = append(out, queryShape{"queue counts " + c.name, q, args})
	}
	return out
}

// TestQueryPlans_QueueCounts checks that the console's queue counts,
// filtered by agency and/or category only, read the counters of
// report_counts (migration 0077) and never the reports: their cost is
// bounded by statuses × categories (× agencies for every agency), not by
// the number of reports. The other filters count matching reports: never
// by a walk through every report, and overdue counts search each open
// status up to the time, so they read only the overdue reports' entries.
func TestQueryPlans_QueueCounts(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range countCases() {
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
