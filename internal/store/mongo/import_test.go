package mongo_test

import (
	"context"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/transfer"
	"camaug/survey"
)

// TestDB_Import: records imported as they are read back through the
// store's interfaces unchanged; importing them again changes nothing; a
// report the target moved on keeps its newer version; a used invitation
// cannot answer again.
func TestDB_Import(t *testing.T) {
	ctx := context.Background()
	db := open(t, mongotest.Start(t))
	at := time.Date(2026, 11, 3, 2, 15, 30, 123_000_000, time.UTC)
	due := at.Add(2 * time.Hour)
	rep := feedback.Report{ID: "01m9r0000000000000000000aa", TrackingCode: "CM-AAAA-BBBB", ReporterID: "u1", CategoryCode: "cap-thoat-nuoc",
		AreaCode: "phuong-tan-thanh", AgencyCode: "cap-nuoc-ca-mau", RoutingReason: i18n.T("quy tắc", "rule"), Title: "Ngập nước",
		Description: "Đường ngập", Location: feedback.Point{Lat: 9.17, Lng: 105.15}, Locale: i18n.VI, Status: feedback.StatusDispatched,
		Deadlines: feedback.Deadlines{DispatchDue: due, ResponseDue: due, ResolutionDue: due}, CreatedAt: at, UpdatedAt: at, Version: 2, DispatchedAt: &at}
	ev := feedback.Event{ReportID: rep.ID, Version: 2, Action: feedback.ActDispatch, FromStatus: feedback.StatusSubmitted, ToStatus: feedback.StatusDispatched,
		ActorID: "u9", ActorRole: identity.RoleCoordinator, AgencyCode: "cap-nuoc-ca-mau", At: at}
	med := feedback.Media{ID: "01m9r0000000000000000000mm", ReportID: rep.ID, ContentType: "image/jpeg", Width: 40, Height: 30, ThumbWidth: 40, ThumbHeight: 30, Size: 900, ThumbSize: 400, CreatedAt: at}
	inv := survey.Invitation{TokenHash: "ab12", SurveyID: "s1", AgencyCode: "so-y-te", AreaCode: "ca-mau", CreatedAt: at, UsedAt: &at}
	recs := []struct {
		kind string
		rec  any
	}{
		{transfer.Reports, rep}, {transfer.Events, ev}, {transfer.Media, med},
		{transfer.Ratings, feedback.Rating{ReportID: rep.ID, UserID: "u1", AgencyCode: "cap-nuoc-ca-mau", AreaCode: "phuong-tan-thanh", Score: 4, CreatedAt: at, UpdatedAt: at}},
		{transfer.Invitations, inv},
		{transfer.Responses, survey.Response{ID: "r1", SurveyID: "s1", Version: 1, AgencyCode: "so-y-te", AreaCode: "ca-mau", Channel: survey.ChannelInvitation,
			Answers: survey.Answers{"q_gender": "nu"}, SubmittedAt: at}},
		{transfer.Idempotency, feedback.Idempotency{Scope: "u1", Key: "k1", RequestHash: "h", ResourceID: rep.ID, CreatedAt: at}},
	}
	for round, want := range []bool{true, false} {
		for _, r := range recs {
			changed, err := db.Import(ctx, r.kind, r.rec)
			if err != nil || changed != want {
				t.Fatalf("round %d, %s: changed %v, %v; want %v", round+1, r.kind, changed, err, want)
			}
			if n, err := db.Count(ctx, r.kind); err != nil || n != 1 {
				t.Fatalf("round %d, %s: count %d, %v; want 1", round+1, r.kind, n, err)
			}
		}
	}
	got, err := db.Reports().GetReport(ctx, rep.ID)
	if err != nil || got.Version != 2 || got.Title != rep.Title || !got.CreatedAt.Equal(at) || got.DispatchedAt == nil {
		t.Fatalf("report read back: %+v, %v", got, err)
	}
	hist, err := db.Reports().History(ctx, rep.ID)
	if err != nil || len(hist) != 1 || hist[0].Action != feedback.ActDispatch || !hist[0].At.Equal(at) {
		t.Fatalf("history read back: %+v, %v", hist, err)
	}
	if m, err := db.Media().GetMedia(ctx, med.ID); err != nil || m != med {
		t.Fatalf("photo read back: %+v, %v; want %+v", m, err, med)
	}
	if r, err := db.Ratings().GetRating(ctx, rep.ID); err != nil || r.Score != 4 {
		t.Fatalf("rating read back: %+v, %v", r, err)
	}
	if rs, err := db.Surveys().Responses(ctx, "s1", "", 10); err != nil || len(rs) != 1 || rs[0].Answers["q_gender"] != "nu" {
		t.Fatalf("responses read back: %+v, %v", rs, err)
	}
	// The used token's claim came with it.
	err = db.Surveys().SubmitResponse(ctx, survey.Response{ID: "r2", SurveyID: "s1", Version: 1, SubmittedAt: at}, survey.Claim{TokenHash: "ab12"}, nil)
	if err == nil {
		t.Fatal("a used invitation answered again after the import")
	}
	// The target moved the report on: an older copy does not undo it.
	older := rep
	older.Version, older.Status = 1, feedback.StatusSubmitted
	if changed, err := db.Import(ctx, transfer.Reports, older); err != nil || changed {
		t.Fatalf("older report: changed %v, %v", changed, err)
	}
	if got, _ := db.Reports().GetReport(ctx, rep.ID); got.Version != 2 {
		t.Fatalf("the older copy replaced version 2 with %d", got.Version)
	}
}
