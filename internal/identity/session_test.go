package identity_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
)

// sessionEnv is an identity service over a real SQLite store, with a clock
// the test moves.
type sessionEnv struct {
	svc   *identity.Service
	store identity.Store
	now   time.Time
	admin identity.Principal
}

func newSessionEnv(t *testing.T) *sessionEnv {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := identity.NewKeyring(ctx, db.Identity(), []byte("test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	env := &sessionEnv{store: db.Identity(), now: time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)}
	env.svc = identity.NewService(db.Identity(), keys, identity.Config{Now: func() time.Time { return env.now }})
	a := env.addStaff(t, identity.RoleAdmin, "admin@camau.gov.vn", "")
	env.admin = identity.Principal{UserID: a.ID, Role: a.Role}
	return env
}

const staffPassword = "mat-khau-an-toan"

func (env *sessionEnv) addStaff(t *testing.T, role identity.Role, email, agency string) *identity.User {
	t.Helper()
	u, err := env.svc.AddStaff(context.Background(), identity.StaffInput{Role: role, Email: email, Name: "Cán bộ",
		Password: staffPassword, AgencyCode: agency})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn starts a session for a staff account or fails the test.
func (env *sessionEnv) signIn(t *testing.T, login string) string {
	t.Helper()
	token, _, _, err := env.svc.StartSession(context.Background(), login, staffPassword, "10.0.0.7")
	if err != nil {
		t.Fatalf("StartSession(%s): %v", login, err)
	}
	return token
}

func (env *sessionEnv) wantSignedOut(t *testing.T, token string) {
	t.Helper()
	_, p, err := env.svc.ResumeSession(context.Background(), token)
	wantCode(t, err, apperr.EUNAUTHORIZED)
	if !p.IsAnonymous() {
		t.Fatalf("a refused session gave principal %+v", p)
	}
}

func (env *sessionEnv) wantSignedIn(t *testing.T, token string) (identity.Session, identity.Principal) {
	t.Helper()
	s, p, err := env.svc.ResumeSession(context.Background(), token)
	if err != nil {
		t.Fatalf("ResumeSession: %v, want the session", err)
	}
	return s, p
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("got error %v (code %q), want code %s", err, got, code)
	}
}

func TestStartSession(t *testing.T) {
	ctx := context.Background()
	t.Run("Staff", func(t *testing.T) {
		env := newSessionEnv(t)
		off := env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
		token, sess, p, err := env.svc.StartSession(ctx, "CanBo@camau.gov.vn", staffPassword, "10.0.0.7")
		if err != nil {
			t.Fatal(err)
		}
		if p != (identity.Principal{UserID: off.ID, Role: identity.RoleOfficer, AgencyCode: "so-xay-dung"}) {
			t.Fatalf("principal %+v, want the officer", p)
		}
		if len(token) != 43 || len(sess.CSRF) != 43 || sess.CSRF == token {
			t.Fatalf("token %q, csrf %q: want two different 32-byte base64url values", token, sess.CSRF)
		}
		sum := sha256.Sum256([]byte(token))
		stored, err := env.store.GetSession(ctx, hex.EncodeToString(sum[:]))
		if err != nil {
			t.Fatalf("the session is not stored under the token's hash: %v", err)
		}
		if stored.UserID != off.ID || stored.CSRF != sess.CSRF || !stored.ExpiresAt.Equal(env.now.Add(12*time.Hour)) {
			t.Fatalf("stored %+v", stored)
		}
		got, gotP := env.wantSignedIn(t, token)
		if got.CSRF != sess.CSRF || gotP != p {
			t.Fatalf("resumed %+v as %+v, want %+v as %+v", got, gotP, sess, p)
		}
	})
	t.Run("CitizenRefusedOnlyAfterTheRightPassword", func(t *testing.T) {
		env := newSessionEnv(t)
		if _, _, err := env.svc.Register(ctx, identity.Anonymous, identity.RegisterInput{Email: "dan@example.vn", Password: "cong-dan-2026", Name: "Dân"}); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := env.svc.StartSession(ctx, "dan@example.vn", "sai-mat-khau", "10.0.0.7")
		wantCode(t, err, apperr.EUNAUTHORIZED)
		_, _, _, err = env.svc.StartSession(ctx, "nobody@example.vn", "sai-mat-khau", "10.0.0.7")
		wantCode(t, err, apperr.EUNAUTHORIZED)
		token, _, p, err := env.svc.StartSession(ctx, "dan@example.vn", "cong-dan-2026", "10.0.0.7")
		wantCode(t, err, apperr.EFORBIDDEN)
		if token != "" || !p.IsAnonymous() {
			t.Fatalf("a refused citizen got token %q, principal %+v", token, p)
		}
		if msg := err.(*apperr.Error).Message; msg.Vi != "Trang quản trị chỉ dành cho cán bộ" || msg.En != "the console is for staff accounts only" {
			t.Fatalf("message %+v", msg)
		}
	})
	t.Run("LimitSharedWithLogin", func(t *testing.T) {
		env := newSessionEnv(t)
		env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
		for i := 0; i < 5; i++ {
			var err error
			if i%2 == 0 {
				_, _, _, err = env.svc.StartSession(ctx, "canbo@camau.gov.vn", "sai-mat-khau", "10.0.0.7")
			} else {
				_, err = env.svc.Login(ctx, "canbo@camau.gov.vn", "sai-mat-khau", "10.0.0.7")
			}
			wantCode(t, err, apperr.EUNAUTHORIZED)
		}
		_, _, _, err := env.svc.StartSession(ctx, "canbo@camau.gov.vn", staffPassword, "10.0.0.7")
		wantCode(t, err, apperr.ETOOMANY)
		if err.(*apperr.Error).RetryAfter <= 0 {
			t.Fatal("ETOOMANY without RetryAfter")
		}
		// Failing on purpose from one address does not lock the account:
		// the right password from another address still works.
		if _, err = env.svc.Login(ctx, "canbo@camau.gov.vn", staffPassword, "10.0.0.8"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		env.now = env.now.Add(16 * time.Minute)
		env.signIn(t, "canbo@camau.gov.vn")
	})
	t.Run("DisabledAccount", func(t *testing.T) {
		env := newSessionEnv(t)
		off := env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
		disabled := true
		if _, err := env.svc.UpdateStaff(ctx, env.admin, off.ID, identity.StaffUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		_, _, _, err := env.svc.StartSession(ctx, "canbo@camau.gov.vn", staffPassword, "10.0.0.7")
		wantCode(t, err, apperr.EUNAUTHORIZED)
	})
}

func TestResumeSession(t *testing.T) {
	ctx := context.Background()
	t.Run("BadTokens", func(t *testing.T) {
		env := newSessionEnv(t)
		for _, tok := range []string{"", "unknown", string(make([]byte, 201))} {
			env.wantSignedOut(t, tok)
		}
	})
	t.Run("IdleExpiry", func(t *testing.T) {
		env := newSessionEnv(t)
		token := env.signIn(t, "admin@camau.gov.vn")
		start := env.now
		env.now = start.Add(30 * time.Second)
		if s, _ := env.wantSignedIn(t, token); !s.LastSeen.Equal(start) {
			t.Fatalf("last seen %v after 30 s, want %v: written more than once a minute", s.LastSeen, start)
		}
		env.now = start.Add(29 * time.Minute)
		if s, _ := env.wantSignedIn(t, token); !s.LastSeen.Equal(env.now) {
			t.Fatalf("last seen %v, want %v", s.LastSeen, env.now)
		}
		env.now = env.now.Add(30 * time.Minute) // exactly the idle limit since the last request
		env.wantSignedIn(t, token)
		env.now = env.now.Add(30*time.Minute + time.Second)
		env.wantSignedOut(t, token)
		env.now = env.now.Add(-time.Hour) // the refused session is gone, not just refused
		env.wantSignedOut(t, token)
	})
	t.Run("AbsoluteExpiry", func(t *testing.T) {
		env := newSessionEnv(t)
		token := env.signIn(t, "admin@camau.gov.vn")
		end := env.now.Add(12 * time.Hour)
		for env.now.Add(20 * time.Minute).Before(end) {
			env.now = env.now.Add(20 * time.Minute)
			env.wantSignedIn(t, token)
		}
		env.now = end
		env.wantSignedOut(t, token)
	})
	t.Run("DisabledAccount", func(t *testing.T) {
		env := newSessionEnv(t)
		off := env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
		token := env.signIn(t, "canbo@camau.gov.vn")
		disabled := true
		if _, err := env.svc.UpdateStaff(ctx, env.admin, off.ID, identity.StaffUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token)
		// Even a session the store still holds ends once its account is disabled.
		token = env.signIn(t, "admin@camau.gov.vn")
		u, _ := env.store.GetUser(ctx, env.admin.UserID)
		u.Disabled = true
		if err := env.store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token)
	})
	t.Run("RoleChangeAppliesAtOnce", func(t *testing.T) {
		env := newSessionEnv(t)
		off := env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
		token := env.signIn(t, "canbo@camau.gov.vn")
		role := identity.RoleCoordinator
		if _, err := env.svc.UpdateStaff(ctx, env.admin, off.ID, identity.StaffUpdate{Role: &role}); err != nil {
			t.Fatal(err)
		}
		if _, p := env.wantSignedIn(t, token); p.Role != identity.RoleCoordinator || p.AgencyCode != "" {
			t.Fatalf("principal %+v, want a coordinator without agency", p)
		}
		// An account that is no longer staff keeps no console session.
		u, _ := env.store.GetUser(ctx, off.ID)
		u.Role = identity.RoleCitizen
		if err := env.store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token)
	})
	t.Run("PasswordChange", func(t *testing.T) {
		env := newSessionEnv(t)
		token := env.signIn(t, "admin@camau.gov.vn")
		if err := env.svc.ChangePassword(ctx, env.admin, staffPassword, "mat-khau-moi-2026", "10.0.0.7"); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token)
		// The stamp alone ends a session whose password hash changed.
		token2, _, _, err := env.svc.StartSession(ctx, "admin@camau.gov.vn", "mat-khau-moi-2026", "10.0.0.7")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := env.store.GetUser(ctx, env.admin.UserID)
		u.PasswordHash = identity.HashPassword("doi-thang-trong-kho")
		if err := env.store.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token2)
	})
	t.Run("DeleteMe", func(t *testing.T) {
		env := newSessionEnv(t)
		env.addStaff(t, identity.RoleAdmin, "admin2@camau.gov.vn", "")
		token := env.signIn(t, "admin@camau.gov.vn")
		if err := env.svc.DeleteMe(ctx, env.admin); err != nil {
			t.Fatal(err)
		}
		env.wantSignedOut(t, token)
	})
}

