package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/internal/store/storetest"
)

// TestFeedPastBacklog runs the conformance test of the public feed behind
// a backlog of submitted reports with a window smaller than the backlog,
// (and a box too full for the plan by place), so pages are served by the
// merge of the statuses' indexes as well as by the window, and checks both
// served.
func TestFeedPastBacklog(t *testing.T) {
	defer func(w, bw int64, p int) { mergeWindow, boxWindow, boxProbeMax = w, bw, p }(mergeWindow, boxWindow, boxProbeMax)
	mergeWindow, boxWindow, boxProbeMax = 64, 64, 100 // the box is too full for the plan by place
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	window, merge, full := mergePlans.window.Load(), mergePlans.merge.Load(), boxPlans.walk.Load()
	storetest.FeedPastBacklog(t, db.Reports(), 1500, 400, 9)
	if full = boxPlans.walk.Load() - full; full == 0 {
		t.Fatal("no box was too full for the plan by place: the merge in a box was not reached")
	}
	if window, merge = mergePlans.window.Load()-window, mergePlans.merge.Load()-merge; window == 0 || merge == 0 {
		t.Fatalf("pages served by the window %d, by the merge %d: want both", window, merge)
	}
	t.Logf("pages served by the window %d, by the merge %d", window, merge)
}
