package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// ReportStore implements feedback.ReportStore.
type ReportStore struct{ db *DB }

var _ feedback.ReportStore = (*ReportStore)(nil)

// Reports returns the report store.
func (db *DB) Reports() feedback.ReportStore { return &ReportStore{db: db} }

const reportColumns = `id, tracking_code, reporter_id, anonymous, contact_phone, category_code, area_code, agency_code,
	routing_rule, routing_reason, title, description, address, lat, lng, cell, urgent, locale, status,
	dispatch_due, response_due, resolution_due, client_created_at, created_at, updated_at, version, support_count,
	answer, resolved_at, reject_reason, duplicate_of, extension, next_due, dispatched_at, responded_at`

// reportColumnsR is reportColumns qualified with the alias r, for the
// feed's joins.
var reportColumnsR = "r." + strings.ReplaceAll(strings.Join(strings.Fields(reportColumns), " "), ", ", ", r.")

func scanReport(row scanner) (*feedback.Report, error) {
	var r feedback.Report
	if err := scanReportInto(row, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// scanReportInto reads a report's columns into r: lists scan into their
// own slice's elements, with no copy of the (large) struct per row.
func scanReportInto(row scanner, r *feedback.Report) error {
	var reason, locale, status, dispatch, response, resolution, created, updated string
	var client, resolvedAt, extension, dispatchedAt, respondedAt sql.NullString
	err := row.Scan(&r.ID, &r.TrackingCode, &r.ReporterID, &r.Anonymous, &r.ContactPhone, &r.CategoryCode, &r.AreaCode, &r.AgencyCode,
		&r.RoutingRule, &reason, &r.Title, &r.Description, &r.Address, &r.Location.Lat, &r.Location.Lng, &r.Cell, &r.Urgent,
		&locale, &status, &dispatch, &response, &resolution, &client, &created, &updated, &r.Version, &r.SupportCount,
		&r.Answer, &resolvedAt, &r.RejectReason, &r.DuplicateOf, &extension, new(string), &dispatchedAt, &respondedAt)
	if err != nil {
		return err
	}
	r.ResolvedAt, r.DispatchedAt, r.RespondedAt = nullTS(resolvedAt), nullTS(dispatchedAt), nullTS(respondedAt)
	if extension.Valid {
		r.Extension = &feedback.Extension{}
		json.Unmarshal([]byte(extension.String), r.Extension)
	}
	r.RoutingReason = routingReasons.decode(reason)
	r.Locale, r.Status = i18n.Lang(locale), feedback.Status(status)
	r.Deadlines = feedback.Deadlines{DispatchDue: parseTS(dispatch), ResponseDue: parseTS(response), ResolutionDue: parseTS(resolution)}
	if client.Valid {
		t := parseTS(client.String)
		r.ClientCreatedAt = &t
	}
	r.CreatedAt, r.UpdatedAt = parseTS(created), parseTS(updated)
	return nil
}

// routingReasons remembers decoded routing reasons: a handful of rules
// write them, so most rows of a page carry one already seen, and decoding
// JSON was the largest cost of reading a row after SQLite's own.
var routingReasons = textCache{max: 4096}

// textCache decodes i18n.Text JSON, remembering up to max distinct values
// (then it decodes without remembering). Text holds strings only, so a
// remembered value is shared safely by copy.
type textCache struct {
	max  int64
	n    atomic.Int64
	seen sync.Map // string → i18n.Text
}

func (c *textCache) decode(raw string) i18n.Text {
	if v, ok := c.seen.Load(raw); ok {
		return v.(i18n.Text)
	}
	var t i18n.Text
	json.Unmarshal([]byte(raw), &t)
	if c.n.Load() < c.max {
		if _, loaded := c.seen.LoadOrStore(raw, t); !loaded {
			c.n.Add(1)
		}
	}
	return t
}

// ClaimIdempotency stores a claim unless the key is taken, in a group
// commit.
func (s *ReportStore) ClaimIdempotency(ctx context.Context, k feedback.Idempotency) (feedback.Idempotency, error) {
	var got feedback.Idempotency
	taken := false
	err := s.db.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		got, taken, err = claimIdempotency(ctx, tx, k)
		if err == nil && taken {
			return errTaken
		}
		return err
	})
	switch {
	case taken:
		return got, apperr.ConflictOf(apperr.KindExists, i18n.T("Khóa đã được dùng", "the key is taken"))
	case err != nil:
		return k, apperr.Internal(err)
	}
	return got, nil
}

