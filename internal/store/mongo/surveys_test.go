package mongo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/survey"
)

// rawDB is a second, plain connection to the test database, to leave it
// the way a crash would.
func rawDB(t *testing.T, srv *mongotest.Server) *driver.Database {
	t.Helper()
	c, err := driver.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect(context.Background()) })
	return c.Database(srv.Database)
}

var questionnaire = survey.Questionnaire{
	Elements: []survey.Element{{Code: "tiep_can", Label: i18n.T("Tiếp cận dịch vụ", "Access")}},
	Sections: []survey.Section{{Code: "a", Title: i18n.T("Phần A", "Part A"), Questions: []survey.Question{
		{Code: "q1", Type: survey.TypeLikert5, Label: i18n.T("Nơi ngồi chờ", "Waiting area"), ElementCode: "tiep_can"},
		{Code: "kenh", Type: survey.TypeMultipleChoice, Label: i18n.T("Kênh", "Channel"),
			Options: []survey.Option{{Value: "sms", Label: i18n.T("Tin nhắn", "SMS")}, {Value: "web", Label: i18n.T("Trang web", "Web")}}},
	}}},
}

func TestSurveyStore_RepairPending(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	st := open(t, srv).Surveys().(*mongo.SurveyStore)
	raw := rawDB(t, srv)

	surveyID, otherID := ids.New(), ids.New()
	for _, id := range []string{surveyID, otherID} {
		if err := st.PutVersion(ctx, survey.Version{SurveyID: id, Number: 1, Questionnaire: questionnaire, PublishedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var want []survey.Count
	var responses []survey.Response
	for i, q1 := range []string{"5", "4", survey.NA, "2"} {
		r := survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, AgencyCode: "so-y-te", AreaCode: "xa-nam-can",
			Channel: survey.ChannelApp, Answers: survey.Answers{"q1": q1, "kenh": []string{"sms"}},
			SubmittedAt: time.Now().Add(-time.Duration(i+1) * time.Hour).Truncate(time.Millisecond)}
		counts := survey.CountsFor(&questionnaire, r)
		if err := st.SubmitResponse(ctx, r, survey.Claim{Participant: fmt.Sprintf("p-%d", i)}, counts); err != nil {
			t.Fatal(err)
		}
		want = append(want, counts...)
		responses = append(responses, r)
	}
	// A fresh submission in flight elsewhere: pending, but not for long.
	fresh := survey.Response{ID: ids.New(), SurveyID: otherID, Version: 1, Channel: survey.ChannelApp,
		Answers: survey.Answers{"q1": "5"}, SubmittedAt: time.Now()}
	if err := st.SubmitResponse(ctx, fresh, survey.Claim{Participant: "p-0"}, survey.CountsFor(&questionnaire, fresh)); err != nil {
		t.Fatal(err)
	}

	// A crash after storing the last response and before adding its
	// counts: it stays pending and its q1 counter was never added to.
	setPending := func(id string) {
		t.Helper()
		if _, err := raw.Collection("survey_responses").UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: true}}}}); err != nil {
			t.Fatal(err)
		}
	}
	setPending(responses[3].ID)
	setPending(fresh.ID)
	if _, err := raw.Collection("survey_buckets").UpdateMany(ctx, bson.D{{Key: "survey_id", Value: surveyID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "counts.q1|2", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Counts(ctx, survey.CountQuery{SurveyID: surveyID})
	if sameCounts(got, want) {
		t.Fatal("the simulated crash changed no counter")
	}

	n, err := st.RepairPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("surveys recounted: got %d, want 1", n)
	}
	got, err = st.Counts(ctx, survey.CountQuery{SurveyID: surveyID})
	if err != nil {
		t.Fatal(err)
	}
	if !sameCounts(got, want) {
		t.Fatalf("counts after repair: got %v, want %v", survey.MergeCounts(got), survey.MergeCounts(want))
	}
	left, err := raw.Collection("survey_responses").CountDocuments(ctx, bson.D{{Key: "pending", Value: true}})
	if err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Fatalf("pending responses after repair: got %d, want 1 (the fresh one)", left)
	}
	if n, err := st.RepairPending(ctx); err != nil || n != 0 {
		t.Fatalf("second repair: got %d, %v; want 0, nil", n, err)
	}
}

func sameCounts(a, b []survey.Count) bool {
	return fmt.Sprint(survey.MergeCounts(a)) == fmt.Sprint(survey.MergeCounts(b))
}

func TestSurveyStore_UpdateCatchesUp(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	st := open(t, srv).Surveys()
	raw := rawDB(t, srv)

	sv := &survey.Survey{ID: ids.New(), Kind: survey.KindCustom, Title: i18n.T("Khảo sát", "Survey"), Status: survey.StatusDraft,
		Questionnaire: questionnaire, Version: 1, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := st.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	// A crash after an update took revision 2 and before it wrote the
	// survey: the revision document holds the survey as the update left it.
	var doc bson.M
	if err := raw.Collection("surveys").FindOne(ctx, bson.D{{Key: "_id", Value: sv.ID}}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	doc["title_vi"], doc["revision"] = "Khảo sát đã sửa", int64(2)
	if _, err := raw.Collection("survey_revisions").InsertOne(ctx, bson.D{{Key: "_id", Value: sv.ID + "#0000000002"},
		{Key: "survey_id", Value: sv.ID}, {Key: "revision", Value: int64(2)}, {Key: "survey", Value: doc}}); err != nil {
		t.Fatal(err)
	}

	stale := *sv
	stale.Title = i18n.T("Thay đổi bị mất", "lost update")
	if err := st.UpdateSurvey(ctx, &stale); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("update over the crashed one: got %v, want ECONFLICT", err)
	}
	got, err := st.GetSurvey(ctx, sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 2 || got.Title.Vi != "Khảo sát đã sửa" {
		t.Fatalf("after catching up: got revision %d, title %q; want 2, %q", got.Revision, got.Title.Vi, "Khảo sát đã sửa")
	}
	got.Status = survey.StatusPublished
	if err := st.UpdateSurvey(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.GetSurvey(ctx, sv.ID); again.Revision != 3 || again.Status != survey.StatusPublished {
		t.Fatalf("after the next update: got %+v, want revision 3, published", again)
	}
}
