package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

// queryShape is one statement the report store issues for a read.
type queryShape struct {
	name string
	q    string
	args []any
}

// feedShapes lists the public feed's statements: no filter, each filter and
// each pair of filters (category, area, agency, one status, bbox, since,
// search), each also on a later page.
func feedShapes(t *testing.T) []queryShape {
	t.Helper()
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	filters := []struct {
		name string
		set  func(*feedback.FeedFilter)
	}{
		{"category", func(f *feedback.FeedFilter) { f.CategoryCode = "cap-thoat-nuoc" }},
		{"area", func(f *feedback.FeedFilter) { f.AreaCode = "phuong-an-xuyen" }},
		{"agency", func(f *feedback.FeedFilter) { f.AgencyCode = "cap-nuoc-ca-mau" }},
		{"status", func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusAccepted} }},
		{"bbox", func(f *feedback.FeedFilter) { f.BBox = &[4]float64{105.1, 9.1, 105.2, 9.2} }},
		{"since", func(f *feedback.FeedFilter) { f.Since = &since }},
		{"q", func(f *feedback.FeedFilter) { f.Terms = feedback.SearchTerms("ngập nước") }},
	}
	var combos [][]int
	combos = append(combos, nil)
	for i := range filters {
		combos = append(combos, []int{i})
		for j := i + 1; j < len(filters); j++ {
			combos = append(combos, []int{i, j})
		}
	}
	var out []queryShape
	for _, combo := range combos {
		for _, cursor := range []string{"", "cHJldg"} {
			f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 20}
			var names []string
			for _, i := range combo {
				filters[i].set(&f)
				names = append(names, filters[i].name)
			}
			name := "feed " + strings.Join(names, "+")
			if cursor != "" {
				f.Cursor = "cjEyMzQ" // "r1234": a later page
				name += " page 2"
			}
			q, args, err := feedQuery(f, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, queryShape{name, q, args})
		}
	}
	return out
}

// boxShapes lists the feed-in-a-box statements (feedbox.go): the walk over
// the newest rows, the probe by place with and without a category, and the
// read of the probe's rows.
func boxShapes(t *testing.T) []queryShape {
	t.Helper()
	box := &[4]float64{105.30, 9.20, 105.32, 9.22}
	cells := feedback.CoverBox(*box, 7, boxCells)
	var out []queryShape
	for _, category := range []string{"", "khac"} {
		for _, statuses := range [][]feedback.Status{feedback.PublicStatuses, {feedback.StatusClosed}} {
			f := feedback.FeedFilter{Statuses: statuses, BBox: box, CategoryCode: category, Limit: 20}
			q, args := coverCountQuery(cells, 1<<40)
			out = append(out, queryShape{"box probe: the cover's count", q, args})
			q, args = boxProbeQuery(f, cells, 1<<40)
			out = append(out, queryShape{fmt.Sprintf("box probe, category %q, %d statuses", category, len(statuses)), q, args})
			f.AreaCode = "xa-u-minh"
			q, args, err := feedQuery(f, 4096)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, queryShape{fmt.Sprintf("box window, category %q, %d statuses", category, len(statuses)), q, args})
		}
	}
	for _, set := range []func(*feedback.FeedFilter){func(*feedback.FeedFilter) {}, func(f *feedback.FeedFilter) { f.CategoryCode = "khac" },
		func(f *feedback.FeedFilter) { f.AreaCode = "xa-u-minh" }, func(f *feedback.FeedFilter) { f.AgencyCode = "cong-an-tinh" }} {
		f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 20}
		set(&f)
		ix := mergeIndex(f)
		if ix == "" {
			t.Fatalf("no merge index for %+v", f)
		}
		q, args := mergeQuery(ix, f, feedback.StatusClosed, 1<<40, 1<<30)
		out = append(out, queryShape{"merge probe " + ix, q, args})
		f.BBox = box
		q, args = mergeQuery(ix, f, feedback.StatusClosed, 1<<40, 0)
		out = append(out, queryShape{"merge in a box " + ix, q, args})
	}
	out = append(out, queryShape{"box rows", `SELECT r.rowid, r.id FROM reports r WHERE r.rowid IN (?,?,?) AND r.area_code = ? AND r.created_at >= ?`,
		[]any{1, 2, 3, "xa-u-minh", "2026"}})
	return out
}

// queueShapes lists the work queues' statements: per agency and for
// everyone, open or one status, with a category, overdue, a search, a
// tracking code, pending extensions, and a later page.
func queueShapes() []queryShape {
	now := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	after := &feedback.QueueCursor{Urgent: false, NextDue: now, ID: "01jq0000000000000000000000"}
	var out []queryShape
	for _, agency := range []string{"cap-nuoc-ca-mau", ""} {
		statusSets := map[string][]feedback.Status{"open": feedback.OpenStatuses}
		for _, st := range feedback.AllStatuses {
			statusSets[string(st)] = []feedback.Status{st}
		}
		for setName, statuses := range statusSets {
			for _, v := range []struct {
				name string
				set  func(*feedback.QueueFilter)
			}{
				{"", func(*feedback.QueueFilter) {}},
				{"category", func(f *feedback.QueueFilter) { f.CategoryCode = "cap-thoat-nuoc" }},
				{"overdue", func(f *feedback.QueueFilter) { f.DueBefore = &now }},
				{"category+overdue", func(f *feedback.QueueFilter) { f.CategoryCode = "cap-thoat-nuoc"; f.DueBefore = &now }},
				{"q", func(f *feedback.QueueFilter) { f.Terms = feedback.SearchTerms("đèn") }},
				{"page 2", func(f *feedback.QueueFilter) { f.After = after }},
				{"extension pending", func(f *feedback.QueueFilter) { f.ExtensionPending = true }},
			} {
				f := feedback.QueueFilter{AgencyCode: agency, Statuses: statuses, Limit: 20}
				v.set(&f)
				q, args := queueQuery(f)
				out = append(out, queryShape{fmt.Sprintf("queue agency=%q %s %s", agency, setName, v.name), q, args})
			}
		}
		// A tracking code finds one report whatever its status.
		q, args := queueQuery(feedback.QueueFilter{AgencyCode: agency, Statuses: feedback.AllStatuses, TrackingCode: "CM-7KQ4-X9TP", Limit: 20})
		out = append(out, queryShape{fmt.Sprintf("queue agency=%q tracking code", agency), q, args})
	}
	return out
}

