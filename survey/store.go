package survey

import "context"

// Store keeps surveys, frozen versions, invitations, responses and their
// counters. Errors are apperr codes: ENOTFOUND, ECONFLICT.
type Store interface {
	// CreateSurvey stores a new survey (Revision 1). ECONFLICT if the ID exists.
	CreateSurvey(ctx context.Context, s *Survey) error
	// GetSurvey returns ENOTFOUND for an unknown ID.
	GetSurvey(ctx context.Context, id string) (*Survey, error)
	// UpdateSurvey writes s if the stored revision is s.Revision and bumps
	// s.Revision; ECONFLICT on a stale revision, ENOTFOUND if gone.
	UpdateSurvey(ctx context.Context, s *Survey) error
	// ListSurveys returns surveys newest first (by ID, descending) with IDs
	// below before (all when empty), at most limit.
	ListSurveys(ctx context.Context, before string, limit int) ([]Survey, error)

	// PutVersion stores a frozen version; ECONFLICT if (SurveyID, Number)
	// exists.
	PutVersion(ctx context.Context, v Version) error
	// GetVersion returns ENOTFOUND when the version does not exist.
	GetVersion(ctx context.Context, surveyID string, number int) (*Version, error)

	// CreateInvitations stores invitations, all or none.
	CreateInvitations(ctx context.Context, invs []Invitation) error
	// GetInvitation returns ENOTFOUND for an unknown token hash.
	GetInvitation(ctx context.Context, tokenHash string) (*Invitation, error)
	// InvitationBatches counts a survey's invitations, issued and used,
	// by batch: the agency, area and creation time that one
	// CreateInvitations gives all its invitations. Newest first; none is
	// an empty list.
	InvitationBatches(ctx context.Context, surveyID string) ([]InvitationBatch, error)

	// SubmitResponse spends the claim, stores r and adds each count's N (1
	// for a response) to its counter, as one unit: either all of it is stored or none. A claim
	// already spent gives ECONFLICT; a token hash that is no invitation of
	// r.SurveyID gives ENOTFOUND. Of concurrent submissions with one
	// claim exactly one succeeds, and concurrent submissions never lose a
	// count.
	SubmitResponse(ctx context.Context, r Response, claim Claim, counts []Count) error
	// Counts returns the counters matching q (N > 0), in any order.
	Counts(ctx context.Context, q CountQuery) ([]Count, error)
	// Responses returns a survey's responses in ID order, with IDs above
	// after, at most limit: for the raw export and reindexing.
	Responses(ctx context.Context, surveyID, after string, limit int) ([]Response, error)
	// ReplaceCounts makes counts the survey's whole set of counters
	// (reindex). On SQLite concurrent readers see the old or the new set;
	// on MongoDB, which has no transactions here, run it while no
	// responses arrive.
	ReplaceCounts(ctx context.Context, surveyID string, counts []Count) error
}
