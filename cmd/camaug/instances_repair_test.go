package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/internal/lease"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/survey"
)

// TestSurveyRepair_OnlyWhenAlone: a response a crash left uncounted is
// recounted only when no other instance is serving: not while another's
// heartbeat is live, and once it has left or its heartbeat has ended (a
// dead instance's, waited for).
func TestSurveyRepair_OnlyWhenAlone(t *testing.T) {
	ctx := context.Background()
	srv := mongotest.Start(t)
	var stores [2]*mongo.DB
	for i := range stores {
		db, err := mongo.Open(ctx, srv.URI, mongo.Options{Database: srv.Database})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		stores[i] = db
	}
	q := survey.Questionnaire{Sections: []survey.Section{{Code: "a", Title: i18n.T("Phần A", "Part A"), Questions: []survey.Question{
		{Code: "q1", Type: survey.TypeLikert5, Label: i18n.T("Nơi ngồi chờ", "Waiting area")}}}}}
	ss := stores[0].Surveys()
	surveyID := ids.New()
	if err := ss.PutVersion(ctx, survey.Version{SurveyID: surveyID, Number: 1, Questionnaire: q, PublishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	client, err := driver.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	responses := client.Database(srv.Database).Collection("survey_responses")
	// A crash left a response stored but neither counted nor unmarked.
	stuck := func() {
		t.Helper()
		r := survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, Channel: survey.ChannelApp, Answers: survey.Answers{"q1": "5"},
			SubmittedAt: time.Now().Add(-time.Hour).Truncate(time.Millisecond)}
		if err := ss.SubmitResponse(ctx, r, survey.Claim{Participant: r.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := responses.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pending", Value: true}}}}); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() int64 {
		n, err := responses.CountDocuments(ctx, bson.D{{Key: "pending", Value: true}})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := &lease.Runner{Store: stores[0].Leases(), Owner: "a", TTL: time.Second, Logger: log}
	other := stores[1].Leases()
	stuck()
	other.Heartbeat(ctx, "b", time.Now().Add(time.Minute))

	repairSurveyCounters(ctx, ss, a, log)
	if pending() != 1 || !strings.Contains(logs.String(), "other instances are serving") {
		t.Fatalf("with another instance serving: %d responses pending, log %q; want the repair put off", pending(), logs.String())
	}
	other.Leave(ctx, "b")
	repairSurveyCounters(ctx, ss, a, log)
	if n := pending(); n != 0 {
		t.Fatalf("alone: %d responses still pending, want the repair done", n)
	}

	// At start, a crashed predecessor's heartbeat is waited out.
	stuck()
	other.Heartbeat(ctx, "crashed", time.Now().Add(300*time.Millisecond))
	if err := a.Do(ctx, leaseStartup, func(ctx context.Context) error {
		repairSurveysLocked(ctx, ss, a, 2*time.Second, log)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("after the dead instance's heartbeat ended: %d responses still pending, want the repair done", n)
	}
}