// claimIdempotency stores k in tx unless its key is taken by a live claim;
// then it returns that claim and taken. It returns the claim as stored.
func claimIdempotency(ctx context.Context, tx *sql.Tx, k feedback.Idempotency) (got feedback.Idempotency, taken bool, err error) {
	if k.ExpiresAt.IsZero() {
		k.ExpiresAt = k.CreatedAt.Add(feedback.IdempotencyTTL)
	}
	// An expired claim is never honoured: it makes way for this one.
	// Claims from before expires_at existed ('') last IdempotencyTTL.
	_, err = tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ?
		AND ((expires_at != '' AND expires_at <= ?) OR (expires_at = '' AND created_at <= ?))`,
		k.Scope, k.Key, ts(k.CreatedAt), ts(k.CreatedAt.Add(-feedback.IdempotencyTTL)))
	if err != nil {
		return k, false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, resource_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.Scope, k.Key, k.RequestHash, k.ResourceID, ts(k.CreatedAt), ts(k.ExpiresAt))
	if !isUniqueViolation(err) {
		return k, false, err
	}
	// Read in the same transaction: the claim that won may be in this
	// very group, not yet committed.
	var created, expires string
	err = tx.QueryRowContext(ctx, `SELECT scope, key, request_hash, resource_id, created_at, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?`,
		k.Scope, k.Key).Scan(&got.Scope, &got.Key, &got.RequestHash, &got.ResourceID, &created, &expires)
	if err != nil {
		return k, false, err
	}
	got.CreatedAt, got.ExpiresAt = parseTS(created), parseTS(expires)
	if expires == "" {
		got.ExpiresAt = got.CreatedAt.Add(feedback.IdempotencyTTL)
	}
	return got, true, nil
}

// errTaken rolls back a claim's savepoint when its key is taken.
var errTaken = errors.New("idempotency key taken")

const (
	insertReportSQL = `INSERT INTO reports (` + reportColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// A search row's rowid is its report's.
	insertSearchSQL = `INSERT INTO reports_search (rowid, report_id, body) VALUES (last_insert_rowid(), ?, ?)`
)

// reportArgs are insertReportSQL's arguments for r.
func reportArgs(r *feedback.Report) []any {
	reason, _ := json.Marshal(r.RoutingReason)
	var client any
	if r.ClientCreatedAt != nil {
		client = ts(*r.ClientCreatedAt)
	}
	return []any{r.ID, r.TrackingCode, r.ReporterID, r.Anonymous, r.ContactPhone, r.CategoryCode, r.AreaCode, r.AgencyCode,
		r.RoutingRule, string(reason), r.Title, r.Description, r.Address, r.Location.Lat, r.Location.Lng, r.Cell, r.Urgent,
		string(r.Locale), string(r.Status), ts(r.Deadlines.DispatchDue), ts(r.Deadlines.ResponseDue), ts(r.Deadlines.ResolutionDue),
		client, ts(r.CreatedAt), ts(r.UpdatedAt), r.Version, r.SupportCount, r.Answer, tsOrNil(r.ResolvedAt), r.RejectReason,
		r.DuplicateOf, extensionJSON(r.Extension), dueKey(r.NextDue()), tsOrNil(r.DispatchedAt), tsOrNil(r.RespondedAt)}
}

// CreateReport stores a new report and its search entry, in a group
// commit.
func (s *ReportStore) CreateReport(ctx context.Context, r *feedback.Report) error {
	r.Version = 1
	err := s.db.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error { return insertReport(ctx, tx, r) })
	if isUniqueViolation(err) {
		return errReportExists()
	}
	return apperr.InternalOrNil(err)
}

// insertReport writes a new report and its search entry in tx.
func insertReport(ctx context.Context, tx *sql.Tx, r *feedback.Report) error {
	if _, err := tx.ExecContext(ctx, insertReportSQL, reportArgs(r)...); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, insertSearchSQL, r.ID, r.SearchBody())
	return err
}

// insertReportRow writes a new report's row in tx, not its search entry,
// and returns its rowid.
func insertReportRow(ctx context.Context, tx *sql.Tx, r *feedback.Report) (int64, error) {
	res, err := tx.ExecContext(ctx, insertReportSQL, reportArgs(r)...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// searchLater writes the search entry of r, inserted by a job of a group
// commit under rowid, after the group's jobs (afterJobs): no other write
// can reach the report before that, as its ID is known to no one until
// the group has committed.
func (db *DB) searchLater(rowid int64, r *feedback.Report) {
	id, body := r.ID, r.SearchBody()
	db.afterJobs(func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO reports_search (rowid, report_id, body) VALUES (?, ?, ?)`, rowid, id, body)
		return err
	})
}

