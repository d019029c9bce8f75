package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

func runIdentity(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("Users", func(t *testing.T) { testUsers(t, newStores(t).Identity) })
	t.Run("UserList", func(t *testing.T) { testUserList(t, newStores(t).Identity) })
	t.Run("RefreshTokens", func(t *testing.T) { testRefreshTokens(t, newStores(t).Identity) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, newStores(t).Identity) })
	t.Run("LoginAttempts", func(t *testing.T) { testAttempts(t, newStores(t).Identity) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStores(t).Identity) })
	t.Run("Links", func(t *testing.T) { testLinks(t, newStores(t).Identity) })
	t.Run("GroupMappings", func(t *testing.T) { testGroupMappings(t, newStores(t).Identity) }) // oidc.go
	t.Run("VerifiedACRs", func(t *testing.T) { testVerifiedACRs(t, newStores(t).Identity) })
	t.Run("StaffLinks", func(t *testing.T) { testStaffLinks(t, newStores(t).Identity) })
}

func newUser(role identity.Role, email, phone string) *identity.User {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &identity.User{ID: ids.New(), Role: role, Name: "Nguyễn Văn An", Email: email, Phone: phone, Locale: i18n.VI,
		PasswordHash: "$argon2id$x", CreatedAt: now, UpdatedAt: now}
}

