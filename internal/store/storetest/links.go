package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

func testLinks(t *testing.T, s identity.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const iss = "https://id.camau.gov.vn"

	t.Run("UserFields", func(t *testing.T) {
		u := newUser(identity.RoleCitizen, "", "+84911000001")
		u.PhoneVerified, u.TokenGeneration = true, 3
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.PhoneVerified || got.TokenGeneration != 3 {
			t.Fatalf("got phone_verified %v, generation %d; want true, 3", got.PhoneVerified, got.TokenGeneration)
		}
		got.PasswordHash, got.TokenGeneration = "", 4
		if err := s.UpdateUser(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.GetUser(ctx, u.ID)
		if again.TokenGeneration != 4 || again.PasswordHash != "" || !again.PhoneVerified {
			t.Fatalf("after update: got %+v", again)
		}
		plain := newUser(identity.RoleCitizen, "plain@example.vn", "")
		if err := s.CreateUser(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetUser(ctx, plain.ID); got.PhoneVerified || got.TokenGeneration != 0 {
			t.Fatalf("a plain account: got %+v", got)
		}
	})

	t.Run("AddFindListDelete", func(t *testing.T) {
		uid := ids.New()
		a := identity.Link{ID: ids.New(), UserID: uid, Issuer: iss, Subject: "sub-a", CreatedAt: now}
		b := identity.Link{ID: ids.New(), UserID: uid, Issuer: "https://other.example", Subject: "sub-a", CreatedAt: now.Add(time.Second)}
		for _, l := range []identity.Link{a, b} {
			if err := s.AddLink(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		// (issuer, subject) belongs to one account only.
		wantCode(t, s.AddLink(ctx, identity.Link{ID: ids.New(), UserID: ids.New(), Issuer: iss, Subject: "sub-a", CreatedAt: now}), apperr.ECONFLICT)
		got, err := s.FindLink(ctx, iss, "sub-a")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, a)
		_, err = s.FindLink(ctx, iss, "sub-b")
		wantCode(t, err, apperr.ENOTFOUND)
		list, err := s.ListLinks(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, list, []identity.Link{a, b})
		if list, _ := s.ListLinks(ctx, ids.New()); len(list) != 0 {
			t.Fatalf("another user's links: got %v, want none", list)
		}
		// Only the owner deletes a link.
		wantCode(t, s.DeleteLink(ctx, ids.New(), a.ID), apperr.ENOTFOUND)
		if err := s.DeleteLink(ctx, uid, a.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteLink(ctx, uid, a.ID), apperr.ENOTFOUND)
		_, err = s.FindLink(ctx, iss, "sub-a")
		wantCode(t, err, apperr.ENOTFOUND)
		// Once unlinked, the identity may be linked again.
		if err := s.AddLink(ctx, identity.Link{ID: ids.New(), UserID: ids.New(), Issuer: iss, Subject: "sub-a", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RememberToken", func(t *testing.T) {
		key := "sha256:" + ids.New()
		exp := now.Add(time.Hour)
		if err := s.RememberToken(ctx, key, now, exp); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.RememberToken(ctx, key, now.Add(time.Minute), exp), apperr.ECONFLICT)
		// Past its expiry the memory may be replaced (the token itself is
		// expired by then; the key is free for reuse).
		if err := s.RememberToken(ctx, key, exp.Add(time.Second), exp.Add(2*time.Hour)); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		wantCode(t, s.RememberToken(ctx, key, exp.Add(time.Minute), exp.Add(2*time.Hour)), apperr.ECONFLICT)

		old := "jti:" + ids.New()
		if err := s.RememberToken(ctx, old, now, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		n, err := s.ForgetTokensBefore(ctx, now.Add(2*time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("ForgetTokensBefore: got %d, %v; want 1", n, err)
		}
		wantCode(t, s.RememberToken(ctx, key, now, exp), apperr.ECONFLICT) // still remembered

		// Many instances racing to exchange one token: exactly one wins.
		race := "jti:" + ids.New()
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.RememberToken(ctx, race, now, exp)
				mu.Lock()
				defer mu.Unlock()
				switch apperr.CodeOf(err) {
				case "":
					wins++
				case apperr.ECONFLICT:
					conflicts++
				default:
					t.Errorf("racing RememberToken: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 7 {
			t.Fatalf("racing: %d wins, %d conflicts; want 1 and 7", wins, conflicts)
		}
	})

	t.Run("AccountEvents", func(t *testing.T) {
		uid := ids.New()
		var want []identity.AccountEvent
		for i, kind := range []string{identity.EventCreated, identity.EventLinked, identity.EventTakeover} {
			e := identity.AccountEvent{ID: ids.New(), UserID: uid, Kind: kind, At: now.Add(time.Duration(i) * time.Minute), Issuer: iss}
			if err := s.AddAccountEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			want = append([]identity.AccountEvent{e}, want...)
		}
		if err := s.AddAccountEvent(ctx, identity.AccountEvent{ID: ids.New(), UserID: ids.New(), Kind: identity.EventLinked, At: now}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListAccountEvents(ctx, uid, 10)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, want)
		if got, _ := s.ListAccountEvents(ctx, uid, 2); len(got) != 2 || got[0].Kind != identity.EventTakeover {
			t.Fatalf("limit 2: got %+v", got)
		}
	})
}
