package feedback

import (
	"context"
	"strings"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Submission is everything one report submission writes, computed by the
// service before the store is called (the store only writes): the
// idempotency claim, the report, and its automatic dispatch.
type Submission struct {
	// Claim, when set, is the Idempotency-Key's claim; its ResourceID is
	// Report.ID.
	Claim *Idempotency
	// Report is the report as submitted, Version 1.
	Report *Report
	// Dispatched, when set, is Report as its automatic dispatch left it
	// (Version 2), and Event that dispatch's history event with its outbox
	// entries (Apply's answer).
	Dispatched *Report
	Event      Event
}

// SubmitResult is what a submission stored.
type SubmitResult struct {
	// Report is the report as stored: the dispatched one when the dispatch
	// was written, the stored first report when the key was claimed by an
	// earlier request that stored it.
	Report *Report
	// Replayed is true when the key was claimed by an earlier request with
	// the same body: Report is the one that request claimed.
	Replayed bool
}

// Submitter is a store that writes a whole submission in one call, so a
// submission waits for one durable commit instead of three (claim,
// report, dispatch). The service uses it when the store has it.
type Submitter interface {
	// SubmitReport stores s:
	//
	//   - s.Claim, as ClaimIdempotency would. A live claim of the key with
	//     another RequestHash is ErrIdempotencyKeyReused and nothing is
	//     written. With the same hash the request is a retry (Replayed):
	//     the claimed report is returned if it is stored; if not (the first
	//     request died before storing it), s is stored under the claimed
	//     ID (see Rename).
	//   - s.Report, as CreateReport would; a tracking code already used is
	//     replaced by a new one (Rename) and the insert retried, a few
	//     times, then ECONFLICT.
	//   - s.Dispatched and s.Event, as Transition would. If that write
	//     fails the report stays stored, undispatched, and the result says
	//     so: it waits for the coordinator like any other.
	//
	// It returns once all it wrote is durable. Of concurrent submissions
	// with the same claim exactly one stores a report.
	SubmitReport(ctx context.Context, s *Submission) (SubmitResult, error)
}

// Rename gives the submission's report another ID and tracking code, in
// the report, its dispatched form, the event and the outbox entries (whose
// IDs derive from the report's).
func (s *Submission) Rename(id, trackingCode string) {
	oldID := s.Report.ID
	s.Report.ID, s.Report.TrackingCode = id, trackingCode
	if s.Claim != nil {
		s.Claim.ResourceID = id
	}
	if s.Dispatched == nil {
		return
	}
	s.Dispatched.ID, s.Dispatched.TrackingCode = id, trackingCode
	s.Event.ReportID = id
	notify := make([]Notification, len(s.Event.Notify))
	for i, n := range s.Event.Notify {
		n.ReportID, n.TrackingCode = id, trackingCode
		if rest, ok := strings.CutPrefix(n.ID, eventKey(oldID, n.Version)); ok {
			n.ID = eventKey(id, n.Version) + rest
		}
		notify[i] = n
	}
	s.Event.Notify = notify
}

// ErrIdempotencyKeyReused is the 409 for an Idempotency-Key that was used
// with another request.
func ErrIdempotencyKeyReused() error {
	return apperr.ConflictOf(apperr.KindIdempotencyKey, i18n.T("Idempotency-Key này đã dùng cho một yêu cầu khác",
		"this Idempotency-Key was used for a different request"))
}
