package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/transfer"
	"camaug/survey"
)

var _ transfer.Exporter = (*DB)(nil)

// exportSQL reads each kind in a stable order.
var exportSQL = map[string]string{
	transfer.Reports:  `SELECT ` + reportColumns + ` FROM reports ORDER BY id`,
	transfer.Events:   `SELECT report_id, version, action, from_status, to_status, actor_id, actor_role, agency_code, to_agency, note, due_at, duplicate_of, at FROM report_events ORDER BY report_id, version`,
	transfer.Supports: `SELECT report_id, user_id, created_at FROM report_supports ORDER BY report_id, user_id`,
	transfer.Media:    `SELECT ` + mediaColumns + ` FROM media ORDER BY report_id, id`,
	transfer.Ratings:  `SELECT report_id, user_id, agency_code, area_code, score, comment, created_at, updated_at FROM ratings ORDER BY report_id`,
	transfer.Notifications: `SELECT id, report_id, tracking_code, version, party, user_id, agency_code, action, from_status, to_status, note, at,
		attempts, next_attempt_at, delivered_at, dead, last_error FROM notifications ORDER BY id`,
	transfer.Invitations:  `SELECT token_hash, survey_id, agency_code, area_code, created_at, used_at FROM survey_invitations ORDER BY token_hash`,
	transfer.Participants: `SELECT survey_id, participant FROM survey_participants ORDER BY survey_id, participant`,
	transfer.Responses:    `SELECT id, survey_id, version, agency_code, area_code, channel, answers, submitted_at FROM survey_responses ORDER BY id`,
	transfer.Idempotency:  `SELECT scope, key, request_hash, resource_id, created_at FROM idempotency_keys ORDER BY scope, key`,
	transfer.StaffLinks:   `SELECT issuer, subject, user_id, created_at FROM oidc_staff_links ORDER BY issuer, subject`,
}

// Count returns the number of records of kind.
func (db *DB) Count(ctx context.Context, kind string) (int64, error) {
	if _, ok := exportSQL[kind]; !ok {
		return 0, fmt.Errorf("sqlite: no record kind %q", kind)
	}
	var n int64
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM `+kind).Scan(&n)
	return n, err
}

func nullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

// Export streams every record of kind, in one read transaction (a
// consistent view of that kind), to fn.
func (db *DB) Export(ctx context.Context, kind string, fn func(rec any) error) error {
	q, ok := exportSQL[kind]
	if !ok {
		return fmt.Errorf("sqlite: no record kind %q", kind)
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("sqlite: export %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var rec any
		switch kind {
		case transfer.Reports:
			r, err := scanReport(rows)
			if err != nil {
				return err
			}
			rec = *r
		case transfer.Events:
			var e feedback.Event
			var action, from, to, role, at string
			var due sql.NullString
			if err := rows.Scan(&e.ReportID, &e.Version, &action, &from, &to, &e.ActorID, &role, &e.AgencyCode, &e.ToAgency, &e.Note, &due,
				&e.DuplicateOf, &at); err != nil {
				return err
			}
			e.Action, e.FromStatus, e.ToStatus, e.ActorRole, e.At = feedback.Action(action), feedback.Status(from), feedback.Status(to),
				identity.Role(role), parseTS(at)
			e.DueAt = nullTime(due)
			rec = e
		case transfer.Supports:
			var s feedback.Support
			var at string
			if err := rows.Scan(&s.ReportID, &s.UserID, &at); err != nil {
				return err
			}
			s.CreatedAt = parseTS(at)
			rec = s
		case transfer.Media:
			m, err := scanMedia(rows)
			if err != nil {
				return err
			}
			rec = m
		case transfer.Ratings:
			var r feedback.Rating
			var created, updated string
			if err := rows.Scan(&r.ReportID, &r.UserID, &r.AgencyCode, &r.AreaCode, &r.Score, &r.Comment, &created, &updated); err != nil {
				return err
			}
			r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
			rec = r
		case transfer.Notifications:
			var n feedback.Notification
			var party, action, from, to, at, next string
			var delivered sql.NullString
			if err := rows.Scan(&n.ID, &n.ReportID, &n.TrackingCode, &n.Version, &party, &n.UserID, &n.AgencyCode, &action, &from, &to,
				&n.Note, &at, &n.Attempts, &next, &delivered, &n.Dead, &n.LastError); err != nil {
				return err
			}
			n.Party, n.Action, n.FromStatus, n.ToStatus = feedback.Party(party), feedback.Action(action), feedback.Status(from), feedback.Status(to)
			n.At, n.NextAttemptAt, n.DeliveredAt = parseTS(at), parseTS(next), nullTime(delivered)
			rec = n
		case transfer.Invitations:
			var inv survey.Invitation
			var created string
			var used sql.NullString
			if err := rows.Scan(&inv.TokenHash, &inv.SurveyID, &inv.AgencyCode, &inv.AreaCode, &created, &used); err != nil {
				return err
			}
			inv.CreatedAt, inv.UsedAt = parseTS(created), nullTime(used)
			rec = inv
		case transfer.Participants:
			var p transfer.Participant
			if err := rows.Scan(&p.SurveyID, &p.Participant); err != nil {
				return err
			}
			rec = p
		case transfer.Idempotency:
			var k feedback.Idempotency
			var at string
			if err := rows.Scan(&k.Scope, &k.Key, &k.RequestHash, &k.ResourceID, &at); err != nil {
				return err
			}
			k.CreatedAt = parseTS(at)
			rec = k
		case transfer.Responses:
			var r survey.Response
			var channel, answers, submitted string
			if err := rows.Scan(&r.ID, &r.SurveyID, &r.Version, &r.AgencyCode, &r.AreaCode, &channel, &answers, &submitted); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
				return err
			}
			r.Channel, r.SubmittedAt = survey.Channel(channel), parseTS(submitted)
			rec = r
		case transfer.StaffLinks:
			var l transfer.StaffLink
			var created string
			if err := rows.Scan(&l.Issuer, &l.Subject, &l.UserID, &created); err != nil {
				return err
			}
			l.CreatedAt = parseTS(created)
			rec = l
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return rows.Err()
}
