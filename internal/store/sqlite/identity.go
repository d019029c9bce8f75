package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// IdentityStore implements identity.Store.
type IdentityStore struct{ db *DB }

var _ identity.Store = (*IdentityStore)(nil)

// Identity returns the identity store.
func (db *DB) Identity() identity.Store { return &IdentityStore{db: db} }

const userColumns = `id, role, name, email, phone, device_hash, agency_code, locale, password_hash, disabled, erased, version, created_at, updated_at, guest_secret_hash, phone_verified, token_generation`

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// tsLayout is fixed-width UTC, so stored times compare correctly as text
// (RFC3339Nano drops trailing zeros: "…:00Z" would sort after "…:00.5Z").
const tsLayout = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

// parseTS reads a time the store wrote (tsLayout) without time.Parse's
// generality, which cost more than any other column of a report row; any
// other shape (older rows, hand-edited data) goes through time.Parse.
func parseTS(s string) time.Time {
	if len(s) == len(tsLayout) && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[29] == 'Z' {
		num := func(from, to int) (int, bool) {
			n := 0
			for i := from; i < to; i++ {
				c := s[i]
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		y, ok1 := num(0, 4)
		mo, ok2 := num(5, 7)
		d, ok3 := num(8, 10)
		h, ok4 := num(11, 13)
		mi, ok5 := num(14, 16)
		sec, ok6 := num(17, 19)
		ns, ok7 := num(20, 29)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60 {
			if t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC); t.Day() == d {
				return t
			}
		}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*identity.User, error) {
	var u identity.User
	var email, phone, device sql.NullString
	var locale, created, updated string
	err := row.Scan(&u.ID, &u.Role, &u.Name, &email, &phone, &device, &u.AgencyCode, &locale, &u.PasswordHash,
		&u.Disabled, &u.Erased, &u.Version, &created, &updated, &u.GuestSecretHash, &u.PhoneVerified, &u.TokenGeneration)
	if err != nil {
		return nil, err
	}
	u.Email, u.Phone, u.DeviceHash, u.Locale = email.String, phone.String, device.String, i18n.Lang(locale)
	u.CreatedAt, u.UpdatedAt = parseTS(created), parseTS(updated)
	return &u, nil
}

func errUserNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy tài khoản", "account not found"))
}

func errLoginTaken() error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T("Tên đăng nhập đã được dùng", "the login is already used"))
}

// CreateUser stores a new account.
func (s *IdentityStore) CreateUser(ctx context.Context, u *identity.User) error {
	u.Version = 1
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Role, u.Name, nullable(u.Email), nullable(u.Phone), nullable(u.DeviceHash), u.AgencyCode, string(u.Locale),
		u.PasswordHash, u.Disabled, u.Erased, u.Version, ts(u.CreatedAt), ts(u.UpdatedAt), u.GuestSecretHash, u.PhoneVerified, u.TokenGeneration)
	if isUniqueViolation(err) {
		return errLoginTaken()
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// GetUser returns an account by ID.
func (s *IdentityStore) GetUser(ctx context.Context, id string) (*identity.User, error) {
	u, err := scanUser(s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return u, nil
}

// FindUser returns the account with a login.
func (s *IdentityStore) FindUser(ctx context.Context, l identity.LoginKey) (*identity.User, error) {
	col, val := "email", l.Email
	switch {
	case l.Phone != "":
		col, val = "phone", l.Phone
	case l.DeviceHash != "":
		col, val = "device_hash", l.DeviceHash
	}
	if val == "" {
		return nil, errUserNotFound()
	}
	u, err := scanUser(s.db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+col+` = ?`, val))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return u, nil
}

// ListUsers returns a page of accounts in ID order.
func (s *IdentityStore) ListUsers(ctx context.Context, f identity.UserFilter) ([]identity.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE id > ?`
	args := []any{f.After}
	if f.Role != "" {
		q += ` AND role = ?`
		args = append(args, f.Role)
	}
	if f.AgencyCode != "" {
		q += ` AND agency_code = ?`
		args = append(args, f.AgencyCode)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []identity.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// UpdateUser writes u if nobody changed it since it was read.
func (s *IdentityStore) UpdateUser(ctx context.Context, u *identity.User) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE users SET role = ?, name = ?, email = ?, phone = ?, device_hash = ?,
		agency_code = ?, locale = ?, password_hash = ?, disabled = ?, erased = ?, version = version + 1, updated_at = ?,
		guest_secret_hash = ?, phone_verified = ?, token_generation = ?
		WHERE id = ? AND version = ?`,
		u.Role, u.Name, nullable(u.Email), nullable(u.Phone), nullable(u.DeviceHash), u.AgencyCode, string(u.Locale),
		u.PasswordHash, u.Disabled, u.Erased, ts(u.UpdatedAt), u.GuestSecretHash, u.PhoneVerified, u.TokenGeneration, u.ID, u.Version)
	if isUniqueViolation(err) {
		return errLoginTaken()
	}
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetUser(ctx, u.ID); err != nil {
			return err
		}
		return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Tài khoản vừa được thay đổi bởi thao tác khác; hãy tải lại", "the account was changed meanwhile; reload it"))
	}
	u.Version++
	return nil
}

// CountActiveAdmins counts enabled admins.
func (s *IdentityStore) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&n)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}