func TestEndSession(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t)
	token := env.signIn(t, "admin@camau.gov.vn")
	other := env.signIn(t, "admin@camau.gov.vn")
	if err := env.svc.EndSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	env.wantSignedOut(t, token)
	env.wantSignedIn(t, other)
	for _, tok := range []string{token, "never-issued", ""} {
		if err := env.svc.EndSession(ctx, tok); err != nil {
			t.Fatalf("EndSession(%q): %v, want nil", tok, err)
		}
	}
}

func TestSweepSessions(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t)
	idle := env.signIn(t, "admin@camau.gov.vn")
	env.now = env.now.Add(20 * time.Minute)
	busy := env.signIn(t, "admin@camau.gov.vn")
	env.now = env.now.Add(15 * time.Minute)
	n, err := env.svc.SweepSessions(ctx)
	if err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want the idle session only", n, err)
	}
	env.wantSignedIn(t, busy)
	env.now = env.now.Add(-30 * time.Minute) // the swept session stays gone
	env.wantSignedOut(t, idle)
}

func TestResetPassword(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t)
	off := env.addStaff(t, identity.RoleOfficer, "canbo@camau.gov.vn", "so-xay-dung")
	otherOff := env.addStaff(t, identity.RoleOfficer, "canbo@soyte.camau.gov.vn", "so-y-te")
	aa := env.addStaff(t, identity.RoleAgencyAdmin, "truongphong@camau.gov.vn", "so-xay-dung")
	agencyAdmin := identity.Principal{UserID: aa.ID, Role: aa.Role, AgencyCode: aa.AgencyCode}
	citizen, _, err := env.svc.Register(ctx, identity.Anonymous, identity.RegisterInput{Email: "dan@example.vn", Password: "cong-dan-2026", Name: "Dân"})
	if err != nil {
		t.Fatal(err)
	}

	token := env.signIn(t, "canbo@camau.gov.vn")
	refresh, err := env.svc.Login(ctx, "canbo@camau.gov.vn", staffPassword, "10.0.0.7")
	if err != nil {
		t.Fatal(err)
	}
	temp, err := env.svc.ResetPassword(ctx, env.admin, off.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(temp) < 16 {
		t.Fatalf("temporary password %q, want at least 16 characters", temp)
	}
	env.wantSignedOut(t, token)
	_, err = env.svc.Refresh(ctx, refresh.RefreshToken)
	wantCode(t, err, apperr.EUNAUTHORIZED)
	_, _, _, err = env.svc.StartSession(ctx, "canbo@camau.gov.vn", staffPassword, "10.0.0.7")
	wantCode(t, err, apperr.EUNAUTHORIZED)
	if _, _, _, err := env.svc.StartSession(ctx, "canbo@camau.gov.vn", temp, "10.0.0.7"); err != nil {
		t.Fatalf("the temporary password does not sign in: %v", err)
	}

	// An agency admin resets its own officers only.
	temp2, err := env.svc.ResetPassword(ctx, agencyAdmin, off.ID)
	if err != nil || temp2 == temp {
		t.Fatalf("agency admin on its officer: %q, %v; want a new password", temp2, err)
	}
	_, err = env.svc.ResetPassword(ctx, agencyAdmin, otherOff.ID)
	wantCode(t, err, apperr.ENOTFOUND)
	_, err = env.svc.ResetPassword(ctx, agencyAdmin, env.admin.UserID)
	wantCode(t, err, apperr.ENOTFOUND)
	// Citizens change their own password; nobody resets it.
	_, err = env.svc.ResetPassword(ctx, env.admin, citizen.ID)
	wantCode(t, err, apperr.EFORBIDDEN)
	_, err = env.svc.ResetPassword(ctx, identity.Principal{UserID: off.ID, Role: identity.RoleOfficer, AgencyCode: "so-xay-dung"}, off.ID)
	wantCode(t, err, apperr.EFORBIDDEN)
	_, err = env.svc.ResetPassword(ctx, identity.Anonymous, off.ID)
	wantCode(t, err, apperr.EUNAUTHORIZED)
	_, err = env.svc.ResetPassword(ctx, env.admin, "01JNOSUCHACCOUNT000000000")
	wantCode(t, err, apperr.ENOTFOUND)
}

