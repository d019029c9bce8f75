package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// AuditStore implements feedback.AuditStore.
type AuditStore struct{ db *DB }

var _ feedback.AuditStore = (*AuditStore)(nil)

// Audit returns the reference data audit log.
func (s *ReferenceStore) Audit() feedback.AuditStore { return &AuditStore{db: s.db} }

// AppendAudit stores e.
func (s *AuditStore) AppendAudit(ctx context.Context, e feedback.AuditEntry) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO reference_audit
		(id, at, actor_id, actor_role, kind, code, action, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ts(e.At), e.ActorID, string(e.ActorRole), e.Kind, e.Code, e.Action, rawOrNil(e.Before), rawOrNil(e.After))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Mục nhật ký đã tồn tại", "audit entry already exists"))
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// ListAudit returns entries newest first, after the cursor before.
func (s *AuditStore) ListAudit(ctx context.Context, before string, limit int) ([]feedback.AuditEntry, error) {
	q := `SELECT id, at, actor_id, actor_role, kind, code, action, before, after FROM reference_audit`
	args := []any{}
	if before != "" {
		q += ` WHERE id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.AuditEntry{}
	for rows.Next() {
		var e feedback.AuditEntry
		var at, role string
		var bef, aft sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &role, &e.Kind, &e.Code, &e.Action, &bef, &aft); err != nil {
			return nil, apperr.Internal(err)
		}
		e.At, e.ActorRole = parseTS(at), identity.Role(role)
		if bef.Valid {
			e.Before = json.RawMessage(bef.String)
		}
		if aft.Valid {
			e.After = json.RawMessage(aft.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// rawOrNil stores an absent document as NULL.
func rawOrNil(j json.RawMessage) any {
	if len(j) == 0 {
		return nil
	}
	return string(j)
}