// AddRefreshToken stores a token's hash.
func (s *IdentityStore) AddRefreshToken(ctx context.Context, t identity.RefreshToken) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.FamilyID, t.UserID, ts(t.ExpiresAt), ts(t.CreatedAt))
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// UseRefreshToken spends a token, atomically.
func (s *IdentityStore) UseRefreshToken(ctx context.Context, hash string) (identity.RefreshToken, error) {
	var t identity.RefreshToken
	var expires, created string
	err := s.db.write.QueryRowContext(ctx, `UPDATE refresh_tokens SET used = 1 WHERE hash = ? AND used = 0 AND revoked = 0
		RETURNING hash, family_id, user_id, expires_at, created_at, used, revoked`, hash).
		Scan(&t.Hash, &t.FamilyID, &t.UserID, &expires, &created, &t.Used, &t.Revoked)
	if err == nil {
		t.ExpiresAt, t.CreatedAt = parseTS(expires), parseTS(created)
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t, apperr.Internal(err)
	}
	err = s.db.read.QueryRowContext(ctx, `SELECT hash, family_id, user_id, expires_at, created_at, used, revoked FROM refresh_tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.FamilyID, &t.UserID, &expires, &created, &t.Used, &t.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, apperr.NotFound(i18n.T("Token không tồn tại", "unknown token"))
	}
	if err != nil {
		return t, apperr.Internal(err)
	}
	t.ExpiresAt, t.CreatedAt = parseTS(expires), parseTS(created)
	return t, apperr.ConflictOf(apperr.KindUsed, i18n.T("Token đã được dùng", "the token was already used"))
}

// RevokeFamily revokes a token family.
func (s *IdentityStore) RevokeFamily(ctx context.Context, familyID string) error {
	if _, err := s.db.write.ExecContext(ctx, `UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?`, familyID); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// RevokeUserTokens revokes every token of a user.
func (s *IdentityStore) RevokeUserTokens(ctx context.Context, userID string) error {
	if _, err := s.db.write.ExecContext(ctx, `UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?`, userID); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// SigningKeys returns every key, newest first.
func (s *IdentityStore) SigningKeys(ctx context.Context) ([]identity.SigningKey, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT kid, public_key, sealed_private, created_at FROM signing_keys ORDER BY created_at DESC, kid DESC`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []identity.SigningKey
	for rows.Next() {
		var k identity.SigningKey
		var pub []byte
		var created string
		if err := rows.Scan(&k.KID, &pub, &k.SealedPrivate, &created); err != nil {
			return nil, apperr.Internal(err)
		}
		k.Public, k.CreatedAt = pub, parseTS(created)
		out = append(out, k)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// AddSigningKey stores a key.
func (s *IdentityStore) AddSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO signing_keys (kid, public_key, sealed_private, created_at) VALUES (?, ?, ?, ?)`,
		k.KID, []byte(k.Public), k.SealedPrivate, ts(k.CreatedAt))
	return apperr.InternalOrNil(err)
}

// HitAttempt counts one failed attempt.
func (s *IdentityStore) HitAttempt(ctx context.Context, key string, window time.Time) (int, error) {
	var n int
	err := s.db.write.QueryRowContext(ctx, `INSERT INTO login_attempts (key, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`, key, window.Unix()).Scan(&n)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}

// AttemptCount returns the failures of key in the window.
func (s *IdentityStore) AttemptCount(ctx context.Context, key string, window time.Time) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT count FROM login_attempts WHERE key = ? AND window_start = ?`, key, window.Unix()).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, apperr.InternalOrNil(err)
}

// ClearAttempts forgets key's failures.
func (s *IdentityStore) ClearAttempts(ctx context.Context, key string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM login_attempts WHERE key = ?`, key)
	return apperr.InternalOrNil(err)
}

// DeleteAttemptsBefore removes the windows that started before the time.
func (s *IdentityStore) DeleteAttemptsBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM login_attempts WHERE window_start < ?`, before.Unix())
	if err != nil {
		return 0, apperr.Internal(err)
	}
	n, err := res.RowsAffected()
	return int(n), apperr.InternalOrNil(err)
}

const sessionColumns = `hash, user_id, csrf, stamp, created_at, last_seen, expires_at`

func errSessionNotFound() error {
	return apperr.NotFound(i18n.T("Phiên đăng nhập không tồn tại", "unknown session"))
}

// CreateSession stores a session.
func (s *IdentityStore) CreateSession(ctx context.Context, ss identity.Session) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ss.Hash, ss.UserID, ss.CSRF, ss.Stamp, ts(ss.CreatedAt), ts(ss.LastSeen), ts(ss.ExpiresAt))
	return apperr.InternalOrNil(err)
}

// GetSession returns a session by its token's hash.
func (s *IdentityStore) GetSession(ctx context.Context, hash string) (identity.Session, error) {
	var ss identity.Session
	var created, seen, expires string
	err := s.db.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`, hash).
		Scan(&ss.Hash, &ss.UserID, &ss.CSRF, &ss.Stamp, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Session{}, errSessionNotFound()
	}
	if err != nil {
		return identity.Session{}, apperr.Internal(err)
	}
	ss.CreatedAt, ss.LastSeen, ss.ExpiresAt = parseTS(created), parseTS(seen), parseTS(expires)
	return ss, nil
}

// TouchSession records that the session was used at lastSeen.
func (s *IdentityStore) TouchSession(ctx context.Context, hash string, lastSeen time.Time) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE hash = ?`, ts(lastSeen), hash)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errSessionNotFound()
	}
	return nil
}

// DeleteSession removes a session.
func (s *IdentityStore) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return apperr.InternalOrNil(err)
}

// DeleteUserSessions removes every session of a user.
func (s *IdentityStore) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return apperr.InternalOrNil(err)
}

// DeleteExpiredSessions removes sessions past their expiry or idle too long.
func (s *IdentityStore) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?`, ts(now), ts(now.Add(-idle)))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	n, err := res.RowsAffected()
	return int(n), apperr.InternalOrNil(err)
}
