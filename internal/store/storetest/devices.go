package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

// RunDevices is the push device store's part of the suite; newStore must
// return an empty store each call.
func RunDevices(t *testing.T, newStore func(t *testing.T) identity.DeviceStore) {
	ctx := context.Background()
	at := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)
	dev := func(user, token string, minutes int) identity.Device {
		ts := at.Add(time.Duration(minutes) * time.Minute)
		return identity.Device{ID: ids.New(), UserID: user, Platform: identity.PlatformAndroid, Token: token, Locale: i18n.VI, CreatedAt: ts, UpdatedAt: ts}
	}
	tokens := func(t *testing.T, s identity.DeviceStore, user string) []string {
		t.Helper()
		list, err := s.UserDevices(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, d := range list {
			if d.UserID != user {
				t.Fatalf("UserDevices(%s) returned %s's device", user, d.UserID)
			}
			out = append(out, d.Token)
		}
		return out
	}

	t.Run("RegisterIsIdempotent", func(t *testing.T) {
		s := newStore(t)
		first, isNew, err := s.PutDevice(ctx, dev("u1", "token-a-0000000000", 0), 10)
		if err != nil || !isNew {
			t.Fatalf("first registration: new %v, %v; want new", isNew, err)
		}
		again := dev("u1", "token-a-0000000000", 5)
		again.Platform, again.Locale = identity.PlatformIOS, i18n.EN
		got, isNew, err := s.PutDevice(ctx, again, 10)
		if err != nil || isNew || got.ID != first.ID || !got.CreatedAt.Equal(first.CreatedAt) || !got.UpdatedAt.Equal(again.UpdatedAt) {
			t.Fatalf("again: %+v new %v, %v; want ID %s kept, created %v kept, updated %v", got, isNew, err, first.ID, first.CreatedAt, again.UpdatedAt)
		}
		list, _ := s.UserDevices(ctx, "u1")
		if len(list) != 1 || list[0].ID != first.ID || list[0].Platform != identity.PlatformIOS || list[0].Locale != i18n.EN || !list[0].UpdatedAt.Equal(again.UpdatedAt) {
			t.Fatalf("stored: %+v; want one iOS device in English", list)
		}
	})
	t.Run("TokenMovesToLatestAccount", func(t *testing.T) {
		s := newStore(t)
		s.PutDevice(ctx, dev("u1", "token-shared-00000", 0), 10)
		s.PutDevice(ctx, dev("u1", "token-own-u1-00000", 1), 10)
		_, isNew, err := s.PutDevice(ctx, dev("u2", "token-shared-00000", 2), 10)
		if err != nil || !isNew {
			t.Fatalf("another account registers the token: new %v, %v; want new for it", isNew, err)
		}
		sameJSON(t, tokens(t, s, "u1"), []string{"token-own-u1-00000"})
		sameJSON(t, tokens(t, s, "u2"), []string{"token-shared-00000"})
	})
	t.Run("CapKeepsTheNewest", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 5; i++ {
			if _, _, err := s.PutDevice(ctx, dev("u1", fmt.Sprintf("token-%02d-000000000", i), i), 3); err != nil {
				t.Fatal(err)
			}
		}
		sameJSON(t, tokens(t, s, "u1"), []string{"token-04-000000000", "token-03-000000000", "token-02-000000000"})
		// Registering an old one again makes it the newest.
		s.PutDevice(ctx, dev("u1", "token-02-000000000", 10), 3)
		sameJSON(t, tokens(t, s, "u1"), []string{"token-02-000000000", "token-04-000000000", "token-03-000000000"})
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		a, _, _ := s.PutDevice(ctx, dev("u1", "token-a-0000000000", 0), 10)
		s.PutDevice(ctx, dev("u1", "token-b-0000000000", 1), 10)
		s.PutDevice(ctx, dev("u2", "token-c-0000000000", 2), 10)
		wantCode(t, s.DeleteDevice(ctx, "u2", a.ID), apperr.ENOTFOUND) // not u2's
		wantCode(t, s.DeleteDevice(ctx, "u2", "token-a-0000000000"), apperr.ENOTFOUND)
		if err := s.DeleteDevice(ctx, "u1", a.ID); err != nil {
			t.Fatalf("delete by ID: %v", err)
		}
		if err := s.DeleteDevice(ctx, "u1", "token-b-0000000000"); err != nil {
			t.Fatalf("delete by token: %v", err)
		}
		wantCode(t, s.DeleteDevice(ctx, "u1", "token-b-0000000000"), apperr.ENOTFOUND)
		sameJSON(t, tokens(t, s, "u1"), []string{})
		if err := s.DropDeviceToken(ctx, "token-c-0000000000"); err != nil {
			t.Fatal(err)
		}
		if err := s.DropDeviceToken(ctx, "token-c-0000000000"); err != nil {
			t.Fatalf("dropping a missing token: %v", err)
		}
		sameJSON(t, tokens(t, s, "u2"), []string{})
		s.PutDevice(ctx, dev("u3", "token-d-0000000000", 0), 10)
		s.PutDevice(ctx, dev("u3", "token-e-0000000000", 1), 10)
		if err := s.DeleteUserDevices(ctx, "u3"); err != nil {
			t.Fatal(err)
		}
		sameJSON(t, tokens(t, s, "u3"), []string{})
	})
	t.Run("ConcurrentRegistrations", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = s.PutDevice(ctx, dev("u1", "token-race-0000000", i), 10)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent registration: %v", err)
			}
		}
		if got := tokens(t, s, "u1"); len(got) != 1 {
			t.Fatalf("one token registered at once 6 times: %d devices, want 1", len(got))
		}
	})
}
