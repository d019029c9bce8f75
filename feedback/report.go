package feedback

import (
	"context"
	"crypto/rand"
	"time"

	"camaug/internal/i18n"
)

// Status is where a report is in its handling.
type Status string

// The statuses.
const (
	StatusSubmitted  Status = "submitted"
	StatusDispatched Status = "dispatched"
	StatusAccepted   Status = "accepted"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
	StatusRejected   Status = "rejected"
)

// OpenStatuses are the statuses of reports still being handled: the ones
// "nearby" offers to support instead of reporting again.
var OpenStatuses = []Status{StatusSubmitted, StatusDispatched, StatusAccepted, StatusInProgress}

// Report is a field report (phản ánh hiện trường).
type Report struct {
	ID           string
	TrackingCode string
	// ReporterID is the account that sent it. Agencies never see it when
	// Anonymous is set (the default).
	ReporterID   string
	Anonymous    bool
	ContactPhone string

	CategoryCode  string
	AreaCode      string
	AgencyCode    string
	RoutingRule   string
	RoutingReason i18n.Text

	Title       string
	Description string
	Address     string
	Location    Point
	Cell        string // geohash, precision 7, for nearby searches
	Urgent      bool
	Locale      i18n.Lang

	Status          Status
	Deadlines       Deadlines
	Answer          string     // the agency's published answer (set on resolve)
	DispatchedAt    *time.Time // when the coordinator dispatched it
	RespondedAt     *time.Time // when the current agency took it up (accept)
	ResolvedAt      *time.Time // when it was last resolved
	RejectReason    string
	DuplicateOf     string
	Extension       *Extension // a pending request for more time
	ClientCreatedAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Version         int64
	SupportCount    int
}

// IsOpen reports whether the report is still being handled.
func (r *Report) IsOpen() bool {
	for _, s := range OpenStatuses {
		if r.Status == s {
			return true
		}
	}
	return false
}

// Idempotency is a claimed Idempotency-Key: the first request with the key
// claims it for the resource it will create; retries with the same body
// get that resource back until ExpiresAt.
type Idempotency struct {
	Scope       string // the user ID: keys are per user
	Key         string
	RequestHash string
	ResourceID  string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// IdempotencyTTL is how long a claimed Idempotency-Key answers retries.
// The IETF draft on the header (draft-ietf-httpapi-idempotency-key-header,
// section 2.3) leaves the expiry to the resource, which publishes it (our
// OpenAPI document does); a day covers a phone that retries after a night
// without signal, as payment APIs that use the header keep keys 24 hours.
const IdempotencyTTL = 24 * time.Hour

// Candidate is a report's ID and place, for nearby searches.
type Candidate struct {
	ID       string
	Location Point
	Status   Status
	// ReporterID is for the server's decisions only (a reporter sees
	// their own unpublished report in full); never shown.
	ReporterID string
}

// Support is one person adding their voice to a report.
type Support struct {
	ReportID  string
	UserID    string
	CreatedAt time.Time
}

// ReportStore keeps reports.
type ReportStore interface {
	// ClaimIdempotency stores k unless its (Scope, Key) is taken by a claim
	// that has not expired at k.CreatedAt; then it returns the stored claim
	// and ECONFLICT. An expired claim is never honoured: k replaces it. Of
	// concurrent claims exactly one succeeds.
	ClaimIdempotency(ctx context.Context, k Idempotency) (Idempotency, error)
	// CreateReport stores a new report. Returns ECONFLICT if its ID or
	// tracking code exists.
	CreateReport(ctx context.Context, r *Report) error
	// GetReport returns ENOTFOUND if no report has the ID.
	GetReport(ctx context.Context, id string) (*Report, error)
	// ListByReporter returns the reporter's reports, newest first, with IDs
	// below before (all when empty), at most limit.
	ListByReporter(ctx context.Context, reporterID, before string, limit int) ([]Report, error)
	// NearbyCandidates returns the ID and location of the reports whose
	// cell is one of cells, with one of statuses, and of the category when
	// it is set: just what a distance check needs, read from an index.
	NearbyCandidates(ctx context.Context, cells []string, category string, statuses []Status) ([]Candidate, error)
	// UpdateReport writes r if the stored version is r.Version, and bumps
	// r.Version. Returns ENOTFOUND, or ECONFLICT on a stale version.
	UpdateReport(ctx context.Context, r *Report) error
	// Transition stores next (whose Version is one above the stored one),
	// its history event ev and ev.Notify's outbox entries at once. Returns ECONFLICT when the stored
	// version moved on: of concurrent changes exactly one wins.
	Transition(ctx context.Context, next *Report, ev Event) error
	// Queue returns reports matching f in queue order (urgent first, then
	// by NextDue, then by ID), after f.After, at most f.Limit.
	Queue(ctx context.Context, f QueueFilter) ([]Report, error)
	// QueueCounts returns how many reports match f in each status (absent
	// when none), ignoring f.Statuses, f.After and f.Limit.
	QueueCounts(ctx context.Context, f QueueFilter) (map[Status]int, error)
	// Feed returns public reports matching f, newest first, and the cursor
	// of the next page ("" at the end). Returns EINVALID for a cursor it did
	// not make.
	Feed(ctx context.Context, f FeedFilter) ([]Report, string, error)
	// ResolvedBefore returns up to limit reports still resolved (not
	// closed) whose resolution is older than t.
	ResolvedBefore(ctx context.Context, t time.Time, limit int) ([]Report, error)
	// History returns a report's events, oldest first.
	History(ctx context.Context, reportID string) ([]Event, error)
	// GetReports returns the reports with the IDs; unknown IDs are skipped.
	GetReports(ctx context.Context, ids []string) ([]Report, error)
	// AddSupport records that a person supports a report; it reports false
	// when they already did. The report's SupportCount counts each person
	// once.
	AddSupport(ctx context.Context, s Support) (bool, error)
	// The outbox written by Transition.
	NotificationStore
	// The facts of the public handling figures.
	FactStore
	// Reports by their last change, for syncing (sync.go).
	ChangeStore
}

// trackingAlphabet has no 0/O, 1/I/L or U/V lookalikes: a code read over
// the phone is typed right.
const trackingAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

// NewTrackingCode returns a short human code like "CM-7KQ4-X9TP":
// 29^8 ≈ 5·10^11 codes, so a clash (retried by the service) is rare.
func NewTrackingCode() string {
	var b [8]byte
	rand.Read(b[:])
	out := []byte("CM-0000-0000")
	pos := []int{3, 4, 5, 6, 8, 9, 10, 11}
	for i, p := range pos {
		out[p] = trackingAlphabet[int(b[i])%len(trackingAlphabet)]
	}
	return string(out)
}
