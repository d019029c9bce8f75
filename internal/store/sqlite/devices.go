package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// DeviceStore implements identity.DeviceStore.
type DeviceStore struct{ db *DB }

var _ identity.DeviceStore = (*DeviceStore)(nil)

// Devices returns the push device store.
func (db *DB) Devices() identity.DeviceStore { return &DeviceStore{db: db} }

const deviceColumns = `id, user_id, platform, token, locale, created_at, updated_at`

func scanDevice(row scanner) (identity.Device, error) {
	var d identity.Device
	var locale, created, updated string
	err := row.Scan(&d.ID, &d.UserID, &d.Platform, &d.Token, &locale, &created, &updated)
	d.Locale, d.CreatedAt, d.UpdatedAt = i18n.Lang(locale), parseTS(created), parseTS(updated)
	return d, err
}

// PutDevice upserts by token and trims the account's devices, in one
// transaction.
func (s *DeviceStore) PutDevice(ctx context.Context, d identity.Device, max int) (identity.Device, bool, error) {
	var out identity.Device
	var isNew bool
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		prev, err := scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE token = ?`, d.Token))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			isNew, out = true, d
			_, err = tx.ExecContext(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				d.ID, d.UserID, d.Platform, d.Token, string(d.Locale), ts(d.CreatedAt), ts(d.UpdatedAt))
		case err == nil:
			isNew = prev.UserID != d.UserID
			out = prev
			out.UserID, out.Platform, out.Locale, out.UpdatedAt = d.UserID, d.Platform, d.Locale, d.UpdatedAt
			_, err = tx.ExecContext(ctx, `UPDATE devices SET user_id = ?, platform = ?, locale = ?, updated_at = ? WHERE id = ?`,
				out.UserID, out.Platform, string(out.Locale), ts(out.UpdatedAt), out.ID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM devices WHERE user_id = ? AND id NOT IN
			(SELECT id FROM devices WHERE user_id = ? ORDER BY updated_at DESC, id DESC LIMIT ?)`, d.UserID, d.UserID, max)
		return err
	})
	if err != nil {
		return identity.Device{}, false, apperr.Internal(err)
	}
	return out, isNew, nil
}

// UserDevices lists an account's devices, most recently updated first.
func (s *DeviceStore) UserDevices(ctx context.Context, userID string) ([]identity.Device, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE user_id = ? ORDER BY updated_at DESC, id DESC`, userID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []identity.Device{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, d)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// DeleteDevice removes the account's device by ID or token.
func (s *DeviceStore) DeleteDevice(ctx context.Context, userID, key string) error {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM devices WHERE user_id = ? AND (id = ? OR token = ?)`, userID, key, key)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFound(i18n.T("Không tìm thấy thiết bị", "device not found"))
	}
	return nil
}

// DropDeviceToken removes the device holding token, if any.
func (s *DeviceStore) DropDeviceToken(ctx context.Context, token string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM devices WHERE token = ?`, token)
	return apperr.InternalOrNil(err)
}

// DeleteUserDevices removes every device of an account.
func (s *DeviceStore) DeleteUserDevices(ctx context.Context, userID string) error {
	_, err := s.db.write.ExecContext(ctx, `DELETE FROM devices WHERE user_id = ?`, userID)
	return apperr.InternalOrNil(err)
}
