package feedback

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// loadStore is a ReferenceStore whose Load is controlled by the test.
type loadStore struct {
	ReferenceStore
	calls   atomic.Int32
	gate    chan struct{} // when set, each Load waits for a value
	started chan struct{} // when set, each Load says it began
}

func (s *loadStore) Load(ctx context.Context) (*Reference, error) {
	s.calls.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	return &Reference{}, nil
}

func TestReferenceService_Snapshot(t *testing.T) {
	ctx := context.Background()
	t.Run("Cached", func(t *testing.T) {
		st := &loadStore{}
		s := NewReferenceService(st)
		a, _ := s.Snapshot(ctx)
		b, _ := s.Snapshot(ctx)
		if a != b || st.calls.Load() != 1 {
			t.Fatalf("two reads: %d loads, same snapshot %v; want 1 load, the same", st.calls.Load(), a == b)
		}
		s.forget() // a change made here
		if c, _ := s.Snapshot(ctx); c == a || st.calls.Load() != 2 {
			t.Fatalf("after a change: %d loads, new snapshot %v; want 2, a new one", st.calls.Load(), c != a)
		}
	})
	t.Run("ChangeDuringLoad", func(t *testing.T) {
		// A load that began before a change made here must not be kept.
		st := &loadStore{gate: make(chan struct{}), started: make(chan struct{}, 2)}
		s := NewReferenceService(st)
		done := make(chan *Reference)
		go func() { r, _ := s.Snapshot(ctx); done <- r }()
		<-st.started
		s.forget()
		st.gate <- struct{}{}
		old := <-done
		go func() { st.gate <- struct{}{} }()
		if r, _ := s.Snapshot(ctx); r == old || st.calls.Load() != 2 {
			t.Fatalf("after a change during a load: %d loads, kept the old load %v; want a second load", st.calls.Load(), r == old)
		}
	})
	t.Run("ExpiredServedDuringReload", func(t *testing.T) {
		// While one caller reloads an expired snapshot, others read the
		// old one at once instead of waiting for the store.
		st := &loadStore{gate: make(chan struct{}), started: make(chan struct{}, 2)}
		s := NewReferenceService(st)
		old := &Reference{}
		s.cached.Store(&cachedReference{ref: old, loadedAt: time.Now().Add(-time.Hour)})
		reloaded := make(chan *Reference)
		go func() { r, _ := s.Snapshot(ctx); reloaded <- r }()
		<-st.started
		if r, _ := s.Snapshot(ctx); r != old {
			t.Fatal("a read during the reload did not get the old snapshot")
		}
		st.gate <- struct{}{}
		if r := <-reloaded; r == old {
			t.Fatal("the reloading caller got the old snapshot")
		}
		if r, _ := s.Snapshot(ctx); r == old || st.calls.Load() != 1 {
			t.Fatalf("after the reload: %d loads, old snapshot %v; want 1 load and the new one", st.calls.Load(), r == old)
		}
	})
}
