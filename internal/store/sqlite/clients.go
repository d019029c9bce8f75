package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/notify"
)

// ClientStore keeps the API clients and the outbox's per-destination
// delivery state.
type ClientStore struct{ db *DB }

var (
	_ apiclient.Store      = (*ClientStore)(nil)
	_ notify.DeliveryStore = (*ClientStore)(nil)
)

// Clients returns the API client store.
func (db *DB) Clients() apiclient.Store { return &ClientStore{db: db} }

// Deliveries returns the outbox's per-destination delivery state.
func (db *DB) Deliveries() notify.DeliveryStore { return &ClientStore{db: db} }

const clientColumns = `id, name, scopes, rate_limit, key_hash, prev_key_hash, prev_key_until, created_at, rotated_at, revoked_at, last_used_at, webhook`

func errClientNotFound() error {
	return apperr.NotFound(i18n.T("Không có ứng dụng này", "no such API client"))
}

func clientArgs(c *apiclient.Client) ([]any, error) {
	scopes, err := json.Marshal(c.Scopes)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	var hook any
	if c.Webhook != nil {
		b, err := json.Marshal(c.Webhook)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		hook = string(b)
	}
	until := ""
	if !c.PrevKeyUntil.IsZero() {
		until = ts(c.PrevKeyUntil)
	}
	return []any{c.ID, c.Name, string(scopes), c.RateLimit, c.KeyHash, c.PrevKeyHash, until, ts(c.CreatedAt),
		tsOrNil(c.RotatedAt), tsOrNil(c.RevokedAt), tsOrNil(c.LastUsedAt), hook}, nil
}

func scanClient(row scanner) (*apiclient.Client, error) {
	var c apiclient.Client
	var scopes, until, created string
	var rotated, revoked, used, hook sql.NullString
	if err := row.Scan(&c.ID, &c.Name, &scopes, &c.RateLimit, &c.KeyHash, &c.PrevKeyHash, &until, &created,
		&rotated, &revoked, &used, &hook); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return nil, err
	}
	if until != "" {
		c.PrevKeyUntil = parseTS(until)
	}
	c.CreatedAt = parseTS(created)
	c.RotatedAt, c.RevokedAt, c.LastUsedAt = nullTS(rotated), nullTS(revoked), nullTS(used)
	if hook.Valid {
		c.Webhook = &apiclient.Subscription{}
		if err := json.Unmarshal([]byte(hook.String), c.Webhook); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// CreateClient stores a new client.
func (s *ClientStore) CreateClient(ctx context.Context, c *apiclient.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return err
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO api_clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Ứng dụng đã tồn tại", "the API client exists"))
	}
	return apperr.InternalOrNil(err)
}

// GetClient returns a client by ID.
func (s *ClientStore) GetClient(ctx context.Context, id string) (*apiclient.Client, error) {
	c, err := scanClient(s.db.read.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM api_clients WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errClientNotFound()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return c, nil
}

// ListClients returns every client by ID.
func (s *ClientStore) ListClients(ctx context.Context) ([]apiclient.Client, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+clientColumns+` FROM api_clients ORDER BY id`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []apiclient.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, *c)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// UpdateClient replaces every field but the last use.
func (s *ClientStore) UpdateClient(ctx context.Context, c *apiclient.Client) error {
	args, err := clientArgs(c)
	if err != nil {
		return err
	}
	cols := strings.Split(clientColumns, ", ")
	set := make([]string, 0, len(cols))
	vals := make([]any, 0, len(cols))
	for i, col := range cols {
		if col == "id" || col == "last_used_at" {
			continue
		}
		set = append(set, col+" = ?")
		vals = append(vals, args[i])
	}
	res, err := s.db.write.ExecContext(ctx, `UPDATE api_clients SET `+strings.Join(set, ", ")+` WHERE id = ?`, append(vals, c.ID)...)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errClientNotFound()
	}
	return nil
}

// TouchClient records a use.
func (s *ClientStore) TouchClient(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE api_clients SET last_used_at = ? WHERE id = ?`, ts(at), id)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errClientNotFound()
	}
	return nil
}

// DoneDestinations returns which destinations are done with a notification.
func (s *ClientStore) DoneDestinations(ctx context.Context, notificationID string, destinations []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(destinations) == 0 {
		return out, nil
	}
	args := []any{notificationID}
	for _, d := range destinations {
		args = append(args, d)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT destination FROM notification_deliveries WHERE notification_id = ? AND destination IN (?`+
		strings.Repeat(", ?", len(destinations)-1)+`)`, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, apperr.Internal(err)
		}
		out[d] = true
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// MarkDestinationDone records a destination's outcome once.
func (s *ClientStore) MarkDestinationDone(ctx context.Context, notificationID, destination string, at time.Time, gaveUp bool, lastErr string) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO notification_deliveries (notification_id, destination, at, gave_up, last_error)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, notificationID, destination, ts(at), gaveUp, lastErr)
	return apperr.InternalOrNil(err)
}
