package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/lease"
)

// testSupportDuringTransition: a support counted between a transition's
// read of the report and its write survives the write, in the stored
// counter the lists show (not only in a fresh count).
func testSupportDuringTransition(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	r := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	read, err := s.GetReport(ctx, r.ID) // what the officer's change starts from
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.AddSupport(ctx, feedback.Support{ReportID: r.ID, UserID: "u2", CreatedAt: time.Now()}); err != nil || !ok {
		t.Fatalf("AddSupport: %v, %v", ok, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	next := *read
	next.Version, next.Status, next.UpdatedAt = read.Version+1, feedback.StatusDispatched, now
	ev := feedback.Event{ReportID: r.ID, Version: next.Version, Action: feedback.ActDispatch, FromStatus: read.Status,
		ToStatus: next.Status, ActorID: "c1", ActorRole: "coordinator", At: now}
	if err := s.Transition(ctx, &next, ev); err != nil {
		t.Fatal(err)
	}
	// An update from another stale copy (the same version as the change
	// left) keeps the count too.
	edit := next
	edit.Answer = "Đã cử tổ khảo sát"
	if ok, err := s.AddSupport(ctx, feedback.Support{ReportID: r.ID, UserID: "u3", CreatedAt: time.Now()}); err != nil || !ok {
		t.Fatalf("AddSupport: %v, %v", ok, err)
	}
	if err := s.UpdateReport(ctx, &edit); err != nil {
		t.Fatal(err)
	}
	list, err := s.GetReports(ctx, []string{r.ID})
	if err != nil || len(list) != 1 {
		t.Fatalf("GetReports: %v, %v", list, err)
	}
	if got := list[0]; got.SupportCount != 2 || got.Status != feedback.StatusDispatched || got.Answer != "Đã cử tổ khảo sát" || got.Version != 3 {
		t.Fatalf("after a transition and an update racing two supports: support_count %d, status %s, answer %q, version %d; want 2, dispatched, the new answer, 3",
			got.SupportCount, got.Status, got.Answer, got.Version)
	}
}

// testLeases checks the primitives several instances coordinate with.
func testLeases(t *testing.T, s lease.Store) {
	ctx := context.Background()
	ttl := time.Minute
	at := time.Date(2026, 12, 5, 10, 0, 10, 0, time.UTC)

	t.Run("OneHolderPerTerm", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("i%d", i)
				ok, err := s.TryLease(ctx, "job-a", owner, at, ttl)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, owner)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d owners hold one term: %v; want 1", len(winners), winners)
		}
		w := winners[0]
		if ok, err := s.TryLease(ctx, "job-a", w, at.Add(30*time.Second), ttl); err != nil || !ok {
			t.Fatalf("the holder asking again in its term: %v, %v; want true", ok, err)
		}
		other := "someone-else"
		if ok, _ := s.TryLease(ctx, "job-a", other, at.Add(20*time.Second), ttl); ok {
			t.Fatal("another owner took a held term")
		}
		// Another job's lease and the next term are separate.
		if ok, _ := s.TryLease(ctx, "job-b", other, at, ttl); !ok {
			t.Fatal("another lease name: not taken")
		}
		if ok, _ := s.TryLease(ctx, "job-a", other, at.Add(ttl), ttl); !ok {
			t.Fatal("the next term, free: not taken")
		}
		// Release: only by its holder, then anyone may take the term.
		if err := s.ReleaseLease(ctx, "job-a", other, at, ttl); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.TryLease(ctx, "job-a", other, at, ttl); ok {
			t.Fatal("a release by a non-holder freed the term")
		}
		if err := s.ReleaseLease(ctx, "job-a", w, at, ttl); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.TryLease(ctx, "job-a", other, at, ttl); !ok {
			t.Fatal("a released term: not taken")
		}
	})

	t.Run("ClaimOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.ClaimOnce(ctx, "notification/x#1", at)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent claims of one key won, want 1", wins)
		}
		if ok, err := s.ClaimOnce(ctx, "notification/x#2", at); err != nil || !ok {
			t.Fatalf("another key: %v, %v; want true", ok, err)
		}
		if ok, _ := s.ClaimOnce(ctx, "notification/x#3", at.Add(48*time.Hour)); !ok {
			t.Fatal("a third key: not claimed")
		}
		// Sweep forgets the claims made before its time, and only those.
		if n, err := s.Sweep(ctx, at.Add(time.Hour)); err != nil || n != 2 {
			t.Fatalf("Sweep: %d, %v; want the 2 older claims removed", n, err)
		}
		if ok, _ := s.ClaimOnce(ctx, "notification/x#1", at.Add(72*time.Hour)); !ok {
			t.Fatal("a swept key could not be claimed again")
		}
		if ok, _ := s.ClaimOnce(ctx, "notification/x#3", at.Add(72*time.Hour)); ok {
			t.Fatal("a claim newer than the sweep was removed")
		}
	})

	t.Run("Heartbeats", func(t *testing.T) {
		if err := s.Heartbeat(ctx, "a", at.Add(ttl)); err != nil {
			t.Fatal(err)
		}
		if err := s.Heartbeat(ctx, "b", at.Add(ttl/2)); err != nil {
			t.Fatal(err)
		}
		live := func(now time.Time) []string {
			t.Helper()
			l, err := s.LiveInstances(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(l)
			return l
		}
		if got := live(at); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("live: %v, want [a b]", got)
		}
		if got := live(at.Add(ttl * 3 / 4)); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("live after b's heartbeat ended: %v, want [a]", got)
		}
		s.Heartbeat(ctx, "b", at.Add(2*ttl))
		if err := s.Leave(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if got := live(at.Add(ttl * 3 / 4)); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("live after a left and b renewed: %v, want [b]", got)
		}
		s.Heartbeat(ctx, "dead", at.Add(ttl))
		if n, err := s.Sweep(ctx, at.Add(90*time.Second)); err != nil || n != 1 {
			t.Fatalf("Sweep of ended heartbeats: %d, %v; want 1 (dead's)", n, err)
		}
		if got := live(at); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("live after the sweep: %v, want [b]", got)
		}
	})
}
