package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// The province provider's mappings (identity.OIDCStore), in tables
// oidc_group_mappings, oidc_settings and oidc_assurance (0055_oidc.sql).

const mappingColumns = `id, grp, role, agency_code, created_at, updated_at`

const settingVerifiedACRs = "verified_acrs"

func errMappingNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy ánh xạ nhóm", "group mapping not found"))
}

func errGroupMapped() error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T("Nhóm này đã được ánh xạ", "this group is mapped already"))
}

func scanMapping(row scanner) (identity.GroupMapping, error) {
	var m identity.GroupMapping
	var created, updated string
	if err := row.Scan(&m.ID, &m.Group, &m.Role, &m.AgencyCode, &created, &updated); err != nil {
		return m, err
	}
	m.CreatedAt, m.UpdatedAt = parseTS(created), parseTS(updated)
	return m, nil
}

// ListGroupMappings returns every mapping, ordered by group.
func (s *IdentityStore) ListGroupMappings(ctx context.Context) ([]identity.GroupMapping, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+mappingColumns+` FROM oidc_group_mappings ORDER BY grp`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []identity.GroupMapping{}
	for rows.Next() {
		m, err := scanMapping(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, m)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// GetGroupMapping returns one mapping.
func (s *IdentityStore) GetGroupMapping(ctx context.Context, id string) (identity.GroupMapping, error) {
	m, err := scanMapping(s.db.read.QueryRowContext(ctx, `SELECT `+mappingColumns+` FROM oidc_group_mappings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return identity.GroupMapping{}, errMappingNotFound()
	}
	if err != nil {
		return identity.GroupMapping{}, apperr.Internal(err)
	}
	return m, nil
}

// CreateGroupMapping stores a new mapping.
func (s *IdentityStore) CreateGroupMapping(ctx context.Context, m identity.GroupMapping) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO oidc_group_mappings (`+mappingColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		m.ID, m.Group, m.Role, m.AgencyCode, ts(m.CreatedAt), ts(m.UpdatedAt))
	if isUniqueViolation(err) {
		return errGroupMapped()
	}
	return apperr.InternalOrNil(err)
}

// UpdateGroupMapping replaces a mapping.
func (s *IdentityStore) UpdateGroupMapping(ctx context.Context, m identity.GroupMapping) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE oidc_group_mappings SET grp = ?, role = ?, agency_code = ?, updated_at = ? WHERE id = ?`,
		m.Group, m.Role, m.AgencyCode, ts(m.UpdatedAt), m.ID)
	if isUniqueViolation(err) {
		return errGroupMapped()
	}
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errMappingNotFound()
	}
	return nil
}

// DeleteGroupMapping removes a mapping.
func (s *IdentityStore) DeleteGroupMapping(ctx context.Context, id string) error {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM oidc_group_mappings WHERE id = ?`, id)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errMappingNotFound()
	}
	return nil
}

// VerifiedACRs returns the acr values marked verified.
func (s *IdentityStore) VerifiedACRs(ctx context.Context) ([]string, error) {
	var raw string
	err := s.db.read.QueryRowContext(ctx, `SELECT value FROM oidc_settings WHERE key = ?`, settingVerifiedACRs).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{}, nil
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out := []string{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// SetVerifiedACRs replaces the acr values marked verified.
func (s *IdentityStore) SetVerifiedACRs(ctx context.Context, acrs []string) error {
	if acrs == nil {
		acrs = []string{}
	}
	b, err := json.Marshal(acrs)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO oidc_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingVerifiedACRs, string(b))
	return apperr.InternalOrNil(err)
}

// SetAssurance records an account's last stated acr.
func (s *IdentityStore) SetAssurance(ctx context.Context, a identity.Assurance) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO oidc_assurance (user_id, acr, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET acr = excluded.acr, updated_at = excluded.updated_at`, a.UserID, a.ACR, ts(a.UpdatedAt))
	return apperr.InternalOrNil(err)
}

// GetAssurance returns an account's last stated acr.
func (s *IdentityStore) GetAssurance(ctx context.Context, userID string) (identity.Assurance, error) {
	a := identity.Assurance{UserID: userID}
	var updated string
	err := s.db.read.QueryRowContext(ctx, `SELECT acr, updated_at FROM oidc_assurance WHERE user_id = ?`, userID).Scan(&a.ACR, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return identity.Assurance{}, apperr.NotFound(i18n.T("Chưa có mức xác thực", "no assurance recorded"))
	}
	if err != nil {
		return identity.Assurance{}, apperr.Internal(err)
	}
	a.UpdatedAt = parseTS(updated)
	return a, nil
}

// AddStaffLink links a provider subject to a staff account.
func (s *IdentityStore) AddStaffLink(ctx context.Context, issuer, subject, userID string, at time.Time) error {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO oidc_staff_links (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)`,
		issuer, subject, userID, ts(at))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Tài khoản dùng chung đã được liên kết", "the provider account is linked already"))
	}
	return apperr.InternalOrNil(err)
}

// StaffLink returns the staff account linked to a provider subject.
func (s *IdentityStore) StaffLink(ctx context.Context, issuer, subject string) (string, error) {
	var id string
	err := s.db.read.QueryRowContext(ctx, `SELECT user_id FROM oidc_staff_links WHERE issuer = ? AND subject = ?`, issuer, subject).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.NotFound(i18n.T("Chưa liên kết", "not linked"))
	}
	return id, apperr.InternalOrNil(err)
}
