package survey

import (
	"context"
	"time"

	"camaug/internal/identity"
)

// InvitationBatch is one issue of invitations (one Invite call): for whom,
// when, how many, and how many were used so far. The tokens themselves are
// not kept (only their hashes), so a batch can be counted but never
// printed again.
type InvitationBatch struct {
	AgencyCode string
	AreaCode   string
	CreatedAt  time.Time
	Issued     int64
	Used       int64
}

// InvitationBatches returns a survey's invitation batches, newest first,
// to its admins.
func (s *Service) InvitationBatches(ctx context.Context, p identity.Principal, id string) ([]InvitationBatch, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.store.InvitationBatches(ctx, sv.ID)
}
