package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// touchEvery is how stale LastSeen may get before a request writes it
// again: a write per minute per session, not one per request.
const touchEvery = time.Minute

// sessionStamp fingerprints a password hash, so a session remembers which
// password it was opened with without keeping the hash itself.
func sessionStamp(passwordHash string) string {
	sum := sha256.Sum256([]byte("camaug session stamp\x00" + passwordHash))
	return hex.EncodeToString(sum[:16])
}

// StartSession signs a staff member in to the console: the same credential
// check and brute-force limits as Login (failures count towards the same
// limits), then a new session. Accounts of other roles get EFORBIDDEN, but
// only once their password was right, so the refusal reveals no account.
// The token is returned once; only its hash is stored.
func (s *Service) StartSession(ctx context.Context, login, password, addr string) (token string, sess Session, p Principal, err error) {
	u, err := s.checkLogin(ctx, login, password, addr)
	if err != nil {
		return "", Session{}, Anonymous, err
	}
	if !u.Role.IsStaff() {
		return "", Session{}, Anonymous, apperr.New(apperr.EFORBIDDEN,
			i18n.T("Trang quản trị chỉ dành cho cán bộ", "the console is for staff accounts only"))
	}
	token = randomToken()
	now := s.now().UTC()
	sess = Session{Hash: hashToken(token), UserID: u.ID, CSRF: randomToken(), Stamp: sessionStamp(u.PasswordHash),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.cfg.SessionMax)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, Anonymous, err
	}
	return token, sess, Principal{UserID: u.ID, Role: u.Role, AgencyCode: u.AgencyCode}, nil
}

// ResumeSession turns a console session token into its session and the
// caller. It returns EUNAUTHORIZED for a token that is unknown, past its
// absolute expiry, idle longer than SessionIdle, or whose account is gone,
// disabled, no longer staff or has changed its password since; such a
// session is deleted. The account is read on every call, so role changes
// apply at once. LastSeen is written at most once a minute.
func (s *Service) ResumeSession(ctx context.Context, token string) (Session, Principal, error) {
	if token == "" || len(token) > 200 {
		return Session{}, Anonymous, ErrUnauthenticated()
	}
	sess, err := s.store.GetSession(ctx, hashToken(token))
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return Session{}, Anonymous, ErrUnauthenticated()
	}
	if err != nil {
		return Session{}, Anonymous, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) > s.cfg.SessionIdle {
		return Session{}, Anonymous, s.endDeadSession(ctx, sess.Hash)
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil && apperr.CodeOf(err) != apperr.ENOTFOUND {
		return Session{}, Anonymous, err
	}
	if err != nil || u.Disabled || u.Erased || !u.Role.IsStaff() ||
		subtle.ConstantTimeCompare([]byte(sess.Stamp), []byte(sessionStamp(u.PasswordHash))) != 1 {
		return Session{}, Anonymous, s.endDeadSession(ctx, sess.Hash)
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		err := s.store.TouchSession(ctx, sess.Hash, now.UTC())
		if apperr.CodeOf(err) == apperr.ENOTFOUND { // signed out meanwhile
			return Session{}, Anonymous, ErrUnauthenticated()
		}
		if err != nil {
			return Session{}, Anonymous, err
		}
		sess.LastSeen = now.UTC()
	}
	return sess, Principal{UserID: u.ID, Role: u.Role, AgencyCode: u.AgencyCode}, nil
}

// endDeadSession deletes a session that may no longer be used and returns
// the error its holder gets.
func (s *Service) endDeadSession(ctx context.Context, hash string) error {
	if err := s.store.DeleteSession(ctx, hash); err != nil {
		return err
	}
	return ErrUnauthenticated()
}

// EndSession signs a console session out. Unknown tokens are ignored, so a
// sign-out never tells whether a token existed.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" || len(token) > 200 {
		return nil
	}
	return s.store.DeleteSession(ctx, hashToken(token))
}

// SweepSessions deletes the sessions that have expired or been idle too
// long, and returns how many. ResumeSession refuses them anyway; the sweep
// only keeps the store small.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredSessions(ctx, s.now(), s.cfg.SessionIdle)
}
