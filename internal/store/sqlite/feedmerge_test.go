package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/internal/store/storetest"
)

// TestFeedPastBacklog runs the conformance test of the public feed behind
// a backlog of submitted reports with a window smaller than the backlog,
// so pages are served by the merge of the statuses' indexes as well as by
// the window, and checks both served.
func TestFeedPastBacklog(t *testing.T) {
	defer func(w int64) { mergeWindow = w }(mergeWindow)
	mergeWindow = 64
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "backlog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	window, merge := mergePlans.window.Load(), mergePlans.merge.Load()
	storetest.FeedPastBacklog(t, db.Reports(), 1500, 400, 9)
	if window, merge = mergePlans.window.Load()-window, mergePlans.merge.Load()-merge; window == 0 || merge == 0 {
		t.Fatalf("pages served by the window %d, by the merge %d: want both", window, merge)
	}
	t.Logf("pages served by the window %d, by the merge %d", window, merge)
}
