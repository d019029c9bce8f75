package identity

import (
	"fmt"
	"testing"
	"time"
)

// TestVerifiedCache_Bounded: a flood of distinct tokens never grows the
// cache past its bound, and expired entries go first.
func TestVerifiedCache_Bounded(t *testing.T) {
	now := time.Now()
	c := newVerifiedCache(100)
	live := &accessClaims{Role: "analyst"}
	c.put("live", live, now.Add(time.Hour), now)
	for i := range 99 {
		c.put(fmt.Sprint("old", i), &accessClaims{}, now.Add(time.Second), now)
	}
	later := now.Add(time.Minute)
	for i := range 1000 {
		c.put(fmt.Sprint("new", i), &accessClaims{}, later.Add(time.Hour), later)
		if c.len() > 100 {
			t.Fatalf("after %d tokens the cache holds %d, bound 100", i+1, c.len())
		}
	}
	if _, ok := c.get("old3", later); ok {
		t.Error("an expired entry was served")
	}
	if got, ok := c.get("new999", later); !ok || got == nil {
		t.Error("the newest entry is gone")
	}
}