// pointShapes lists the other reads: one report, several, a reporter's
// list, history, nearby candidates, and the automatic close's scan.
func pointShapes() []queryShape {
	return []queryShape{
		{"get by id", getReportSQL, []any{"x"}},
		{"get several", `SELECT ` + reportColumns + ` FROM reports WHERE id IN (?,?,?)`, []any{"x", "y", "z"}},
		{"my reports", byReporterSQL, []any{"u", "~", 20}},
		{"history", historySQL, []any{"x"}},
		{"nearby", nearbyQuery(9, "cap-thoat-nuoc", 4), append(make([]any, 0), "a", "b", "c", "d", "e", "f", "g", "h", "i", "s1", "s2", "s3", "s4", "cap-thoat-nuoc")},
		{"nearby any category", nearbyQuery(9, "", 1), []any{"a", "b", "c", "d", "e", "f", "g", "h", "i", "s1"}},
		{"resolved before", resolvedBeforeSQL, []any{"2026", 10}},
	}
}

// TestQueryPlans runs EXPLAIN QUERY PLAN for every statement the report
// store issues for the API's reads and fails on a sort of the matches
// (USE TEMP B-TREE FOR ORDER BY) or a walk through every report (a SCAN of
// reports): a page must cost its size, not the number of reports.
func TestQueryPlans(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shapes := append(append(feedShapes(t), queueShapes()...), pointShapes()...)
	shapes = append(shapes, changeShapes()...) // plan_sync_test.go
	shapes = append(shapes, boxShapes(t)...)
	shapes = append(shapes, countShapes()...) // plan_counts_test.go
	for _, sh := range shapes {
		plan, err := explain(db, sh.q, sh.args)
		if err != nil {
			t.Errorf("%s: %v\n%s", sh.name, err, sh.q)
			continue
		}
		if bad := badPlan(plan); bad != "" {
			t.Errorf("%s: plan has %q:\n%s\n%s", sh.name, bad, strings.Join(plan, "\n"), sh.q)
		}
	}
	if len(shapes) < 100 {
		t.Fatalf("only %d shapes checked", len(shapes))
	}
	// Nearby candidates, the feed's probe by place (status and reporter in
	// the index since migration 0080) and its merge of statuses come from
	// their index alone: no report row is read.
	for _, sh := range append(pointShapes(), boxShapes(t)...) {
		var ix string
		switch {
		case strings.HasPrefix(sh.name, "nearby"), strings.HasPrefix(sh.name, "box probe"):
			ix = "reports_nearby"
		case strings.HasPrefix(sh.name, "merge probe "):
			ix = strings.TrimPrefix(sh.name, "merge probe ")
		default:
			continue
		}
		plan, err := explain(db, sh.q, sh.args)
		if err != nil || !strings.Contains(strings.Join(plan, "\n"), "USING COVERING INDEX "+ix+" ") {
			t.Errorf("%s: want a covering read of %s, got %v (%v)", sh.name, ix, plan, err)
		}
	}
}

// orderedWalks are the indexes a statement may walk from their start
// (SCAN ... USING INDEX) when no filter narrows them: partial indexes of
// the few open or extension-pending reports, in the page's order, so the
// walk stops at the page.
var orderedWalks = map[string]bool{"reports_queue_open_all": true, "reports_extension_pending_all": true}

// badPlan returns the plan line that makes a read's cost grow with the
// number of reports, or "".
func badPlan(plan []string) string {
	for _, line := range plan {
		switch {
		case strings.Contains(line, "USE TEMP B-TREE FOR ORDER BY"):
			return line
		case line == "SCAN r" || line == "SCAN reports":
			return line
		case strings.HasPrefix(line, "SCAN r ") || strings.HasPrefix(line, "SCAN reports "):
			_, ix, _ := strings.Cut(line, " USING INDEX ")
			if !orderedWalks[ix] {
				return line
			}
		}
	}
	return ""
}

func explain(db *DB, q string, args []any) ([]string, error) {
	rows, err := db.read.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}

// TestQueryPlans_CatchesSort makes sure the check can fail: the category
// feed as it was before migration 0030 (the category and area index, which
// cannot give rowid order for a category alone) sorts every match.
func TestQueryPlans_CatchesSort(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := `SELECT rowid FROM reports r INDEXED BY reports_feed_category_area WHERE r.rowid < ? AND r.status IN (?,?) AND r.category_code = ? ORDER BY r.rowid DESC LIMIT 20`
	plan, err := explain(db, old, []any{1 << 62, "closed", "resolved", "khac"})
	if err != nil {
		t.Fatal(err)
	}
	if badPlan(plan) == "" {
		t.Fatalf("the category feed on (category_code, area_code) passed the check:\n%s", strings.Join(plan, "\n"))
	}
	plan, err = explain(db, `SELECT rowid FROM reports r WHERE r.title = ?`, []any{"x"})
	if err != nil {
		t.Fatal(err)
	}
	if badPlan(plan) == "" {
		t.Fatalf("a full scan of reports passed the check:\n%s", strings.Join(plan, "\n"))
	}
}
