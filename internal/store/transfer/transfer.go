// Package transfer names the records that move between stores when an
// installation moves from the embedded store to MongoDB (camaug migrate):
// the kinds that no store interface can list or write as they are, with
// the Go type each is carried in. Reference data, users, signing keys,
// surveys and their versions move through the stores' own interfaces;
// counters (survey counts, the rating tally) are rebuilt on the target
// from what was copied.
package transfer

import (
	"context"
	"time"
)

// The kinds, in the order they are copied. Each record is carried as:
const (
	Reports        = "reports"             // feedback.Report
	Events         = "report_events"       // feedback.Event (the history)
	Supports       = "report_supports"     // feedback.Support
	Media          = "media"               // feedback.Media (metadata; bytes go through media.Store)
	Ratings        = "ratings"             // feedback.Rating
	Notifications  = "notifications"       // feedback.Notification (the outbox, delivered or not)
	Invitations    = "survey_invitations"  // survey.Invitation (token hashes only, never tokens)
	Participants   = "survey_participants" // Participant
	Responses      = "survey_responses"    // survey.Response
	Idempotency    = "idempotency_keys"    // feedback.Idempotency (a retry after the move is still recognised)
	StaffLinks     = "oidc_staff_links"    // StaffLink (a staff account's province sign-in)
	RefreshTokens  = "refresh_tokens"      // not copied: see README (Migration)
	ConsoleSession = "sessions"            // not copied: see README (Migration)
)

// Kinds lists the kinds an Exporter streams and an Importer takes.
var Kinds = []string{Reports, Events, Supports, Media, Ratings, Notifications, Invitations, Participants, Responses, Idempotency, StaffLinks}

// StaffLink is a provider subject that signs in to the console as a staff
// account (no store interface lists them: they are looked up by subject).
type StaffLink struct {
	Issuer, Subject, UserID string
	CreatedAt               time.Time
}

// Participant is a signed-in user's one answer to a survey: an opaque key,
// never linked to the response.
type Participant struct {
	SurveyID    string
	Participant string
}

// Exporter streams a store's records of one kind, in a stable order.
type Exporter interface {
	// Export calls fn with each record of kind; an error from fn stops it.
	Export(ctx context.Context, kind string, fn func(rec any) error) error
	// Count returns how many records of kind the store holds.
	Count(ctx context.Context, kind string) (int64, error)
}

// Importer writes records into a store as they are (same IDs, times and
// versions), by upsert: importing a record again changes nothing.
type Importer interface {
	// Import stores rec (one of the types above) and reports whether the
	// store changed.
	Import(ctx context.Context, kind string, rec any) (changed bool, err error)
	// Count returns how many records of kind the store holds.
	Count(ctx context.Context, kind string) (int64, error)
}

// UTC is a helper for importers: stores keep times in UTC.
func UTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