// TestSweepAttempts: the sweep removes rate-limit windows that have ended
// (a Limit key and a sign-in count) and keeps the live ones, so a limit
// still holds right after a sweep.
func TestSweepAttempts(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t)
	if err := env.svc.Limit(ctx, "register:198.51.100.1", 1, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := env.svc.Login(ctx, "admin@camau.gov.vn", "sai-mat-khau", "198.51.100.1"); apperr.CodeOf(err) != apperr.EUNAUTHORIZED {
		t.Fatalf("wrong password: got %v, want EUNAUTHORIZED", err)
	}
	env.now = env.now.Add(3 * time.Hour)
	if err := env.svc.Limit(ctx, "register:198.51.100.2", 1, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	n, err := env.svc.SweepAttempts(ctx)
	if err != nil || n != 4 {
		t.Fatalf("swept %d, %v; want the 4 ended windows (register; sign-in pair, address and account failures)", n, err)
	}
	// The live window is kept: a second registration from that address is
	// still over its limit of 1.
	if err := env.svc.Limit(ctx, "register:198.51.100.2", 1, 15*time.Minute); apperr.CodeOf(err) != apperr.ETOOMANY {
		t.Fatalf("after the sweep: got %v, want ETOOMANY from the kept window", err)
	}
	if n, err := env.svc.SweepAttempts(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep: got %d, %v; want 0", n, err)
	}
}
