package mongo

import (
	"context"
	"testing"

	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/storetest"
)

// TestFeedInBox runs the conformance test of feeds in a map box with the
// plan by place bounded at 8 reports, so boxes holding more fall back to
// the walk: both plans serve pages, and the pages are the feed's.
func TestFeedInBox(t *testing.T) {
	defer func(p, k int) { boxProbeMax, boxChunk = p, k }(boxProbeMax, boxChunk)
	boxProbeMax, boxChunk = 8, 3
	srv := mongotest.Start(t)
	db, err := Open(context.Background(), srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	place, walk := boxPlans.place.Load(), boxPlans.walk.Load()
	storetest.FeedInBox(t, db.Reports(), 80, 5)
	if place, walk = boxPlans.place.Load()-place, boxPlans.walk.Load()-walk; place == 0 || walk == 0 {
		t.Fatalf("pages served by place %d, by the walk %d: want both", place, walk)
	}
	t.Logf("pages served by place %d, by the walk %d", place, walk)
}
