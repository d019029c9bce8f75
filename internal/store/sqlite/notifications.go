package sqlite

import (
	"context"
	"database/sql"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// insertNotifications writes a change's outbox entries in its transaction.
func insertNotifications(ctx context.Context, tx *sql.Tx, ns []feedback.Notification) error {
	for _, n := range ns {
		_, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, report_id, tracking_code, version, party, user_id, agency_code,
			action, from_status, to_status, note, at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.ReportID, n.TrackingCode, n.Version, string(n.Party), n.UserID, n.AgencyCode, string(n.Action),
			string(n.FromStatus), string(n.ToStatus), n.Note, ts(n.At), ts(n.NextAttemptAt))
		if err != nil {
			return err
		}
	}
	return nil
}

// DueNotifications returns pending entries due by now, earliest first.
func (s *ReportStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]feedback.Notification, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, report_id, tracking_code, version, party, user_id, agency_code, action,
		from_status, to_status, note, at, attempts, next_attempt_at, last_error FROM notifications
		WHERE delivered_at IS NULL AND dead = 0 AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`, ts(now), limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.Notification{}
	for rows.Next() {
		var n feedback.Notification
		var party, action, from, to, at, next string
		if err := rows.Scan(&n.ID, &n.ReportID, &n.TrackingCode, &n.Version, &party, &n.UserID, &n.AgencyCode, &action, &from, &to,
			&n.Note, &at, &n.Attempts, &next, &n.LastError); err != nil {
			return nil, apperr.Internal(err)
		}
		n.Party, n.Action, n.FromStatus, n.ToStatus = feedback.Party(party), feedback.Action(action), feedback.Status(from), feedback.Status(to)
		n.At, n.NextAttemptAt = parseTS(at), parseTS(next)
		out = append(out, n)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// ClaimNotification moves a pending entry at attempts to attempts+1 and
// hides it until until; false when another dispatcher claimed it.
func (s *ReportStore) ClaimNotification(ctx context.Context, id string, attempts int, until time.Time) (bool, error) {
	res, err := s.db.write.ExecContext(ctx, `UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id = ? AND attempts = ? AND delivered_at IS NULL AND dead = 0`, ts(until), id, attempts)
	if err != nil {
		return false, apperr.Internal(err)
	}
	n, err := res.RowsAffected()
	return n == 1, apperr.InternalOrNil(err)
}

// FinishNotification records a delivery attempt's outcome.
func (s *ReportStore) FinishNotification(ctx context.Context, id string, delivered bool, at, next time.Time, lastErr string) error {
	var err error
	switch {
	case delivered:
		_, err = s.db.write.ExecContext(ctx, `UPDATE notifications SET delivered_at = ?, last_error = '' WHERE id = ?`, ts(at), id)
	case next.IsZero():
		_, err = s.db.write.ExecContext(ctx, `UPDATE notifications SET dead = 1, last_error = ? WHERE id = ?`, lastErr, id)
	default:
		_, err = s.db.write.ExecContext(ctx, `UPDATE notifications SET next_attempt_at = ?, last_error = ? WHERE id = ?`, ts(next), lastErr, id)
	}
	return apperr.InternalOrNil(err)
}
