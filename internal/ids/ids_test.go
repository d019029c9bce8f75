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

func TestAfter(t *testing.T) {
	prev := ""
	for i := 0; i < 1000; i++ {
		id := After(prev)
		if !Valid(id) || id <= prev {
			t.Fatalf("After(%q) = %q, want a valid id sorting after it", prev, id)
		}
		prev = id
	}
	future := at(time.Now().Add(time.Hour))
	if got := After(future); got <= future || len(got) != 26 {
		t.Fatalf("After(%q) = %q, want the next id", future, got)
	}
	carry := future[:24] + "0z"
	if got, want := After(carry), future[:24]+"10"; got != want {
		t.Fatalf("After(%q) = %q, want %q", carry, got, want)
	}
}