func errReportExists() error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T("Phản ánh đã tồn tại", "the report exists"))
}

var _ feedback.Submitter = (*ReportStore)(nil)

// SubmitReport writes a submission (claim, report, automatic dispatch) as
// one job of the group commit: one durable commit, shared with the
// submissions that arrive meanwhile. The dispatch has a savepoint of its
// own, so when it fails the report is kept without it.
func (s *ReportStore) SubmitReport(ctx context.Context, sub *feedback.Submission) (feedback.SubmitResult, error) {
	sub.Report.Version = 1
	var res feedback.SubmitResult
	err := s.db.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res = feedback.SubmitResult{}
		if sub.Claim != nil {
			got, taken, err := claimIdempotency(ctx, tx, *sub.Claim)
			if err != nil {
				return err
			}
			if taken {
				if got.RequestHash != sub.Claim.RequestHash {
					return feedback.ErrIdempotencyKeyReused()
				}
				res.Replayed = true
				existing, err := scanReport(tx.QueryRowContext(ctx, getReportSQL, got.ResourceID))
				if err == nil {
					res.Report = existing
					return nil
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				// The first request died before storing its report.
				sub.Rename(got.ResourceID, sub.Report.TrackingCode)
			}
		}
		var rowid int64
		for attempt := 0; ; attempt++ {
			var err error
			rowid, err = insertReportRow(ctx, tx, sub.Report)
			if err == nil {
				break
			}
			if !isUniqueViolation(err) {
				return err
			}
			if existing, gerr := scanReport(tx.QueryRowContext(ctx, getReportSQL, sub.Report.ID)); gerr == nil {
				res.Report = existing
				return nil
			}
			if attempt == 3 {
				return errReportExists()
			}
			sub.Rename(sub.Report.ID, feedback.NewTrackingCode()) // a tracking code clash
		}
		res.Report = sub.Report
		if sub.Dispatched != nil {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT dispatch`); err != nil {
				return err
			}
			if s.dispatchNew(ctx, tx, sub) == nil {
				res.Report = sub.Dispatched
			} else if _, err := tx.ExecContext(ctx, `ROLLBACK TO dispatch`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `RELEASE dispatch`); err != nil {
				return err
			}
		}
		s.db.searchLater(rowid, res.Report)
		return nil
	})
	if c := apperr.CodeOf(err); c == apperr.EINTERNAL {
		return feedback.SubmitResult{}, apperr.Internal(err)
	} else if c != "" {
		return feedback.SubmitResult{}, err
	}
	return res, nil
}

const (
	getReportSQL      = `SELECT ` + reportColumns + ` FROM reports WHERE id = ?`
	byReporterSQL     = `SELECT ` + reportColumns + ` FROM reports WHERE reporter_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	resolvedBeforeSQL = `SELECT ` + reportColumns + ` FROM reports WHERE status = 'resolved' AND resolved_at < ? ORDER BY resolved_at LIMIT ?`
	historySQL        = `SELECT report_id, version, action, from_status, to_status, actor_id, actor_role, agency_code,
		to_agency, note, due_at, duplicate_of, at FROM report_events WHERE report_id = ? ORDER BY version`
)

var _ feedback.BulkReportStore = (*ReportStore)(nil)

// CreateReports stores many reports and their search entries in one
// transaction, through prepared statements.
func (s *ReportStore) CreateReports(ctx context.Context, rs []feedback.Report) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, insertReportSQL)
		if err != nil {
			return err
		}
		defer ins.Close()
		search, err := tx.PrepareContext(ctx, insertSearchSQL)
		if err != nil {
			return err
		}
		defer search.Close()
		for i := range rs {
			r := &rs[i]
			r.Version = 1
			if _, err := ins.ExecContext(ctx, reportArgs(r)...); err != nil {
				return err
			}
			if _, err := search.ExecContext(ctx, r.ID, r.SearchBody()); err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Phản ánh đã tồn tại", "the report exists"))
	}
	return apperr.InternalOrNil(err)
}

