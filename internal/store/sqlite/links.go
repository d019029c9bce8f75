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

func errLinkNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy liên kết", "identity link not found"))
}

// AddLink stores an identity link.
func (s *IdentityStore) AddLink(ctx context.Context, l identity.Link) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO identity_links (id, user_id, issuer, subject, created_at) VALUES (?, ?, ?, ?, ?)`,
		l.ID, l.UserID, l.Issuer, l.Subject, ts(l.CreatedAt))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Danh tính này đã được liên kết", "this identity is already linked"))
	}
	return apperr.InternalOrNil(err)
}

// FindLink returns the link of (issuer, subject).
func (s *IdentityStore) FindLink(ctx context.Context, issuer, subject string) (identity.Link, error) {
	var l identity.Link
	var created string
	err := s.db.read.QueryRowContext(ctx, `SELECT id, user_id, issuer, subject, created_at FROM identity_links
		WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&l.ID, &l.UserID, &l.Issuer, &l.Subject, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Link{}, errLinkNotFound()
	}
	if err != nil {
		return identity.Link{}, apperr.Internal(err)
	}
	l.CreatedAt = parseTS(created)
	return l, nil
}

// ListLinks returns a user's links, oldest first.
func (s *IdentityStore) ListLinks(ctx context.Context, userID string) ([]identity.Link, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, user_id, issuer, subject, created_at FROM identity_links
		WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []identity.Link{}
	for rows.Next() {
		var l identity.Link
		var created string
		if err := rows.Scan(&l.ID, &l.UserID, &l.Issuer, &l.Subject, &created); err != nil {
			return nil, apperr.Internal(err)
		}
		l.CreatedAt = parseTS(created)
		out = append(out, l)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// DeleteLink removes one of a user's links.
func (s *IdentityStore) DeleteLink(ctx context.Context, userID, id string) error {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM identity_links WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLinkNotFound()
	}
	return nil
}

// RememberToken records a used token until it expires; a live memory of
// the same key is a conflict.
func (s *IdentityStore) RememberToken(ctx context.Context, key string, now, expiresAt time.Time) error {
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO exchanged_tokens (key, expires_at) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE exchanged_tokens.expires_at <= ?`,
		key, ts(expiresAt), ts(now))
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.ConflictOf(apperr.KindUsed, i18n.T("Token đã được dùng", "the token was already used"))
	}
	return nil
}

// ForgetTokensBefore removes the memories that expired before t.
func (s *IdentityStore) ForgetTokensBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM exchanged_tokens WHERE expires_at < ?`, ts(t))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// AddAccountEvent appends to an account's history.
func (s *IdentityStore) AddAccountEvent(ctx context.Context, e identity.AccountEvent) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO account_events (id, user_id, kind, at, issuer) VALUES (?, ?, ?, ?, ?)`,
		e.ID, e.UserID, e.Kind, ts(e.At), e.Issuer)
	return apperr.InternalOrNil(err)
}

// ListAccountEvents returns an account's newest events first.
func (s *IdentityStore) ListAccountEvents(ctx context.Context, userID string, limit int) ([]identity.AccountEvent, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, user_id, kind, at, issuer FROM account_events
		WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []identity.AccountEvent{}
	for rows.Next() {
		var e identity.AccountEvent
		var at string
		if err := rows.Scan(&e.ID, &e.UserID, &e.Kind, &at, &e.Issuer); err != nil {
			return nil, apperr.Internal(err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, apperr.InternalOrNil(rows.Err())
}