func testUsers(t *testing.T, s identity.Store) {
	ctx := context.Background()
	a := newUser(identity.RoleCitizen, "an@example.vn", "+84912345678")
	if err := s.CreateUser(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Version != 1 {
		t.Fatalf("new user version %d, want 1", a.Version)
	}
	got, err := s.GetUser(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, a)
	for _, l := range []identity.LoginKey{{Email: "an@example.vn"}, {Phone: "+84912345678"}} {
		got, err := s.FindUser(ctx, l)
		if err != nil || got.ID != a.ID {
			t.Fatalf("FindUser(%+v): got %v, %v; want %s", l, got, err, a.ID)
		}
	}
	_, err = s.FindUser(ctx, identity.LoginKey{Email: "nobody@example.vn"})
	wantCode(t, err, apperr.ENOTFOUND)
	_, err = s.GetUser(ctx, ids.New())
	wantCode(t, err, apperr.ENOTFOUND)

	// Logins are unique when set; unset logins never collide.
	wantCode(t, s.CreateUser(ctx, newUser(identity.RoleCitizen, "an@example.vn", "")), apperr.ECONFLICT)
	wantCode(t, s.CreateUser(ctx, newUser(identity.RoleCitizen, "", "+84912345678")), apperr.ECONFLICT)
	for i := 0; i < 3; i++ {
		g := newUser(identity.RoleGuest, "", "")
		g.DeviceHash = ids.New()
		if err := s.CreateUser(ctx, g); err != nil {
			t.Fatalf("guest %d without email or phone: %v", i, err)
		}
	}
	dev := newUser(identity.RoleGuest, "", "")
	dev.DeviceHash = "device-1"
	if err := s.CreateUser(ctx, dev); err != nil {
		t.Fatal(err)
	}
	dup := newUser(identity.RoleGuest, "", "")
	dup.DeviceHash = "device-1"
	wantCode(t, s.CreateUser(ctx, dup), apperr.ECONFLICT)
	if got, err := s.FindUser(ctx, identity.LoginKey{DeviceHash: "device-1"}); err != nil || got.ID != dev.ID {
		t.Fatalf("FindUser(device): got %v, %v", got, err)
	}
	// A guest's secret hash is kept, changed and cleared like any field;
	// a guest made without one (as before secrets existed) reads empty.
	sec := newUser(identity.RoleGuest, "", "")
	sec.DeviceHash, sec.GuestSecretHash = "device-2", "secret-hash-2"
	if err := s.CreateUser(ctx, sec); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindUser(ctx, identity.LoginKey{DeviceHash: "device-2"}); err != nil || got.GuestSecretHash != "secret-hash-2" {
		t.Fatalf("guest secret hash: got %+v, %v; want secret-hash-2", got, err)
	}
	if got, _ := s.GetUser(ctx, dev.ID); got.GuestSecretHash != "" {
		t.Fatalf("guest without a secret: got hash %q, want empty", got.GuestSecretHash)
	}
	sec.GuestSecretHash = ""
	if err := s.UpdateUser(ctx, sec); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, sec.ID); got.GuestSecretHash != "" {
		t.Fatalf("cleared guest secret hash: got %q, want empty", got.GuestSecretHash)
	}
	dev.GuestSecretHash = "secret-hash-1"
	if err := s.UpdateUser(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, dev.ID); got.GuestSecretHash != "secret-hash-1" {
		t.Fatalf("guest secret hash set by an update: got %q, want secret-hash-1", got.GuestSecretHash)
	}

	// Compare-and-swap updates.
	stale := *a
	a.Name = "Trần Thị Bình"
	if err := s.UpdateUser(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Version != 2 {
		t.Fatalf("version after update %d, want 2", a.Version)
	}
	stale.Name = "lost update"
	wantCode(t, s.UpdateUser(ctx, &stale), apperr.ECONFLICT)
	got, _ = s.GetUser(ctx, a.ID)
	if got.Name != "Trần Thị Bình" {
		t.Fatalf("a stale update overwrote the name: %q", got.Name)
	}
	// Freeing a login lets another account take it; taking a used one fails.
	b := newUser(identity.RoleCitizen, "binh@example.vn", "")
	if err := s.CreateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Email = "an@example.vn"
	wantCode(t, s.UpdateUser(ctx, b), apperr.ECONFLICT)
	b.Email = "binh@example.vn"
	a.Email, a.Phone = "", ""
	if err := s.UpdateUser(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := newUser(identity.RoleCitizen, "an@example.vn", "+84912345678")
	if err := s.CreateUser(ctx, c); err != nil {
		t.Fatalf("login freed by an update is still taken: %v", err)
	}
	missing := newUser(identity.RoleCitizen, "", "")
	wantCode(t, s.UpdateUser(ctx, missing), apperr.ENOTFOUND)

	// Admin count.
	n, err := s.CountActiveAdmins(ctx)
	if err != nil || n != 0 {
		t.Fatalf("admins: got %d, %v; want 0", n, err)
	}
	adm := newUser(identity.RoleAdmin, "admin@camau.gov.vn", "")
	s.CreateUser(ctx, adm)
	off := newUser(identity.RoleAdmin, "admin2@camau.gov.vn", "")
	off.Disabled = true
	s.CreateUser(ctx, off)
	if n, _ := s.CountActiveAdmins(ctx); n != 1 {
		t.Fatalf("admins: got %d, want 1 (one is disabled)", n)
	}
}

func testUserList(t *testing.T, s identity.Store) {
	ctx := context.Background()
	var officers []string
	for i := 0; i < 7; i++ {
		u := newUser(identity.RoleOfficer, "", "")
		u.Email = ids.New() + "@camau.gov.vn"
		u.AgencyCode = "so-xay-dung"
		if i%2 == 1 {
			u.AgencyCode = "so-y-te"
		} else {
			officers = append(officers, u.ID)
		}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // IDs order by millisecond
	}
	s.CreateUser(ctx, newUser(identity.RoleCitizen, "x@example.vn", ""))
	var got []string
	after := ""
	for page := 0; page < 10; page++ {
		list, err := s.ListUsers(ctx, identity.UserFilter{Role: identity.RoleOfficer, AgencyCode: "so-xay-dung", After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range list {
			got = append(got, u.ID)
		}
		if len(list) < 3 {
			break
		}
		after = list[len(list)-1].ID
	}
	sameJSON(t, got, officers)
	all, _ := s.ListUsers(ctx, identity.UserFilter{Limit: 100})
	if len(all) != 8 {
		t.Fatalf("unfiltered list: got %d, want 8", len(all))
	}
}

func testRefreshTokens(t *testing.T, s identity.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tok := identity.RefreshToken{Hash: "h1", FamilyID: "f1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.AddRefreshToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	s.AddRefreshToken(ctx, identity.RefreshToken{Hash: "h2", FamilyID: "f1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	s.AddRefreshToken(ctx, identity.RefreshToken{Hash: "h3", FamilyID: "f2", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	s.AddRefreshToken(ctx, identity.RefreshToken{Hash: "h4", FamilyID: "f3", UserID: "u2", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})

	got, err := s.UseRefreshToken(ctx, "h1")
	if err != nil || got.FamilyID != "f1" || got.UserID != "u1" || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("first use: got %+v, %v", got, err)
	}
	got, err = s.UseRefreshToken(ctx, "h1")
	wantCode(t, err, apperr.ECONFLICT)
	if got.FamilyID != "f1" {
		t.Fatalf("reuse must return the token's family, got %q", got.FamilyID)
	}
	_, err = s.UseRefreshToken(ctx, "nope")
	wantCode(t, err, apperr.ENOTFOUND)

	if err := s.RevokeFamily(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UseRefreshToken(ctx, "h2")
	wantCode(t, err, apperr.ECONFLICT)
	if err := s.RevokeUserTokens(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UseRefreshToken(ctx, "h3")
	wantCode(t, err, apperr.ECONFLICT)
	if _, err := s.UseRefreshToken(ctx, "h4"); err != nil {
		t.Fatalf("another user's token was revoked: %v", err)
	}

	// Of many concurrent uses of one token, exactly one wins.
	s.AddRefreshToken(ctx, identity.RefreshToken{Hash: "race", FamilyID: "f9", UserID: "u9", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UseRefreshToken(ctx, "race"); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses succeeded, want exactly 1", wins)
	}
}

func testSigningKeys(t *testing.T, s identity.Store) {
	ctx := context.Background()
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("new store: got %d keys, %v", len(keys), err)
	}
	base := time.Now().UTC().Truncate(time.Millisecond)
	for i, kid := range []string{"k1", "k2"} {
		if err := s.AddSigningKey(ctx, identity.SigningKey{KID: kid, Public: []byte{byte(i), 2, 3}, SealedPrivate: []byte{9, 8, byte(i)},
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ = s.SigningKeys(ctx)
	if len(keys) != 2 || keys[0].KID != "k2" || keys[1].KID != "k1" || keys[0].SealedPrivate[2] != 1 {
		t.Fatalf("got %+v, want k2 then k1 with their bytes", keys)
	}
}

func testAttempts(t *testing.T, s identity.Store) {
	ctx := context.Background()
	w := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.HitAttempt(ctx, "acct:email:an@example.vn", w); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, err := s.AttemptCount(ctx, "acct:email:an@example.vn", w); err != nil || n != 20 {
		t.Fatalf("after 20 concurrent hits: got %d, %v; want 20", n, err)
	}
	if n, _ := s.HitAttempt(ctx, "acct:email:an@example.vn", w.Add(15*time.Minute)); n != 1 {
		t.Fatalf("a new window: got %d, want 1", n)
	}
	if n, _ := s.AttemptCount(ctx, "addr:10.0.0.1", w); n != 0 {
		t.Fatalf("another key: got %d, want 0", n)
	}
	if err := s.ClearAttempts(ctx, "acct:email:an@example.vn"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.AttemptCount(ctx, "acct:email:an@example.vn", w); n != 0 {
		t.Fatalf("after clear: got %d, want 0", n)
	}

	t.Run("DeleteAttemptsBefore", func(t *testing.T) {
		old, live := w.Add(-time.Hour), w
		for _, hit := range []struct {
			key    string
			window time.Time
		}{{"rate:register:198.51.100.1", old}, {"rate:register:198.51.100.1", old}, {"addr:198.51.100.2", old},
			{"rate:register:198.51.100.1", live}, {"addr:198.51.100.3", live}} {
			if _, err := s.HitAttempt(ctx, hit.key, hit.window); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteAttemptsBefore(ctx, w)
		if err != nil || n != 2 {
			t.Fatalf("got %d, %v; want the 2 ended windows removed", n, err)
		}
		if n, _ := s.AttemptCount(ctx, "rate:register:198.51.100.1", old); n != 0 {
			t.Fatalf("ended window: got count %d, want 0", n)
		}
		if n, _ := s.AttemptCount(ctx, "rate:register:198.51.100.1", live); n != 1 {
			t.Fatalf("live window: got count %d, want 1 kept", n)
		}
		if n, _ := s.AttemptCount(ctx, "addr:198.51.100.3", live); n != 1 {
			t.Fatalf("live window of another key: got count %d, want 1 kept", n)
		}
		if n, err := s.DeleteAttemptsBefore(ctx, w); err != nil || n != 0 {
			t.Fatalf("second sweep: got %d, %v; want 0", n, err)
		}
	})
}

func testSessions(t *testing.T, s identity.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	mk := func(hash, user string, seen, expires time.Time) identity.Session {
		return identity.Session{Hash: hash, UserID: user, CSRF: "csrf-" + hash, Stamp: "stamp-" + user,
			CreatedAt: now.Add(-time.Hour), LastSeen: seen, ExpiresAt: expires}
	}
	a := mk("a", "u1", now, now.Add(12*time.Hour))
	for _, ss := range []identity.Session{a,
		mk("b", "u1", now, now.Add(12*time.Hour)),
		mk("c", "u2", now, now.Add(12*time.Hour)),
	} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetSession(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "u1" || got.CSRF != "csrf-a" || got.Stamp != "stamp-u1" || !got.CreatedAt.Equal(a.CreatedAt) ||
		!got.LastSeen.Equal(a.LastSeen) || !got.ExpiresAt.Equal(a.ExpiresAt) {
		t.Fatalf("got %+v, want %+v", got, a)
	}
	_, err = s.GetSession(ctx, "nope")
	wantCode(t, err, apperr.ENOTFOUND)

	t.Run("Touch", func(t *testing.T) {
		later := now.Add(5 * time.Minute)
		if err := s.TouchSession(ctx, "a", later); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetSession(ctx, "a"); !got.LastSeen.Equal(later) || !got.ExpiresAt.Equal(a.ExpiresAt) {
			t.Fatalf("after touch: last seen %v, expires %v; want %v, %v", got.LastSeen, got.ExpiresAt, later, a.ExpiresAt)
		}
		wantCode(t, s.TouchSession(ctx, "nope", later), apperr.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		if err := s.DeleteSession(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetSession(ctx, "b")
		wantCode(t, err, apperr.ENOTFOUND)
		if err := s.DeleteSession(ctx, "b"); err != nil {
			t.Fatalf("deleting a missing session: %v, want no error", err)
		}
	})
	t.Run("DeleteUserSessions", func(t *testing.T) {
		s.CreateSession(ctx, mk("d", "u3", now, now.Add(time.Hour)))
		s.CreateSession(ctx, mk("e", "u3", now, now.Add(time.Hour)))
		if err := s.DeleteUserSessions(ctx, "u3"); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"d", "e"} {
			_, err := s.GetSession(ctx, h)
			wantCode(t, err, apperr.ENOTFOUND)
		}
		if _, err := s.GetSession(ctx, "c"); err != nil {
			t.Fatalf("another user's session was deleted: %v", err)
		}
	})
	t.Run("DeleteExpired", func(t *testing.T) {
		idle := 30 * time.Minute
		s.CreateSession(ctx, mk("expired", "u4", now, now))                                    // at its absolute expiry
		s.CreateSession(ctx, mk("idle", "u4", now.Add(-idle-time.Second), now.Add(time.Hour))) // idle too long
		s.CreateSession(ctx, mk("edge", "u4", now.Add(-idle), now.Add(time.Millisecond)))      // idle exactly the limit
		n, err := s.DeleteExpiredSessions(ctx, now, idle)
		if err != nil || n != 2 {
			t.Fatalf("swept %d, %v; want 2", n, err)
		}
		for _, h := range []string{"expired", "idle"} {
			_, err := s.GetSession(ctx, h)
			wantCode(t, err, apperr.ENOTFOUND)
		}
		for _, h := range []string{"a", "c", "edge"} {
			if _, err := s.GetSession(ctx, h); err != nil {
				t.Fatalf("live session %s swept: %v", h, err)
			}
		}
	})
}
