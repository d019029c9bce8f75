package storetest

import (
	"context"
	"testing"
	"time"

	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/notify"
)

// ClientStore is what RunClients tests: the API clients and the outbox's
// per-destination delivery state, which both stores keep together.
type ClientStore interface {
	apiclient.Store
	notify.DeliveryStore
}

// RunClients runs the API client and delivery-state suite; newStore must
// return an empty store each call.
func RunClients(t *testing.T, newStore func(t *testing.T) ClientStore) {
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	t.Run("CreateGetListUpdateTouch", func(t *testing.T) {
		s := newStore(t)
		list, err := s.ListClients(ctx)
		if err != nil || len(list) != 0 {
			t.Fatalf("empty store: got %v, %v; want no clients", list, err)
		}
		b := &apiclient.Client{ID: "01jb0000000000000000000002", Name: "LGSP Cà Mau", Scopes: []apiclient.Scope{apiclient.ScopeStatsRead, apiclient.ScopeWebhooks},
			RateLimit: 120, KeyHash: "aa", CreatedAt: at,
			Webhook: &apiclient.Subscription{URL: "https://lgsp.example/hook", Secret: "s3cret", Events: []string{"report.dispatch"},
				Parties: []string{"agency"}, Agencies: []string{"so-xay-dung"}}}
		a := &apiclient.Client{ID: "01jb0000000000000000000001", Name: "Open311 app", Scopes: []apiclient.Scope{apiclient.ScopeOpen311Write},
			RateLimit: 60, KeyHash: "bb", CreatedAt: at}
		for _, c := range []*apiclient.Client{b, a} {
			if err := s.CreateClient(ctx, c); err != nil {
				t.Fatalf("CreateClient(%s): %v", c.ID, err)
			}
		}
		wantCode(t, s.CreateClient(ctx, a), apperr.ECONFLICT)
		got, err := s.GetClient(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, b)
		list, err = s.ListClients(ctx)
		if err != nil || len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
			t.Fatalf("ListClients: got %+v, %v; want %s then %s", list, err, a.ID, b.ID)
		}
		_, err = s.GetClient(ctx, "01jb0000000000000000000009")
		wantCode(t, err, apperr.ENOTFOUND)

		used := at.Add(time.Minute)
		if err := s.TouchClient(ctx, a.ID, used); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.TouchClient(ctx, "01jb0000000000000000000009", used), apperr.ENOTFOUND)
		rotated, revoked := at.Add(2*time.Minute), at.Add(3*time.Minute)
		a.KeyHash, a.PrevKeyHash, a.PrevKeyUntil, a.RotatedAt, a.RevokedAt = "cc", "bb", at.Add(time.Hour), &rotated, &revoked
		a.Scopes = append(a.Scopes, apiclient.ScopeStatsRead)
		if err := s.UpdateClient(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err = s.GetClient(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		a.LastUsedAt = &used // kept by UpdateClient
		sameJSON(t, got, a)
		wantCode(t, s.UpdateClient(ctx, &apiclient.Client{ID: "01jb0000000000000000000009", CreatedAt: at}), apperr.ENOTFOUND)

		b.Webhook = nil
		if err := s.UpdateClient(ctx, b); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetClient(ctx, b.ID); got == nil || got.Webhook != nil {
			t.Fatalf("after removing the subscription: got %+v, want no webhook", got)
		}
	})
	t.Run("DeliveryState", func(t *testing.T) {
		s := newStore(t)
		dests := []string{"", "client:a", "client:b"}
		done, err := s.DoneDestinations(ctx, "r1#2/reporter", dests)
		if err != nil || len(done) != 0 {
			t.Fatalf("fresh: got %v, %v; want none done", done, err)
		}
		if err := s.MarkDestinationDone(ctx, "r1#2/reporter", "client:a", at, false, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDestinationDone(ctx, "r1#2/reporter", "", at, true, "HTTP 410"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDestinationDone(ctx, "r1#2/reporter", "client:a", at.Add(time.Minute), false, ""); err != nil {
			t.Fatalf("marking twice: %v, want no error", err)
		}
		if err := s.MarkDestinationDone(ctx, "r1#3/reporter", "client:b", at, false, ""); err != nil {
			t.Fatal(err)
		}
		done, err = s.DoneDestinations(ctx, "r1#2/reporter", dests)
		if err != nil || len(done) != 2 || !done[""] || !done["client:a"] || done["client:b"] {
			t.Fatalf("got %v, %v; want \"\" and client:a done, client:b not (its delivery is another notification's)", done, err)
		}
		done, err = s.DoneDestinations(ctx, "r1#2/reporter", nil)
		if err != nil || len(done) != 0 {
			t.Fatalf("no destinations asked: got %v, %v", done, err)
		}
	})
}
