package storetest

import (
	"context"
	"testing"
	"time"

	"camaug/internal/ids"
	"camaug/survey"
)

// testInvitationBatches: each CreateInvitations is one batch, counted
// issued and used, newest first; another survey's batches never show.
func testInvitationBatches(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID, otherID := ids.New(), ids.New()
	empty, err := s.InvitationBatches(ctx, surveyID)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("no invitations: got %v, %v; want an empty list", empty, err)
	}
	batch := func(sid, agency, area string, at time.Time, n int) []string {
		var invs []survey.Invitation
		var hashes []string
		for range n {
			h := "sha256-" + ids.New()
			hashes = append(hashes, h)
			invs = append(invs, survey.Invitation{TokenHash: h, SurveyID: sid, AgencyCode: agency, AreaCode: area, CreatedAt: at})
		}
		if err := s.CreateInvitations(ctx, invs); err != nil {
			t.Fatal(err)
		}
		return hashes
	}
	first := batch(surveyID, "so-tu-phap", "phuong-an-xuyen", surveyTime(1, 2), 3)
	batch(surveyID, "so-y-te", "xa-nam-can", surveyTime(1, 5), 2)
	batch(otherID, "so-tu-phap", "phuong-an-xuyen", surveyTime(1, 2), 4)
	for _, h := range first[:2] {
		r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "4", surveyTime(1, 3))
		submit(t, s, r, survey.Claim{TokenHash: h})
	}
	got, err := s.InvitationBatches(ctx, surveyID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, []survey.InvitationBatch{
		{AgencyCode: "so-y-te", AreaCode: "xa-nam-can", CreatedAt: surveyTime(1, 5), Issued: 2, Used: 0},
		{AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen", CreatedAt: surveyTime(1, 2), Issued: 3, Used: 2},
	})
}
