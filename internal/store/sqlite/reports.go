package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// ReportStore implements feedback.ReportStore.
type ReportStore struct{ db *DB }

var _ feedback.ReportStore = (*ReportStore)(nil)

// Reports returns the report store.
func (db *DB) Reports() feedback.ReportStore { return &ReportStore{db: db} }

const reportColumns = `id, tracking_code, reporter_id, anonymous, contact_phone, category_code, area_code, agency_code,
	routing_rule, routing_reason, title, description, address, lat, lng, cell7, cell6, urgent, locale, status,
	dispatch_due, response_due, resolution_due, client_created_at, created_at, updated_at, version, support_count`

func scanReport(row scanner) (*feedback.Report, error) {
	var r feedback.Report
	var reason, locale, status, dispatch, response, resolution, created, updated string
	var client sql.NullString
	err := row.Scan(&r.ID, &r.TrackingCode, &r.ReporterID, &r.Anonymous, &r.ContactPhone, &r.CategoryCode, &r.AreaCode, &r.AgencyCode,
		&r.RoutingRule, &reason, &r.Title, &r.Description, &r.Address, &r.Location.Lat, &r.Location.Lng, &r.Cell7, &r.Cell6, &r.Urgent,
		&locale, &status, &dispatch, &response, &resolution, &client, &created, &updated, &r.Version, &r.SupportCount)
	if err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(reason), &r.RoutingReason)
	r.Locale, r.Status = i18n.Lang(locale), feedback.Status(status)
	r.Deadlines = feedback.Deadlines{DispatchDue: parseTS(dispatch), ResponseDue: parseTS(response), ResolutionDue: parseTS(resolution)}
	if client.Valid {
		t := parseTS(client.String)
		r.ClientCreatedAt = &t
	}
	r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
	return &r, nil
}

// ClaimIdempotency stores a claim unless the key is taken.
func (s *ReportStore) ClaimIdempotency(ctx context.Context, k feedback.Idempotency) (feedback.Idempotency, error) {
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.Scope, k.Key, k.RequestHash, k.ResourceID, ts(k.CreatedAt))
	if err == nil {
		return k, nil
	}
	if !isUniqueViolation(err) {
		return k, apperr.Internal(err)
	}
	var got feedback.Idempotency
	var created string
	err = s.db.write.QueryRowContext(ctx, `SELECT scope, key, request_hash, resource_id, created_at FROM idempotency_keys WHERE scope = ? AND key = ?`,
		k.Scope, k.Key).Scan(&got.Scope, &got.Key, &got.RequestHash, &got.ResourceID, &created)
	if err != nil {
		return k, apperr.Internal(err)
	}
	got.CreatedAt = parseTS(created)
	return got, apperr.Conflict(i18n.T("Khóa đã được dùng", "the key is taken"))
}

// CreateReport stores a new report.
func (s *ReportStore) CreateReport(ctx context.Context, r *feedback.Report) error {
	reason, _ := json.Marshal(r.RoutingReason)
	var client any
	if r.ClientCreatedAt != nil {
		client = ts(*r.ClientCreatedAt)
	}
	r.Version = 1
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO reports (`+reportColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.TrackingCode, r.ReporterID, r.Anonymous, r.ContactPhone, r.CategoryCode, r.AreaCode, r.AgencyCode,
		r.RoutingRule, string(reason), r.Title, r.Description, r.Address, r.Location.Lat, r.Location.Lng, r.Cell7, r.Cell6, r.Urgent,
		string(r.Locale), string(r.Status), ts(r.Deadlines.DispatchDue), ts(r.Deadlines.ResponseDue), ts(r.Deadlines.ResolutionDue),
		client, ts(r.CreatedAt), ts(r.UpdatedAt), r.Version, r.SupportCount)
	if isUniqueViolation(err) {
		return apperr.Conflict(i18n.T("Phản ánh đã tồn tại", "the report exists"))
	}
	return apperr.InternalOrNil(err)
}

// GetReport returns a report by ID.
func (s *ReportStore) GetReport(ctx context.Context, id string) (*feedback.Report, error) {
	r, err := scanReport(s.db.read.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return r, nil
}

func (s *ReportStore) list(ctx context.Context, q string, args ...any) ([]feedback.Report, error) {
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, *r)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// ListByReporter returns a reporter's reports, newest first.
func (s *ReportStore) ListByReporter(ctx context.Context, reporterID, before string, limit int) ([]feedback.Report, error) {
	if before == "" {
		before = "~" // after every ID
	}
	return s.list(ctx, `SELECT `+reportColumns+` FROM reports WHERE reporter_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, reporterID, before, limit)
}

// InCells returns reports in geohash cells.
func (s *ReportStore) InCells(ctx context.Context, precision int, cells []string, category string, statuses []feedback.Status, limit int) ([]feedback.Report, error) {
	if len(cells) == 0 || len(statuses) == 0 {
		return []feedback.Report{}, nil
	}
	col := "cell7"
	if precision == 6 {
		col = "cell6"
	}
	args := make([]any, 0, len(cells)+len(statuses)+2)
	for _, c := range cells {
		args = append(args, c)
	}
	for _, st := range statuses {
		args = append(args, string(st))
	}
	q := `SELECT ` + reportColumns + ` FROM reports WHERE ` + col + ` IN (` + placeholders(len(cells)) + `) AND status IN (` + placeholders(len(statuses)) + `)`
	if category != "" {
		q += ` AND category_code = ?`
		args = append(args, category)
	}
	q += ` LIMIT ?`
	args = append(args, limit)
	return s.list(ctx, q, args...)
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// AddSupport records one person's support, once, with the count in the
// same transaction.
func (s *ReportStore) AddSupport(ctx context.Context, sup feedback.Support) (bool, error) {
	added := false
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO report_supports (report_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			sup.ReportID, sup.UserID, ts(sup.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		res, err = tx.ExecContext(ctx, `UPDATE reports SET support_count = support_count + 1 WHERE id = ?`, sup.ReportID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
		}
		return nil
	})
	if apperr.CodeOf(err) == apperr.EINTERNAL {
		return false, apperr.Internal(err)
	}
	return added, err
}
