package lease_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camaug/internal/lease"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
)

// twoInstances opens two handles on one FerretDB database, as two
// instances of the service would.
func twoInstances(t *testing.T) (lease.Store, lease.Store) {
	t.Helper()
	srv := mongotest.Start(t)
	var out [2]lease.Store
	for i := range out {
		db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		out[i] = db.Leases()
	}
	return out[0], out[1]
}

// TestRunner_OneAtATimeAndTakeover: two instances run one job under one
// lease; it never runs on both at once, it runs on one only while that one
// lives, and when the holder dies (stops without releasing anything) the
// other takes over within two TTLs and a quarter.
func TestRunner_OneAtATimeAndTakeover(t *testing.T) {
	const ttl = 400 * time.Millisecond
	sa, sb := twoInstances(t)
	var running, overlaps atomic.Int32
	var mu sync.Mutex
	runs := map[string][]time.Time{}
	job := func(owner string) func(context.Context) error {
		return func(ctx context.Context) error {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			mu.Lock()
			runs[owner] = append(runs[owner], time.Now())
			mu.Unlock()
			select { // some work, cut short when the lease ends
			case <-ctx.Done():
			case <-time.After(30 * time.Millisecond):
			}
			return nil
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	var wg sync.WaitGroup
	for _, r := range []struct {
		ctx context.Context
		r   *lease.Runner
	}{{ctxA, &lease.Runner{Store: sa, Owner: "a", TTL: ttl}}, {ctxB, &lease.Runner{Store: sb, Owner: "b", TTL: ttl}}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.r.Run(r.ctx, "job", 50*time.Millisecond, job(r.r.Owner))
		}()
	}
	// Let it run over several terms, then kill whichever holds it.
	time.Sleep(4 * ttl)
	mu.Lock()
	holder, other := "a", "b"
	if len(runs["b"]) > len(runs["a"]) {
		holder, other = "b", "a"
	}
	before := len(runs[other])
	mu.Unlock()
	if before != 0 {
		t.Errorf("the job ran %d times on the instance without the lease while the holder lived", before)
	}
	if holder == "a" {
		stopA()
	} else {
		stopB()
	}
	died := time.Now()
	deadline := died.Add(2*ttl + ttl/4 + 500*time.Millisecond)
	var took time.Duration
	for time.Now().Before(deadline) && took == 0 {
		mu.Lock()
		if n := len(runs[other]); n > 0 {
			took = runs[other][0].Sub(died)
		}
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	stopA()
	stopB()
	wg.Wait()
	if took == 0 {
		t.Fatalf("the other instance did not take over within %s of the holder's death", deadline.Sub(died))
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("the job ran on both instances at once %d times", n)
	}
	if took > 2*ttl+ttl/4 {
		t.Errorf("took over %s after the holder died, want within %s", took, 2*ttl+ttl/4)
	}
	t.Logf("TTL %s: the holder ran the job %d times; the other took over %s after its death", ttl, len(runs[holder]), took.Round(time.Millisecond))
}

// TestRunner_Do: of instances calling Do together, one runs at a time, and
// each gets its turn.
func TestRunner_Do(t *testing.T) {
	sa, sb := twoInstances(t)
	var running, overlaps, done atomic.Int32
	var wg sync.WaitGroup
	for i, s := range []lease.Store{sa, sb, sa, sb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &lease.Runner{Store: s, Owner: string(rune('a' + i)), TTL: 2 * time.Second}
			err := r.Do(context.Background(), "startup", func(context.Context) error {
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(20 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if done.Load() != 4 || overlaps.Load() != 0 {
		t.Fatalf("%d of 4 ran, %d overlapping; want 4, none overlapping", done.Load(), overlaps.Load())
	}
}

// TestRunner_WaitAlone: an instance is alone once the others' heartbeats
// have ended or they left.
func TestRunner_WaitAlone(t *testing.T) {
	sa, sb := twoInstances(t)
	ctx := context.Background()
	a := &lease.Runner{Store: sa, Owner: "a", TTL: time.Second}
	sa.Heartbeat(ctx, "a", time.Now().Add(time.Minute))
	sb.Heartbeat(ctx, "b", time.Now().Add(time.Minute))
	if alone, err := a.WaitAlone(ctx, 0); err != nil || alone {
		t.Fatalf("with b live: alone %v, %v; want false", alone, err)
	}
	sb.Heartbeat(ctx, "b", time.Now().Add(300*time.Millisecond)) // b died: its heartbeat ends soon
	if alone, err := a.WaitAlone(ctx, 2*time.Second); err != nil || !alone {
		t.Fatalf("after b's heartbeat ended: alone %v, %v; want true", alone, err)
	}
	sb.Heartbeat(ctx, "b", time.Now().Add(time.Minute))
	sb.Leave(ctx, "b")
	if alone, _ := a.WaitAlone(ctx, 0); !alone {
		t.Fatal("after b left: not alone")
	}
}
