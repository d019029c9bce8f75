package sqlite

import (
	"context"
	"fmt"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/lease"
)

// LeaseStore implements lease.Store. One process uses the embedded
// database, so a lease always has one candidate; the primary keys still
// make every claim exclusive, as the conformance suite checks.
type LeaseStore struct{ db *DB }

var _ lease.Store = (*LeaseStore)(nil)

// Leases returns the lease store.
func (db *DB) Leases() lease.Store { return &LeaseStore{db: db} }

// TryLease inserts the term's row, or reads who holds it.
func (s *LeaseStore) TryLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) (bool, error) {
	term := lease.Term(at, ttl)
	id := fmt.Sprintf("%s#%d", name, term)
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO leases (id, name, owner, term, expires_at) VALUES (?, ?, ?, ?, ?)`,
		id, name, owner, term, ts(lease.TermEnd(term, ttl)))
	if err == nil {
		_, err := s.db.write.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND term < ?`, name, term-2)
		return true, apperr.InternalOrNil(err)
	}
	if !isUniqueViolation(err) {
		return false, apperr.Internal(err)
	}
	var holder string
	if err := s.db.write.QueryRowContext(ctx, `SELECT owner FROM leases WHERE id = ?`, id).Scan(&holder); err != nil {
		return false, apperr.Internal(err)
	}
	return holder == owner, nil
}

// ReleaseLease deletes owner's row for the term.
func (s *LeaseStore) ReleaseLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM leases WHERE id = ? AND owner = ?`, fmt.Sprintf("%s#%d", name, lease.Term(at, ttl)), owner)
	return apperr.InternalOrNil(err)
}

// ClaimOnce inserts key.
func (s *LeaseStore) ClaimOnce(ctx context.Context, key string, at time.Time) (bool, error) {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO claims (id, at) VALUES (?, ?)`, key, ts(at))
	if isUniqueViolation(err) {
		return false, nil
	}
	return err == nil, apperr.InternalOrNil(err)
}

// Heartbeat upserts the instance's row.
func (s *LeaseStore) Heartbeat(ctx context.Context, instance string, until time.Time) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO instances (id, until) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until`,
		instance, ts(until))
	return apperr.InternalOrNil(err)
}

// Leave deletes the instance's row.
func (s *LeaseStore) Leave(ctx context.Context, instance string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM instances WHERE id = ?`, instance)
	return apperr.InternalOrNil(err)
}

// LiveInstances returns the instances whose heartbeat lasts past now.
func (s *LeaseStore) LiveInstances(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id FROM instances WHERE until > ? ORDER BY until`, ts(now))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, id)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// Sweep deletes old claims and ended heartbeats.
func (s *LeaseStore) Sweep(ctx context.Context, before time.Time) (int, error) {
	c, err := s.db.write.ExecContext(ctx, `DELETE FROM claims WHERE at < ?`, ts(before))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	i, err := s.db.write.ExecContext(ctx, `DELETE FROM instances WHERE until < ?`, ts(before))
	if err != nil {
		return 0, apperr.Internal(err)
	}
	nc, _ := c.RowsAffected()
	ni, _ := i.RowsAffected()
	return int(nc + ni), nil
}
