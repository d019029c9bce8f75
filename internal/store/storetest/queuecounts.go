package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/ids"
)

// countKey is one queue counter: an agency's reports of a category in a
// status.
type countKey struct {
	agency, category string
	status           feedback.Status
}

// testQueueCountsKept follows the console's queue counts through every
// way reports are written (one at a time, in bulk, status changes,
// re-routing to another agency, a stale change that loses, concurrent
// changes of which one wins): after each stage, the counts for each
// agency and category filter equal both the test's own tally and a direct
// count of the queue's reports.
func testQueueCountsKept(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	bulk, ok := s.(feedback.BulkReportStore)
	if !ok {
		t.Fatal("the report store does not implement feedback.BulkReportStore")
	}
	const catWater, catLight = "cap-thoat-nuoc", "dien-chieu-sang"
	tally := map[countKey]int{}
	mk := func(agency, category string, st feedback.Status) *feedback.Report {
		r := newReport("u1", camauCenter, category, st)
		r.AgencyCode = agency
		return r
	}
	filters := []feedback.QueueFilter{{}, {AgencyCode: "a"}, {AgencyCode: "b"}, {AgencyCode: "a", CategoryCode: catWater},
		{AgencyCode: "b", CategoryCode: catLight}, {CategoryCode: catWater}, {CategoryCode: catLight}, {AgencyCode: "nobody"}}
	check := func(stage string) {
		t.Helper()
		for _, f := range filters {
			got, err := s.QueueCounts(ctx, f)
			if err != nil {
				t.Fatalf("%s: %+v: %v", stage, f, err)
			}
			for st, n := range got {
				if n == 0 {
					delete(got, st) // absent or 0: the same to a reader
				}
			}
			want := map[feedback.Status]int{}
			for k, n := range tally {
				if (f.AgencyCode == "" || k.agency == f.AgencyCode) && (f.CategoryCode == "" || k.category == f.CategoryCode) && n > 0 {
					want[k.status] += n
				}
			}
			// The queue itself, every status, counted report by report.
			direct := map[feedback.Status]int{}
			q := f
			q.Statuses, q.Limit = feedback.AllStatuses, 100
			list, err := s.Queue(ctx, q)
			if err != nil || len(list) >= q.Limit {
				t.Fatalf("%s: queue %+v: %d reports, %v", stage, f, len(list), err)
			}
			for _, r := range list {
				direct[r.Status]++
			}
			if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(direct) != fmt.Sprint(want) {
				t.Fatalf("%s: counts for agency %q category %q: got %v, the queue holds %v, want %v", stage, f.AgencyCode, f.CategoryCode,
					got, direct, want)
			}
		}
	}

	// One at a time.
	var open []*feedback.Report
	for _, c := range []countKey{{"a", catWater, feedback.StatusSubmitted}, {"a", catWater, feedback.StatusSubmitted},
		{"a", catLight, feedback.StatusDispatched}, {"a", catLight, feedback.StatusDispatched}, {"a", catLight, feedback.StatusDispatched},
		{"b", catWater, feedback.StatusInProgress}, {"b", catLight, feedback.StatusClosed}} {
		r := mk(c.agency, c.category, c.status)
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		tally[c]++
		open = append(open, r)
	}
	check("after single inserts")

	// In bulk, as imports and the load harness write.
	var rs []feedback.Report
	prev := ids.New()
	for _, c := range []countKey{{"a", catWater, feedback.StatusResolved}, {"a", catWater, feedback.StatusResolved},
		{"b", catLight, feedback.StatusDispatched}, {"b", catLight, feedback.StatusAccepted}, {"b", catWater, feedback.StatusRejected},
		{"a", catLight, feedback.StatusInProgress}} {
		r := mk(c.agency, c.category, c.status)
		r.ID = ids.After(prev)
		prev = r.ID
		rs = append(rs, *r)
		tally[c]++
	}
	if err := bulk.CreateReports(ctx, rs); err != nil {
		t.Fatal(err)
	}
	check("after a bulk insert")
	// A bulk insert that clashes stores nothing more on SQLite; on MongoDB
	// perhaps the others, so only a lone stored report is retried here.
	if err := bulk.CreateReports(ctx, rs[:1]); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("loading a stored report again: got %v, want ECONFLICT", err)
	}
	check("after a clashing bulk insert")

	now := time.Now().UTC().Truncate(time.Millisecond)
	step := func(cur *feedback.Report, action feedback.Action, to feedback.Status, agency string) (*feedback.Report, error) {
		next := *cur
		next.Version, next.Status, next.UpdatedAt = cur.Version+1, to, now
		ev := feedback.Event{ReportID: cur.ID, Version: next.Version, Action: action, FromStatus: cur.Status, ToStatus: to,
			ActorID: "c1", ActorRole: "coordinator", At: now}
		if agency != "" {
			next.AgencyCode, ev.ToAgency = agency, agency
		}
		return &next, s.Transition(ctx, &next, ev)
	}
	move := func(cur *feedback.Report, action feedback.Action, to feedback.Status, agency string) *feedback.Report {
		t.Helper()
		next, err := step(cur, action, to, agency)
		if err != nil {
			t.Fatalf("%s %s: %v", action, cur.ID, err)
		}
		tally[countKey{cur.AgencyCode, cur.CategoryCode, cur.Status}]--
		tally[countKey{next.AgencyCode, next.CategoryCode, next.Status}]++
		return next
	}

	// Status changes along the workflow.
	d := move(open[0], feedback.ActDispatch, feedback.StatusDispatched, "")
	acc := move(open[2], feedback.ActAccept, feedback.StatusAccepted, "")
	started := move(acc, feedback.ActStart, feedback.StatusInProgress, "")
	move(started, feedback.ActResolve, feedback.StatusResolved, "")
	move(open[1], feedback.ActReject, feedback.StatusRejected, "")
	check("after status changes")

	// Re-routing to another agency: the same status, another agency; and
	// a report transferred back with a new status.
	moved := move(open[3], feedback.ActTransfer, feedback.StatusDispatched, "b")
	back := move(d, feedback.ActTransfer, feedback.StatusDispatched, "b")
	move(back, feedback.ActTransfer, feedback.StatusSubmitted, "a")
	check("after re-routing")

	// A change from a stale version loses and moves no count.
	if _, err := step(open[3], feedback.ActAccept, feedback.StatusAccepted, ""); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("stale transition: got %v, want ECONFLICT", err)
	}
	check("after a stale change")

	// Of concurrent changes from one version, exactly one moves a count.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winner *feedback.Report
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			to, agency := feedback.StatusAccepted, ""
			if i%2 == 1 {
				to, agency = feedback.StatusDispatched, "a" // a transfer back races the accept
			}
			next, err := step(moved, feedback.ActAccept, to, agency)
			if err == nil {
				mu.Lock()
				if winner != nil {
					t.Errorf("two concurrent changes of version %d won", moved.Version)
				}
				winner = next
				mu.Unlock()
			} else if apperr.CodeOf(err) != apperr.ECONFLICT {
				t.Errorf("concurrent change: %v", err)
			}
		}(i)
	}
	wg.Wait()
	if winner == nil {
		t.Fatal("no concurrent change won")
	}
	tally[countKey{moved.AgencyCode, moved.CategoryCode, moved.Status}]--
	tally[countKey{winner.AgencyCode, winner.CategoryCode, winner.Status}]++
	check("after concurrent changes")
}