// GetReport returns a report by ID.
func (s *ReportStore) GetReport(ctx context.Context, id string) (*feedback.Report, error) {
	r, err := scanReport(s.db.read.QueryRowContext(ctx, getReportSQL, id))
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
		out = append(out, feedback.Report{})
		if err := scanReportInto(rows, &out[len(out)-1]); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// ListByReporter returns a reporter's reports, newest first.
func (s *ReportStore) ListByReporter(ctx context.Context, reporterID, before string, limit int) ([]feedback.Report, error) {
	if before == "" {
		before = "~" // after every ID
	}
	return s.list(ctx, byReporterSQL, reporterID, before, limit)
}

// NearbyCandidates reads IDs and places from the covering index alone.
func (s *ReportStore) NearbyCandidates(ctx context.Context, cells []string, category string, statuses []feedback.Status) ([]feedback.Candidate, error) {
	if len(cells) == 0 || len(statuses) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(cells)+len(statuses)+1)
	for _, c := range cells {
		args = append(args, c)
	}
	for _, st := range statuses {
		args = append(args, string(st))
	}
	q := nearbyQuery(len(cells), category, len(statuses))
	if category != "" {
		args = append(args, category)
	}
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []feedback.Candidate
	for rows.Next() {
		var c feedback.Candidate
		var status string
		if err := rows.Scan(&c.ID, &c.Location.Lat, &c.Location.Lng, &status, &c.ReporterID); err != nil {
			return nil, apperr.Internal(err)
		}
		c.Status = feedback.Status(status)
		out = append(out, c)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// nearbyQuery is NearbyCandidates' statement for so many cells and
// statuses, with a category or not.
func nearbyQuery(cells int, category string, statuses int) string {
	q := `SELECT id, lat, lng, status, reporter_id FROM reports INDEXED BY reports_nearby WHERE cell IN (` + placeholders(cells) + `) AND status IN (` + placeholders(statuses) + `)`
	if category != "" {
		q += ` AND category_code = ?`
	}
	return q
}

// GetReports returns the reports with the IDs.
func (s *ReportStore) GetReports(ctx context.Context, ids []string) ([]feedback.Report, error) {
	if len(ids) == 0 {
		return []feedback.Report{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return s.list(ctx, `SELECT `+reportColumns+` FROM reports WHERE id IN (`+placeholders(len(ids))+`)`, args...)
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

// dueKey is a sortable text form of a deadline: fixed-width UTC, empty for
// none (so handled reports never look overdue).
func dueKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

func onlyOpen(statuses []feedback.Status) bool {
	for _, st := range statuses {
		open := false
		for _, o := range feedback.OpenStatuses {
			open = open || st == o
		}
		if !open {
			return false
		}
	}
	return true
}

// Queue returns a page of a work queue.
func (s *ReportStore) Queue(ctx context.Context, f feedback.QueueFilter) ([]feedback.Report, error) {
	if len(f.Statuses) == 0 {
		return []feedback.Report{}, nil
	}
	q, args := queueQuery(f)
	return s.list(ctx, q, args...)
}

// queueIndex names the index whose order is the queue's order for f, so a
// page reads its rows in order and stops (the query-plan test checks every
// shape). A tracking code names at most one report: its unique index.
func queueIndex(f feedback.QueueFilter) string {
	agency, category := f.AgencyCode != "", f.CategoryCode != ""
	pick := func(agencyCategory, agencyOnly, allCategory, all string) string {
		switch {
		case agency && category:
			return agencyCategory
		case agency:
			return agencyOnly
		case category:
			return allCategory
		}
		return all
	}
	switch {
	case f.TrackingCode != "":
		return ""
	case f.ExtensionPending:
		// The few pending requests, already in queue order.
		return pick("reports_extension_pending", "reports_extension_pending", "reports_extension_pending_all", "reports_extension_pending_all")
	case len(f.Statuses) == 1:
		return pick("reports_queue_status_category", "reports_queue_status", "reports_queue_status_all_category", "reports_queue_status_all")
	case onlyOpen(f.Statuses):
		// Partial indexes of the open reports alone.
		return pick("reports_queue_open_category", "reports_queue_open", "reports_queue_open_all_category", "reports_queue_open_all")
	}
	// Several statuses, not all open (every status, in the store's own
	// tests): the full queue order, the rest checked on the row.
	return pick("reports_queue", "reports_queue", "reports_queue_all", "reports_queue_all")
}

// queueQuery is Queue's statement for f.
func queueQuery(f feedback.QueueFilter) (string, []any) {
	from := `reports`
	if ix := queueIndex(f); ix != "" {
		from += ` INDEXED BY ` + ix
	}
	q := `SELECT ` + reportColumns + ` FROM ` + from
	var args []any
	if len(f.Statuses) == 1 {
		q += ` WHERE status = ?`
	} else {
		q += ` WHERE status IN (` + placeholders(len(f.Statuses)) + `)`
	}
	for _, st := range f.Statuses {
		args = append(args, string(st))
	}
	if onlyOpen(f.Statuses) {
		// Open reports are exactly those with a next deadline: the partial
		// indexes hold just them.
		q += ` AND next_due <> ''`
	}
	cond, more := queueConditions(f)
	q += cond
	args = append(args, more...)
	if c := f.After; c != nil {
		due := dueKey(c.NextDue)
		q += ` AND (urgent < ? OR (urgent = ? AND (next_due > ? OR (next_due = ? AND id > ?))))`
		args = append(args, c.Urgent, c.Urgent, due, due, c.ID)
	}
	if f.TrackingCode == "" { // one report at most: nothing to order
		q += ` ORDER BY urgent DESC, next_due, id`
	}
	q += ` LIMIT ?`
	args = append(args, f.Limit)
	return q, args
}

// queueConditions is the part of a queue's WHERE clause that Queue and
// QueueCounts share: everything but statuses and the page.
func queueConditions(f feedback.QueueFilter) (string, []any) {
	var q string
	var args []any
	if f.AgencyCode != "" {
		q += ` AND agency_code = ?`
		args = append(args, f.AgencyCode)
	}
	if f.CategoryCode != "" {
		q += ` AND category_code = ?`
		args = append(args, f.CategoryCode)
	}
	if f.TrackingCode != "" {
		q += ` AND tracking_code = ?`
		args = append(args, f.TrackingCode)
	}
	if f.ExtensionPending {
		q += ` AND extension IS NOT NULL`
	}
	if f.DueBefore != nil {
		q += ` AND next_due <> '' AND next_due < ?`
		args = append(args, dueKey(*f.DueBefore))
	}
	if len(f.Terms) > 0 {
		q += ` AND rowid IN (SELECT rowid FROM reports_search WHERE reports_search MATCH ?)`
		args = append(args, matchQuery(f.Terms))
	}
	return q, args
}

// matchQuery is an FTS5 query that every term prefixes a word: the terms
// go in quoted, so no query syntax reaches it.
func matchQuery(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"*`
	}
	return strings.Join(quoted, " AND ")
}

// QueueCounts counts a queue's reports per status. Filtered by agency
// and category only (the console's tabs), it sums the counters that
// migration 0077's triggers keep in report_counts: a few rows per
// category, whatever the number of reports. Other filters count the
// matching reports: from the partial index of pending extensions, the
// open reports due before a time (overdue), the search's matches, or the
// one report with a tracking code.
func (s *ReportStore) QueueCounts(ctx context.Context, f feedback.QueueFilter) (map[feedback.Status]int, error) {
	q, args := queueCountsQuery(f)
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := map[feedback.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, apperr.Internal(err)
		}
		if n > 0 { // a counter left at 0 by a change
			out[feedback.Status(st)] = n
		}
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// countersServe reports whether report_counts answers f's counts: no
// filter but agency and category.
func countersServe(f feedback.QueueFilter) bool {
	return f.TrackingCode == "" && len(f.Terms) == 0 && f.DueBefore == nil && !f.ExtensionPending
}

// queueCountsQuery is QueueCounts' statement for f.
func queueCountsQuery(f feedback.QueueFilter) (string, []any) {
	if countersServe(f) {
		// Only agency and category are left, both columns of report_counts.
		cond, args := queueConditions(f)
		return `SELECT status, SUM(n) FROM report_counts WHERE 1 = 1` + cond + ` GROUP BY status`, args
	}
	from, extra := `reports`, ``
	var args []any
	switch {
	case f.ExtensionPending:
		// Otherwise the planner may walk every report to find the few.
		from += ` INDEXED BY reports_extension_pending`
	case f.DueBefore != nil && f.TrackingCode == "" && len(f.Terms) == 0:
		// Overdue: only open reports have a deadline, so the one-status
		// indexes are searched per open status and urgency up to the time,
		// and read the overdue reports' entries alone (not every report of
		// the agency, as a plain agency search would).
		from += ` INDEXED BY ` + queueIndex(feedback.QueueFilter{AgencyCode: f.AgencyCode, CategoryCode: f.CategoryCode,
			Statuses: feedback.OpenStatuses[:1]})
		extra = ` AND status IN (` + placeholders(len(feedback.OpenStatuses)) + `) AND urgent IN (1, 0)`
		for _, st := range feedback.OpenStatuses {
			args = append(args, string(st))
		}
	}
	cond, more := queueConditions(f)
	return `SELECT status, COUNT(*) FROM ` + from + ` WHERE 1 = 1` + extra + cond + ` GROUP BY status`, append(args, more...)
}

func nullTS(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTS(s.String)
	return &t
}

func tsOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func extensionJSON(e *feedback.Extension) any {
	if e == nil {
		return nil
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// UpdateReport writes the report's mutable fields if its version matches.
func (s *ReportStore) UpdateReport(ctx context.Context, r *feedback.Report) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error { return s.update(ctx, tx, r, r.Version) })
	if c := apperr.CodeOf(err); c == apperr.EINTERNAL {
		return apperr.Internal(err)
	} else if c != "" {
		return err
	}
	r.Version++
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// update writes r's mutable fields and its search entry with version+1
// where the stored version is prev.
func (s *ReportStore) update(ctx context.Context, db execer, r *feedback.Report, prev int64) error {
	if err := s.updateRow(ctx, db, r, prev); err != nil {
		return err
	}
	// The search row shares the report's rowid: replace it by rowid (the
	// report_id column is not indexed in FTS5).
	if _, err := db.ExecContext(ctx, `DELETE FROM reports_search WHERE rowid = (SELECT rowid FROM reports WHERE id = ?)`, r.ID); err != nil {
		return apperr.Internal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO reports_search (rowid, report_id, body) SELECT rowid, id, ? FROM reports WHERE id = ?`,
		r.SearchBody(), r.ID); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// updateRow writes r's mutable fields with version+1 where the stored
// version is prev.
func (s *ReportStore) updateRow(ctx context.Context, db execer, r *feedback.Report, prev int64) error {
	reason, _ := json.Marshal(r.RoutingReason)
	res, err := db.ExecContext(ctx, `UPDATE reports SET agency_code = ?, routing_rule = ?, routing_reason = ?, area_code = ?, status = ?,
		dispatch_due = ?, response_due = ?, resolution_due = ?, updated_at = ?, answer = ?, resolved_at = ?, reject_reason = ?,
		duplicate_of = ?, extension = ?, next_due = ?, dispatched_at = ?, responded_at = ?, version = ? WHERE id = ? AND version = ?`,
		r.AgencyCode, r.RoutingRule, string(reason), r.AreaCode, string(r.Status), ts(r.Deadlines.DispatchDue), ts(r.Deadlines.ResponseDue),
		ts(r.Deadlines.ResolutionDue), ts(r.UpdatedAt), r.Answer, tsOrNil(r.ResolvedAt), r.RejectReason, r.DuplicateOf,
		extensionJSON(r.Extension), dueKey(r.NextDue()), tsOrNil(r.DispatchedAt), tsOrNil(r.RespondedAt), prev+1, r.ID, prev)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetReport(ctx, r.ID); err != nil {
			return err
		}
		return errStale()
	}
	return nil
}

func errStale() error {
	return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Phản ánh vừa được thay đổi bởi thao tác khác; hãy tải lại", "the report was changed meanwhile; reload it"))
}

// Transition stores the report as an action left it (next.Version is the
// new version) together with its history event, in one transaction: the
// loser of two concurrent changes gets ECONFLICT and changes nothing.
func (s *ReportStore) Transition(ctx context.Context, next *feedback.Report, ev feedback.Event) error {
	err := s.db.grouped(ctx, func(ctx context.Context, tx *sql.Tx) error { return s.transition(ctx, tx, next, ev) })
	if c := apperr.CodeOf(err); c == apperr.EINTERNAL {
		return apperr.Internal(err)
	}
	return err
}

// transition writes a workflow change in tx: the report, its event and
// the event's outbox entries.
func (s *ReportStore) transition(ctx context.Context, tx *sql.Tx, next *feedback.Report, ev feedback.Event) error {
	if err := s.update(ctx, tx, next, next.Version-1); err != nil {
		return err
	}
	return insertEvent(ctx, tx, ev)
}

// dispatchNew writes the automatic dispatch of a submission's report,
// inserted by the same job: as transition does, but without the search
// entry, written after the dispatch (searchLater).
func (s *ReportStore) dispatchNew(ctx context.Context, tx *sql.Tx, sub *feedback.Submission) error {
	if err := s.updateRow(ctx, tx, sub.Dispatched, sub.Report.Version); err != nil {
		return err
	}
	return insertEvent(ctx, tx, sub.Event)
}

// insertEvent writes a change's history event and its outbox entries.
// An event for a version already recorded is a lost race: errStale.
func insertEvent(ctx context.Context, tx *sql.Tx, ev feedback.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_events (report_id, version, action, from_status, to_status, actor_id, actor_role,
		agency_code, to_agency, note, due_at, duplicate_of, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ReportID, ev.Version, string(ev.Action), string(ev.FromStatus), string(ev.ToStatus), ev.ActorID, string(ev.ActorRole),
		ev.AgencyCode, ev.ToAgency, ev.Note, tsOrNil(ev.DueAt), ev.DuplicateOf, ts(ev.At))
	if isUniqueViolation(err) {
		return errStale()
	}
	if err != nil {
		return err
	}
	return insertNotifications(ctx, tx, ev.Notify)
}

// History returns a report's events, oldest first.
func (s *ReportStore) History(ctx context.Context, reportID string) ([]feedback.Event, error) {
	rows, err := s.db.read.QueryContext(ctx, historySQL, reportID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.Event{}
	for rows.Next() {
		var e feedback.Event
		var action, from, to, role, at string
		var due sql.NullString
		if err := rows.Scan(&e.ReportID, &e.Version, &action, &from, &to, &e.ActorID, &role, &e.AgencyCode, &e.ToAgency, &e.Note, &due,
			&e.DuplicateOf, &at); err != nil {
			return nil, apperr.Internal(err)
		}
		e.Action, e.FromStatus, e.ToStatus, e.ActorRole, e.At = feedback.Action(action), feedback.Status(from), feedback.Status(to),
			identity.Role(role), parseTS(at)
		if due.Valid {
			t := parseTS(due.String)
			e.DueAt = &t
		}
		out = append(out, e)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// Feed returns public reports, newest first (by rowid, the insertion
// order, which every index carries last, so a page is read in order rather
// than sorted). With search terms, FTS5 walks its matches by rowid, newest
// first, and stops at the page; terms go to it as quoted prefix terms, so
// no query syntax reaches it. The cursor is the last rowid of the page.
func (s *ReportStore) Feed(ctx context.Context, f feedback.FeedFilter) ([]feedback.Report, string, error) {
	if len(f.Statuses) == 0 {
		return []feedback.Report{}, "", nil
	}
	walked := false
	if f.BBox != nil && len(f.Terms) == 0 {
		// A map box: the newest reports first, then by place (feedbox.go).
		out, next, done, err := s.feedInBox(ctx, f)
		if err != nil || done {
			return out, next, err
		}
		walked = true
	}
	// Several statuses past a backlog of others (feedmerge.go).
	if out, next, done, err := s.feedMerged(ctx, f, walked); err != nil || done {
		return out, next, err
	}
	return s.feedWalk(ctx, f, 0)
}

// feedWalk reads a page of the feed along its index (or the table), newest
// first; with low > 0, only among rows from rowid low up.
func (s *ReportStore) feedWalk(ctx context.Context, f feedback.FeedFilter, low int64) ([]feedback.Report, string, error) {
	q, args, err := feedQuery(f, low)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", apperr.Internal(err)
	}
	defer rows.Close()
	out := make([]feedback.Report, 0, min(max(f.Limit, 0), 100))
	var last int64
	for rows.Next() {
		out = append(out, feedback.Report{})
		if err := scanReportInto(rowidScanner{rows, &last}, &out[len(out)-1]); err != nil {
			return nil, "", apperr.Internal(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", apperr.Internal(err)
	}
	return out, feedCursor(len(out), f.Limit, last), nil
}

// feedCursor is the next page's cursor after a page of n rows whose last
// has rowid last: none when the page is not full.
func feedCursor(n, limit int, last int64) string {
	if n < limit || n == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("r" + strconv.FormatInt(last, 10)))
}

// feedIndexes are the feed's indexes, each with the equality filters it
// holds, pairs first: rowid follows them, so with those filters fixed the
// index yields the feed's order. With three or more filters the first pair
// found serves and the rest are checked on the row.
var feedIndexes = []struct {
	name    string
	filters []string
}{
	{"reports_feed_category_area", []string{"category_code", "area_code"}},
	{"reports_feed_category_agency", []string{"category_code", "agency_code"}},
	{"reports_feed_area_agency", []string{"area_code", "agency_code"}},
	{"reports_feed_category_status", []string{"category_code", "status"}},
	{"reports_feed_area_status", []string{"area_code", "status"}},
	{"reports_feed_agency_status", []string{"agency_code", "status"}},
	{"reports_feed_category", []string{"category_code"}},
	{"reports_feed_area", []string{"area_code"}},
	{"reports_feed_agency", []string{"agency_code"}},
	{"reports_feed_status", []string{"status"}},
}

// feedIndex names the index for the equality filters set in eq; "" means
// none applies: walk the table by rowid.
func feedIndex(eq map[string]bool) string {
	for _, ix := range feedIndexes {
		all := true
		for _, col := range ix.filters {
			all = all && eq[col]
		}
		if all {
			return ix.name
		}
	}
	return ""
}

// sinceSlack is how far, at most, a report's created_at may run behind a
// report inserted after it (the time between the service stamping a report
// and storing it). A since filter starts its walk at the last report
// created that long before it, so it reads the reports after since and not
// the table before them.
const sinceSlack = 10 * time.Minute

// feedBefore is the rowid a page starts below: its cursor's, or past
// every row.
func feedBefore(f feedback.FeedFilter) (int64, error) {
	if f.Cursor == "" {
		return math.MaxInt64, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
	v, perr := strconv.ParseInt(strings.TrimPrefix(string(b), "r"), 10, 64)
	if err != nil || perr != nil || !strings.HasPrefix(string(b), "r") {
		return 0, apperr.Invalid(i18n.T("Con trỏ trang không hợp lệ", "invalid cursor"),
			apperr.FieldError{Field: "cursor", Message: i18n.T("Con trỏ trang không hợp lệ", "is not a valid cursor")})
	}
	return v, nil
}

// feedQuery is Feed's statement for f; with low > 0, among rows from rowid
// low up only.
func feedQuery(f feedback.FeedFilter, low int64) (string, []any, error) {
	before, err := feedBefore(f)
	if err != nil {
		return "", nil, err
	}
	cols := reportColumnsR
	eq := map[string]string{"category_code": f.CategoryCode, "area_code": f.AreaCode, "agency_code": f.AgencyCode}
	if len(f.Statuses) == 1 {
		eq["status"] = string(f.Statuses[0])
	}
	set := map[string]bool{}
	for col, v := range eq {
		set[col] = v != ""
	}
	var q string
	var args []any
	if len(f.Terms) > 0 {
		// FTS5 drives, newest match first; each match's report is read by
		// rowid and checked against the other filters.
		q = `SELECT r.rowid, ` + cols + ` FROM reports_search s CROSS JOIN reports r NOT INDEXED ON r.rowid = s.rowid
			WHERE reports_search MATCH ? AND s.rowid < ?`
		args = append(args, matchQuery(f.Terms), before)
	} else {
		// Without an index for the filters, walk the table backwards from
		// the newest row: an index on another column would make SQLite sort
		// every match.
		from := `reports r NOT INDEXED`
		if ix := feedIndex(set); ix != "" {
			from = `reports r INDEXED BY ` + ix
		}
		q = `SELECT r.rowid, ` + cols + ` FROM ` + from + ` WHERE r.rowid < ?`
		args = append(args, before)
	}
	if len(f.Statuses) == 1 {
		q += ` AND r.status = ?`
	} else {
		q += ` AND r.status IN (` + placeholders(len(f.Statuses)) + `)`
	}
	for _, st := range f.Statuses {
		args = append(args, string(st))
	}
	for _, col := range []string{"category_code", "area_code", "agency_code"} {
		if eq[col] != "" {
			q += ` AND r.` + col + ` = ?`
			args = append(args, eq[col])
		}
	}
	if b := f.BBox; b != nil {
		q += ` AND r.lng BETWEEN ? AND ? AND r.lat BETWEEN ? AND ?`
		args = append(args, b[0], b[2], b[1], b[3])
	}
	if f.Since != nil {
		q += ` AND r.created_at >= ? AND r.rowid > coalesce((SELECT rowid FROM reports INDEXED BY reports_created
			WHERE created_at < ? ORDER BY created_at DESC LIMIT 1), 0)`
		args = append(args, ts(*f.Since), ts(f.Since.Add(-sinceSlack)))
	}
	if low > 0 && len(f.Terms) == 0 {
		q += ` AND r.rowid >= ?`
		args = append(args, low)
	}
	if len(f.Terms) > 0 {
		q += ` ORDER BY s.rowid DESC LIMIT ?`
	} else {
		q += ` ORDER BY r.rowid DESC LIMIT ?`
	}
	args = append(args, f.Limit)
	return q, args, nil
}

// rowidScanner reads a leading rowid column, then hands the rest to scanReport.
type rowidScanner struct {
	rows  *sql.Rows
	rowid *int64
}

func (r rowidScanner) Scan(dest ...any) error {
	return r.rows.Scan(append([]any{r.rowid}, dest...)...)
}

// ResolvedBefore returns resolved reports whose resolution is older than t.
func (s *ReportStore) ResolvedBefore(ctx context.Context, t time.Time, limit int) ([]feedback.Report, error) {
	return s.list(ctx, resolvedBeforeSQL, ts(t), limit)
}
