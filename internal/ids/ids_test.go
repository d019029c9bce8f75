package ids

import (
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := at(time.UnixMilli(int64(1_700_000_000_000 + i)))
		if !Valid(id) || seen[id] {
			t.Fatalf("id %q: valid=%v, seen before=%v", id, Valid(id), seen[id])
		}
		if id <= prev {
			t.Fatalf("ids not ordered by time: %q after %q", id, prev)
		}
		seen[id], prev = true, id
	}
	if Valid("not-an-id") || Valid("0123456789abcdefghjkmnpqrI") {
		t.Error("Valid accepted a malformed id")
	}
}
