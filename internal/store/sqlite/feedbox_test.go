package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/internal/store/storetest"
)

// TestFeedInBox runs the conformance test of feeds in a map box with the
// plans' bounds made small, so 3,000 reports reach the window, the plan by
// place and the walk, and checks that each served pages.
func TestFeedInBox(t *testing.T) {
	defer func(w int64, p, c, k int) { boxWindow, boxProbeMax, boxCells, boxChunk = w, p, c, k }(boxWindow, boxProbeMax, boxCells, boxChunk)
	boxWindow, boxProbeMax, boxCells, boxChunk = 256, 300, 12, 5
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "box.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := struct{ window, place, walk int64 }{boxPlans.window.Load(), boxPlans.place.Load(), boxPlans.walk.Load()}
	storetest.FeedInBox(t, db.Reports(), 3000, 7)
	window, place, walk := boxPlans.window.Load()-before.window, boxPlans.place.Load()-before.place, boxPlans.walk.Load()-before.walk
	if window == 0 || place == 0 || walk == 0 {
		t.Fatalf("pages served by the window %d, by place %d, by the walk %d: want each step used", window, place, walk)
	}
	t.Logf("pages served by the window %d, by place %d, by the walk %d", window, place, walk)
}
