package identity

import (
	"context"
	"runtime"
	"testing"
	"time"

	"camaug/internal/apperr"
)

// TestHashGate_Slots: the slots follow the memory budget and leave a core
// free; at least one always runs.
func TestHashGate_Slots(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tt := range []struct {
		budget, concurrency, want int
	}{
		{HashMemoryMiB, 0, 1},
		{1, 0, 1},
		{100 * HashMemoryMiB, 0, max(1, procs-1)},
		{2 * HashMemoryMiB, 0, max(1, min(2, procs-1))},
		{HashMemoryMiB, 3, 3},
	} {
		if got := cap(newHashGate(tt.budget, tt.concurrency, time.Second).slots); got != tt.want {
			t.Errorf("budget %d MiB, concurrency %d: got %d slots, want %d", tt.budget, tt.concurrency, got, tt.want)
		}
	}
}

// TestHashGate_Refuses: with every slot taken, a hash waits its bounded
// time (or its context) and is refused with EUNAVAILABLE and a delay.
func TestHashGate_Refuses(t *testing.T) {
	g := newHashGate(HashMemoryMiB, 1, 20*time.Millisecond)
	g.slots <- struct{}{} // a hash in progress
	ran := false
	err := g.run(context.Background(), func() { ran = true })
	var ae *apperr.Error
	if ran || err == nil || apperr.CodeOf(err) != apperr.EUNAVAILABLE {
		t.Fatalf("with no slot: ran %v, err %v; want EUNAVAILABLE without running", ran, err)
	}
	if e, ok := err.(*apperr.Error); ok {
		ae = e
	}
	if ae == nil || ae.RetryAfter < time.Second {
		t.Errorf("RetryAfter: want at least a second")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.wait = time.Hour
	start := time.Now()
	if err := g.run(ctx, func() { ran = true }); apperr.CodeOf(err) != apperr.EUNAVAILABLE || time.Since(start) > time.Second {
		t.Fatalf("cancelled request: got %v after %v, want EUNAVAILABLE at once", err, time.Since(start))
	}
	<-g.slots
	if err := g.run(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("with a free slot: ran %v, err %v", ran, err)
	}
}
