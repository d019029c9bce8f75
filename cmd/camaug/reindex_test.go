package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/internal/store/sqlite"
	"camaug/survey"
)

// `camaug reindex` rebuilds lost counters from the stored responses, and
// the rebuilt counters are exactly the ones ingestion kept.
func TestReindexCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	store := db.Surveys()
	kind, q, err := survey.Template("sipas")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	sv := &survey.Survey{ID: ids.New(), Kind: kind, Template: "sipas", Title: i18n.T("SIPAS", ""), Status: survey.StatusPublished,
		Questionnaire: q, Version: 1, PublishedVersion: 1, CreatedAt: now, UpdatedAt: now,
		Period: survey.Period{From: now.AddDate(0, -1, 0), To: now.AddDate(0, 1, 0)}}
	if err := store.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	if err := store.PutVersion(ctx, survey.Version{SurveyID: sv.ID, Number: 1, Questionnaire: q, PublishedAt: now}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		a := survey.Answers{"q_gender": "nam", "q_age_group": "25_34", "q_education": "university", "q_used_service": "yes", "q_gave_feedback": "no"}
		for _, sec := range q.Sections {
			for _, qu := range sec.Questions {
				if qu.Type == survey.TypeLikert5 && qu.ElementCode != "feedback" {
					a[qu.Code] = []string{"1", "2", "3", "4", "5", "na", "4"}[i]
				}
			}
		}
		r := survey.Response{ID: ids.New(), SurveyID: sv.ID, Version: 1, AgencyCode: "so-y-te", AreaCode: "ca-mau", Channel: survey.ChannelApp,
			Answers: a, SubmittedAt: now.Add(time.Duration(i) * 24 * time.Hour)}
		if err := store.SubmitResponse(ctx, r, survey.Claim{Participant: ids.New()}, survey.CountsFor(&q, r)); err != nil {
			t.Fatal(err)
		}
	}
	all := survey.CountQuery{SurveyID: sv.ID}
	want, _ := store.Counts(ctx, all)
	if len(want) == 0 {
		t.Fatal("no counters after 7 responses")
	}
	if err := store.ReplaceCounts(ctx, sv.ID, nil); err != nil { // the counters are lost
		t.Fatal(err)
	}
	db.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"camaug", "reindex"}, env("CAMAUG_DATA_DIR", dir), &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 surveys from 7 responses") {
		t.Fatalf("output: %s", out.String())
	}
	db, err = sqlite.Open(ctx, filepath.Join(dir, "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, _ := db.Surveys().Counts(ctx, all)
	if !sameCounts(got, want) {
		t.Fatalf("after reindex:\n%v\nwant\n%v", got, want)
	}
}

func sameCounts(a, b []survey.Count) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[survey.Count]int{}
	for _, c := range a {
		m[c]++
	}
	for _, c := range b {
		if m[c] == 0 {
			return false
		}
		m[c]--
	}
	return true
}
