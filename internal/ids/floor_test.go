package ids

import (
	"testing"
	"time"
)

func TestFloor(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	floor := Floor(t0)
	if !Valid(floor) {
		t.Fatalf("Floor(%v) = %q: not a valid identifier", t0, floor)
	}
	for i := 0; i < 1000; i++ {
		if id := at(t0); id < floor {
			t.Fatalf("an identifier made at t, %q, sorts before Floor(t) %q", id, floor)
		}
		if id := at(t0.Add(-time.Millisecond)); id >= floor {
			t.Fatalf("an identifier made 1 ms before t, %q, sorts at or after Floor(t) %q", id, floor)
		}
	}
}
