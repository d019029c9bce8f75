package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/ids"
	"camaug/survey"
)

func TestBucket_Pack(t *testing.T) {
	b := bucket{
		{"q1", "5"}: 3, {"_responses", ""}: 4, {"q1", "na"}: 1, {"tab\there", "line\nbreak"}: 2,
		{`back\slash`, `\t`}: 5, {"gone", "x"}: 0, {"negative", "x"}: -1,
	}
	packed := b.pack()
	want := "_responses\t\t4\n" + `back\\slash` + "\t" + `\\t` + "\t5\nnegative\tx\t-1\nq1\t5\t3\nq1\tna\t1\n" + `tab\there` + "\t" + `line\nbreak` + "\t2\n"
	if packed != want {
		t.Fatalf("pack: got %q, want %q", packed, want)
	}
	got := bucket{}
	if err := got.unpack([]byte(packed)); err != nil {
		t.Fatal(err)
	}
	delete(b, counter{"gone", "x"})
	if len(got) != len(b) {
		t.Fatalf("unpack: got %v, want %v", got, b)
	}
	for k, n := range b {
		if got[k] != n {
			t.Fatalf("unpack %q: got %d, want %d", k, got[k], n)
		}
	}
	for _, bad := range []string{"q1\t5\t3", "q1\t5\n", "q1\t5\tx\n", "q1\t\n", "q1\t5\t99999999999999999999\n"} {
		if err := (bucket{}).unpack([]byte(bad)); err == nil {
			t.Errorf("unpack(%q): got no error, want one", bad)
		}
	}
}

// A batch whose bucket write fails stores nothing of any submission in it:
// every caller gets the error and may submit again with the same claim.
func TestSurveyStore_BucketWriteFailsBatch(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := db.Surveys().(*SurveyStore)
	surveyID := ids.New()
	at := time.Date(2026, 5, 10, 9, 0, 0, 0, time.UTC)
	sub := func(agency, participant string) *submission {
		r := survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, AgencyCode: agency, AreaCode: "xa-nam-can",
			Channel: survey.ChannelApp, Answers: survey.Answers{"q1": "5"}, SubmittedAt: at}
		c := survey.Count{SurveyID: surveyID, Version: 1, AgencyCode: agency, AreaCode: "xa-nam-can", Period: "2026-05", N: 1}
		counts := []survey.Count{c, c}
		counts[0].Question = survey.CountResponses
		counts[1].Question, counts[1].Answer = "q1", "5"
		return &submission{ctx: ctx, r: r, answers: `{"q1":"5"}`, claim: survey.Claim{Participant: participant}, counts: counts,
			done: make(chan error, 1)}
	}
	// A bucket the code cannot read: adding to it fails.
	if _, err := db.write.ExecContext(ctx, `INSERT INTO survey_buckets (survey_id, period, agency_code, area_code, version, counts)
		VALUES (?, '2026-05', 'so-y-te', 'xa-nam-can', 1, 'not packed')`, surveyID); err != nil {
		t.Fatal(err)
	}
	good, bad := sub("so-tu-phap", "p-1"), sub("so-y-te", "p-2")
	st.commit([]*submission{good, bad})
	for _, s := range []*submission{good, bad} {
		if err := <-s.done; apperr.CodeOf(err) != apperr.EINTERNAL {
			t.Fatalf("submission to %s: got %v, want EINTERNAL", s.r.AgencyCode, err)
		}
	}
	if got, _ := st.Responses(ctx, surveyID, "", 10); len(got) != 0 {
		t.Fatalf("responses after the failed batch: got %d, want 0", len(got))
	}
	if got, _ := st.Counts(ctx, survey.CountQuery{SurveyID: surveyID, AgencyCode: "so-tu-phap"}); len(got) != 0 {
		t.Fatalf("counters after the failed batch: got %v, want none", got)
	}

	if _, err := db.write.ExecContext(ctx, `DELETE FROM survey_buckets WHERE survey_id = ?`, surveyID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*submission{good, bad} {
		if err := st.SubmitResponse(ctx, s.r, s.claim, s.counts); err != nil {
			t.Fatalf("submitting again with the same claim: %v", err)
		}
	}
	got, err := st.Counts(ctx, survey.CountQuery{SurveyID: surveyID, Collapse: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].N != 2 || got[1].N != 2 {
		t.Fatalf("counters: got %+v, want _responses and q1=5 at 2", got)
	}
}
