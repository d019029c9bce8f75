package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/survey"
)

func runSurveys(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("CreateGetUpdate", func(t *testing.T) { testSurveyCreateGetUpdate(t, newStores(t).Surveys) })
	t.Run("List", func(t *testing.T) { testSurveyList(t, newStores(t).Surveys) })
	t.Run("Versions", func(t *testing.T) { testSurveyVersions(t, newStores(t).Surveys) })
	t.Run("Invitations", func(t *testing.T) { testInvitations(t, newStores(t).Surveys) })
	t.Run("InvitationBatches", func(t *testing.T) { testInvitationBatches(t, newStores(t).Surveys) })
	t.Run("SubmitWithToken", func(t *testing.T) { testSubmitWithToken(t, newStores(t).Surveys) })
	t.Run("SubmitWithParticipant", func(t *testing.T) { testSubmitWithParticipant(t, newStores(t).Surveys) })
	t.Run("FailedSubmitStoresNothing", func(t *testing.T) { testFailedSubmit(t, newStores(t).Surveys) })
	t.Run("Counts", func(t *testing.T) { testCounts(t, newStores(t).Surveys) })
	t.Run("CountsCollapse", func(t *testing.T) { testCountsCollapse(t, newStores(t).Surveys) })
	t.Run("CountsOddCodes", func(t *testing.T) { testCountsOddCodes(t, newStores(t).Surveys) })
	t.Run("ConcurrentSubmits", func(t *testing.T) { testConcurrentSubmits(t, newStores(t).Surveys) })
	t.Run("ConcurrentSubmitsCollapse", func(t *testing.T) { testConcurrentSubmitsCollapse(t, newStores(t).Surveys) })
	t.Run("ConcurrentSameToken", func(t *testing.T) { testConcurrentSameToken(t, newStores(t).Surveys) })
	t.Run("Responses", func(t *testing.T) { testResponses(t, newStores(t).Surveys) })
	t.Run("ReplaceCounts", func(t *testing.T) { testReplaceCounts(t, newStores(t).Surveys) })
}

// surveyTime is a moment stores keep exactly (milliseconds, UTC).
func surveyTime(month time.Month, day int) time.Time {
	return time.Date(2026, month, day, 9, 30, 15, 123_000_000, time.UTC)
}

func newSurvey() *survey.Survey {
	lo, hi := 18.0, 99.0
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &survey.Survey{ID: ids.New(), Kind: survey.KindSIPAS, Template: "sipas",
		Title:  i18n.T("Khảo sát mức độ hài lòng 2026", "Satisfaction survey 2026"),
		Period: survey.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)},
		Status: survey.StatusDraft,
		Questionnaire: survey.Questionnaire{
			Elements: []survey.Element{{Code: "tiep-can", Label: i18n.T("Tiếp cận dịch vụ", "Access")}},
			Sections: []survey.Section{{Code: "a", Title: i18n.T("Phần A", "Part A"), Questions: []survey.Question{
				{Code: "q1", Type: survey.TypeLikert5, Label: i18n.T("Nơi ngồi chờ", "Waiting area"), Required: true, ElementCode: "tiep-can"},
				{Code: "kenh", Type: survey.TypeMultipleChoice, Label: i18n.T("Kênh", "Channel"),
					Options: []survey.Option{{Value: "sms", Label: i18n.T("Tin nhắn", "SMS")}, {Value: "web", Label: i18n.T("Trang web", "Web")}}},
				{Code: "tuoi", Type: survey.TypeNumber, Label: i18n.T("Tuổi", "Age"), Min: &lo, Max: &hi, Relevant: "${q1} != 'na'"},
			}}},
			Scoring: survey.Scoring{Satisfied: []string{"4", "5"}, MinGroupSize: 5},
		},
		Version: 1, CreatedAt: now, UpdatedAt: now}
}

// newResponse is a response to version 1 of surveyID with likert answer q1.
func newResponse(surveyID, agency, area, q1 string, at time.Time) survey.Response {
	return survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, AgencyCode: agency, AreaCode: area,
		Channel: survey.ChannelInvitation, SubmittedAt: at,
		Answers: survey.Answers{"q1": q1, "kenh": []string{"sms", "web"}, "tuoi": 42.0}}
}

// countsOf is what the domain counts for a response made by newResponse.
func countsOf(r survey.Response) []survey.Count {
	c := survey.Count{SurveyID: r.SurveyID, Version: r.Version, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode,
		Period: r.SubmittedAt.Format("2006-01"), N: 1}
	out := []survey.Count{c, c, c, c}
	out[0].Question = "_responses"
	out[1].Question, out[1].Answer = "q1", r.Answers["q1"].(string)
	out[2].Question, out[2].Answer = "_element:tiep-can", "answered"
	out[3].Question, out[3].Answer = "kenh", "sms"
	return out
}

// tally sums counts by key, leaving out the survey ID.
func tally(counts []survey.Count) map[string]int64 {
	m := map[string]int64{}
	for _, c := range counts {
		m[fmt.Sprintf("%s|%s|%s|v%d|%s=%s", c.Period, c.AgencyCode, c.AreaCode, c.Version, c.Question, c.Answer)] += c.N
	}
	return m
}

func sameTally(t *testing.T, got, want []survey.Count) {
	t.Helper()
	sameJSON(t, tally(got), tally(want))
}

func mustCounts(t *testing.T, s survey.Store, q survey.CountQuery) []survey.Count {
	t.Helper()
	got, err := s.Counts(context.Background(), q)
	if err != nil {
		t.Fatalf("Counts(%+v): %v", q, err)
	}
	for _, c := range got {
		if c.SurveyID != q.SurveyID {
			t.Fatalf("Counts(%+v) returned a count of survey %s", q, c.SurveyID)
		}
	}
	return got
}

func allResponses(t *testing.T, s survey.Store, surveyID string) []survey.Response {
	t.Helper()
	got, err := s.Responses(context.Background(), surveyID, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// invite stores n unused invitations of a survey and returns their hashes.
func invite(t *testing.T, s survey.Store, surveyID string, n int) []string {
	t.Helper()
	var invs []survey.Invitation
	var hashes []string
	for i := 0; i < n; i++ {
		h := "sha256-" + ids.New()
		hashes = append(hashes, h)
		invs = append(invs, survey.Invitation{TokenHash: h, SurveyID: surveyID, AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen",
			CreatedAt: surveyTime(1, 2)})
	}
	if err := s.CreateInvitations(context.Background(), invs); err != nil {
		t.Fatal(err)
	}
	return hashes
}

func submit(t *testing.T, s survey.Store, r survey.Response, c survey.Claim) {
	t.Helper()
	if err := s.SubmitResponse(context.Background(), r, c, countsOf(r)); err != nil {
		t.Fatalf("SubmitResponse: %v", err)
	}
}

func testSurveyCreateGetUpdate(t *testing.T, s survey.Store) {
	ctx := context.Background()
	sv := newSurvey()
	if err := s.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	if sv.Revision != 1 {
		t.Fatalf("revision after create: got %d, want 1", sv.Revision)
	}
	got, err := s.GetSurvey(ctx, sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, sv)
	wantCode(t, s.CreateSurvey(ctx, newSurveyWithID(sv.ID)), apperr.ECONFLICT)
	_, err = s.GetSurvey(ctx, ids.New())
	wantCode(t, err, apperr.ENOTFOUND)

	stale := *got
	got.Status, got.PublishedVersion, got.Version = survey.StatusPublished, 1, 2
	got.Questionnaire.Sections[0].Questions = got.Questionnaire.Sections[0].Questions[:1]
	got.UpdatedAt = got.UpdatedAt.Add(time.Minute)
	if err := s.UpdateSurvey(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.Revision != 2 {
		t.Fatalf("revision after update: got %d, want 2", got.Revision)
	}
	again, err := s.GetSurvey(ctx, sv.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, again, got)

	stale.Title = i18n.T("Thay đổi bị mất", "lost update")
	wantCode(t, s.UpdateSurvey(ctx, &stale), apperr.ECONFLICT)
	if stale.Revision != 1 {
		t.Fatalf("revision after a failed update: got %d, want 1", stale.Revision)
	}
	again, _ = s.GetSurvey(ctx, sv.ID)
	sameJSON(t, again, got)
	missing := newSurvey()
	missing.Revision = 1
	wantCode(t, s.UpdateSurvey(ctx, missing), apperr.ENOTFOUND)
}

func newSurveyWithID(id string) *survey.Survey {
	sv := newSurvey()
	sv.ID = id
	sv.Title = i18n.T("Bản sao", "copy")
	return sv
}

func testSurveyList(t *testing.T, s survey.Store) {
	ctx := context.Background()
	got, err := s.ListSurveys(ctx, "", 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v; want no surveys", got, err)
	}
	var want []string
	for i := 0; i < 5; i++ {
		sv := newSurvey()
		if err := s.CreateSurvey(ctx, sv); err != nil {
			t.Fatal(err)
		}
		want = append(want, sv.ID)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(want)))
	var seen []string
	before := ""
	for page := 0; page < 4; page++ {
		list, err := s.ListSurveys(ctx, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 2 {
			t.Fatalf("page %d: got %d surveys, want at most 2", page, len(list))
		}
		if len(list) == 0 {
			break
		}
		for _, sv := range list {
			seen = append(seen, sv.ID)
		}
		before = list[len(list)-1].ID
	}
	sameJSON(t, seen, want)
	one, err := s.ListSurveys(ctx, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].ID != want[0] || one[0].Questionnaire.Sections[0].Questions[0].Code != "q1" {
		t.Fatalf("newest survey: got %+v, want %s with its questionnaire", one, want[0])
	}
}

func testSurveyVersions(t *testing.T, s survey.Store) {
	ctx := context.Background()
	sv := newSurvey()
	if err := s.CreateSurvey(ctx, sv); err != nil {
		t.Fatal(err)
	}
	v := survey.Version{SurveyID: sv.ID, Number: 1, Questionnaire: sv.Questionnaire, PublishedAt: surveyTime(1, 5)}
	if err := s.PutVersion(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetVersion(ctx, sv.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, v)
	changed := v
	changed.Questionnaire.Sections = nil
	wantCode(t, s.PutVersion(ctx, changed), apperr.ECONFLICT)
	got, _ = s.GetVersion(ctx, sv.ID, 1)
	sameJSON(t, got, v)
	_, err = s.GetVersion(ctx, sv.ID, 2)
	wantCode(t, err, apperr.ENOTFOUND)
	_, err = s.GetVersion(ctx, ids.New(), 1)
	wantCode(t, err, apperr.ENOTFOUND)
	v2 := v
	v2.Number, v2.PublishedAt = 2, surveyTime(3, 1)
	if err := s.PutVersion(ctx, v2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetVersion(ctx, sv.ID, 2)
	sameJSON(t, got, v2)
}

func testInvitations(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	used := surveyTime(2, 3)
	a := survey.Invitation{TokenHash: "hash-a", SurveyID: surveyID, AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen", CreatedAt: surveyTime(1, 2)}
	b := survey.Invitation{TokenHash: "hash-b", SurveyID: surveyID, AgencyCode: "so-y-te", AreaCode: "xa-nam-can", CreatedAt: surveyTime(1, 2), UsedAt: &used}
	if err := s.CreateInvitations(ctx, []survey.Invitation{a, b}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []survey.Invitation{a, b} {
		got, err := s.GetInvitation(ctx, want.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, got, want)
	}
	_, err := s.GetInvitation(ctx, "hash-unknown")
	wantCode(t, err, apperr.ENOTFOUND)

	// All or none: a batch holding a taken hash stores nothing.
	c := survey.Invitation{TokenHash: "hash-c", SurveyID: surveyID, AgencyCode: "so-y-te", AreaCode: "xa-nam-can", CreatedAt: surveyTime(1, 3)}
	dup := a
	dup.AgencyCode = "overwritten"
	wantCode(t, s.CreateInvitations(ctx, []survey.Invitation{c, dup}), apperr.ECONFLICT)
	_, err = s.GetInvitation(ctx, "hash-c")
	wantCode(t, err, apperr.ENOTFOUND)
	got, _ := s.GetInvitation(ctx, "hash-a")
	sameJSON(t, got, a)
	if err := s.CreateInvitations(ctx, nil); err != nil {
		t.Fatalf("no invitations: %v", err)
	}
}

func testSubmitWithToken(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID, otherID := ids.New(), ids.New()
	tokens := invite(t, s, surveyID, 2)
	other := invite(t, s, otherID, 1)

	r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(3, 10))
	submit(t, s, r, survey.Claim{TokenHash: tokens[0]})
	inv, err := s.GetInvitation(ctx, tokens[0])
	if err != nil {
		t.Fatal(err)
	}
	if inv.UsedAt == nil {
		t.Fatal("invitation after its response: UsedAt is nil, want the time of use")
	}
	sameJSON(t, allResponses(t, s, surveyID), []survey.Response{r})

	again := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "1", surveyTime(3, 11))
	wantCode(t, s.SubmitResponse(ctx, again, survey.Claim{TokenHash: tokens[0]}, countsOf(again)), apperr.ECONFLICT)
	wantCode(t, s.SubmitResponse(ctx, again, survey.Claim{TokenHash: "sha256-unknown"}, countsOf(again)), apperr.ENOTFOUND)
	wantCode(t, s.SubmitResponse(ctx, again, survey.Claim{TokenHash: other[0]}, countsOf(again)), apperr.ENOTFOUND)
	if inv, _ := s.GetInvitation(ctx, other[0]); inv == nil || inv.UsedAt != nil {
		t.Fatalf("another survey's invitation after a refused use: got %+v, want it unused", inv)
	}
	sameJSON(t, allResponses(t, s, surveyID), []survey.Response{r})
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), countsOf(r))

	// The second token still works.
	submit(t, s, again, survey.Claim{TokenHash: tokens[1]})
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), append(countsOf(r), countsOf(again)...))
}

func testSubmitWithParticipant(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID, otherID := ids.New(), ids.New()
	r := newResponse(surveyID, "so-y-te", "xa-nam-can", "4", surveyTime(4, 1))
	r.Channel = survey.ChannelApp
	submit(t, s, r, survey.Claim{Participant: "user-key-1"})
	twice := newResponse(surveyID, "so-y-te", "xa-nam-can", "2", surveyTime(4, 2))
	wantCode(t, s.SubmitResponse(ctx, twice, survey.Claim{Participant: "user-key-1"}, countsOf(twice)), apperr.ECONFLICT)
	sameJSON(t, allResponses(t, s, surveyID), []survey.Response{r})
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), countsOf(r))

	// One answer per survey: the same user may answer another survey.
	elsewhere := newResponse(otherID, "so-y-te", "xa-nam-can", "3", surveyTime(4, 2))
	submit(t, s, elsewhere, survey.Claim{Participant: "user-key-1"})
	submit(t, s, twice, survey.Claim{Participant: "user-key-2"})
	if got := len(allResponses(t, s, surveyID)); got != 2 {
		t.Fatalf("responses: got %d, want 2", got)
	}
}

func testFailedSubmit(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	tokens := invite(t, s, surveyID, 2)
	r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(5, 1))
	submit(t, s, r, survey.Claim{TokenHash: tokens[0]})
	submit(t, s, newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "3", surveyTime(5, 1)), survey.Claim{Participant: "p-1"})
	responses := allResponses(t, s, surveyID)
	counts := mustCounts(t, s, survey.CountQuery{SurveyID: surveyID})

	// A response ID that exists: the claim must not be spent by the
	// failed attempt, and nothing else may change.
	dupID := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "1", surveyTime(5, 2))
	dupID.ID = r.ID
	wantCode(t, s.SubmitResponse(ctx, dupID, survey.Claim{TokenHash: tokens[1]}, countsOf(dupID)), apperr.ECONFLICT)
	wantCode(t, s.SubmitResponse(ctx, dupID, survey.Claim{Participant: "p-2"}, countsOf(dupID)), apperr.ECONFLICT)
	// Spent and unknown claims.
	fresh := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "1", surveyTime(5, 2))
	wantCode(t, s.SubmitResponse(ctx, fresh, survey.Claim{TokenHash: tokens[0]}, countsOf(fresh)), apperr.ECONFLICT)
	wantCode(t, s.SubmitResponse(ctx, fresh, survey.Claim{Participant: "p-1"}, countsOf(fresh)), apperr.ECONFLICT)
	wantCode(t, s.SubmitResponse(ctx, fresh, survey.Claim{TokenHash: "sha256-unknown"}, countsOf(fresh)), apperr.ENOTFOUND)

	sameJSON(t, allResponses(t, s, surveyID), responses)
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), counts)
	if inv, _ := s.GetInvitation(ctx, tokens[1]); inv == nil || inv.UsedAt != nil {
		t.Fatalf("invitation after a failed submission: got %+v, want it unused", inv)
	}
	// The claims the failures did not spend still work.
	submit(t, s, fresh, survey.Claim{TokenHash: tokens[1]})
	other := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "2", surveyTime(5, 3))
	submit(t, s, other, survey.Claim{Participant: "p-2"})
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), append(append(counts, countsOf(fresh)...), countsOf(other)...))
}

func testCounts(t *testing.T, s survey.Store) {
	surveyID, otherID := ids.New(), ids.New()
	var all []survey.Response
	i := 0
	for _, month := range []time.Month{1, 2, 3, 4} {
		for _, agency := range []string{"so-tu-phap", "so-y-te"} {
			for _, area := range []string{"phuong-an-xuyen", "xa-nam-can"} {
				for _, q1 := range []string{"5", "4", survey.NA} {
					i++
					r := newResponse(surveyID, agency, area, q1, surveyTime(month, 1+i%27))
					submit(t, s, r, survey.Claim{Participant: fmt.Sprintf("p-%d", i)})
					all = append(all, r)
				}
			}
		}
	}
	submit(t, s, newResponse(otherID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(2, 1)), survey.Claim{Participant: "p-1"})

	want := func(keep func(survey.Response) bool) []survey.Count {
		var out []survey.Count
		for _, r := range all {
			if keep(r) {
				out = append(out, countsOf(r)...)
			}
		}
		return out
	}
	month := func(r survey.Response) string { return r.SubmittedAt.Format("2006-01") }
	for _, c := range []struct {
		q    survey.CountQuery
		keep func(survey.Response) bool
	}{
		{survey.CountQuery{}, func(survey.Response) bool { return true }},
		{survey.CountQuery{FromPeriod: "2026-02", ToPeriod: "2026-03"}, func(r survey.Response) bool {
			return month(r) >= "2026-02" && month(r) <= "2026-03"
		}},
		{survey.CountQuery{FromPeriod: "2026-03"}, func(r survey.Response) bool { return month(r) >= "2026-03" }},
		{survey.CountQuery{ToPeriod: "2026-01"}, func(r survey.Response) bool { return month(r) <= "2026-01" }},
		{survey.CountQuery{FromPeriod: "2026-02", ToPeriod: "2026-02", AgencyCode: "so-y-te"}, func(r survey.Response) bool {
			return month(r) == "2026-02" && r.AgencyCode == "so-y-te"
		}},
		{survey.CountQuery{AreaCode: "xa-nam-can"}, func(r survey.Response) bool { return r.AreaCode == "xa-nam-can" }},
		{survey.CountQuery{AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen"}, func(r survey.Response) bool {
			return r.AgencyCode == "so-tu-phap" && r.AreaCode == "phuong-an-xuyen"
		}},
		{survey.CountQuery{FromPeriod: "2027-01"}, func(survey.Response) bool { return false }},
	} {
		c.q.SurveyID = surveyID
		got := mustCounts(t, s, c.q)
		sameTally(t, got, want(c.keep))
	}
	// Counts sum across responses: 48 responses, 16 per q1 answer.
	got := tally(mustCounts(t, s, survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-01", ToPeriod: "2026-04"}))
	var responses, fives int64
	for k, n := range got {
		switch {
		case strings.HasSuffix(k, "|_responses="):
			responses += n
		case strings.HasSuffix(k, "|q1=5"):
			fives += n
		}
	}
	if responses != 48 || fives != 16 {
		t.Fatalf("sums: got %d responses and %d answers 5, want 48 and 16", responses, fives)
	}
}

// collapsedKey is the key a collapsed counter has: its version and the
// dimensions q does not keep are left empty.
func collapsedKey(c survey.Count, q survey.CountQuery) string {
	if !q.KeepAgency {
		c.AgencyCode = ""
	}
	if !q.KeepArea {
		c.AreaCode = ""
	}
	if !q.KeepPeriod {
		c.Period = ""
	}
	return fmt.Sprintf("%s|%s|%s|%s=%s", c.Period, c.AgencyCode, c.AreaCode, c.Question, c.Answer)
}

// sameCollapsed checks that got, the result of Counts(q) with Collapse,
// holds one counter per kept key, with Version 0 and the dimensions not
// kept empty, summing to want (uncollapsed counts).
func sameCollapsed(t *testing.T, q survey.CountQuery, got, want []survey.Count) {
	t.Helper()
	g := map[string]int64{}
	for _, c := range got {
		k := collapsedKey(c, q)
		switch {
		case c.Version != 0:
			t.Fatalf("Counts(%+v): got %+v, want Version 0", q, c)
		case !q.KeepAgency && c.AgencyCode != "", !q.KeepArea && c.AreaCode != "", !q.KeepPeriod && c.Period != "":
			t.Fatalf("Counts(%+v): got %+v, want the dimensions not kept empty", q, c)
		case c.N <= 0:
			t.Fatalf("Counts(%+v): got %+v, want N > 0", q, c)
		}
		if _, dup := g[k]; dup {
			t.Fatalf("Counts(%+v): got two counters for %s, want one", q, k)
		}
		g[k] = c.N
	}
	w := map[string]int64{}
	for _, c := range want {
		w[collapsedKey(c, q)] += c.N
	}
	sameJSON(t, g, w)
}

func testCountsCollapse(t *testing.T, s survey.Store) {
	surveyID, otherID := ids.New(), ids.New()
	var all []survey.Response
	i := 0
	for _, month := range []time.Month{1, 2, 3} {
		for _, agency := range []string{"so-tu-phap", "so-y-te"} {
			for _, area := range []string{"phuong-an-xuyen", "xa-nam-can"} {
				for _, q1 := range []string{"5", "4", "2", survey.NA} {
					i++
					r := newResponse(surveyID, agency, area, q1, surveyTime(month, 1+i%27))
					r.Version = 1 + i%2 // counters of two versions of one question add up
					submit(t, s, r, survey.Claim{Participant: fmt.Sprintf("p-%d", i)})
					all = append(all, r)
				}
			}
		}
	}
	submit(t, s, newResponse(otherID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(2, 1)), survey.Claim{Participant: "p-1"})

	month := func(r survey.Response) string { return r.SubmittedAt.Format("2006-01") }
	for _, c := range []struct {
		q    survey.CountQuery
		keep func(survey.Response) bool
	}{
		{survey.CountQuery{}, func(survey.Response) bool { return true }},
		{survey.CountQuery{KeepAgency: true}, func(survey.Response) bool { return true }},
		{survey.CountQuery{KeepArea: true, KeepPeriod: true}, func(survey.Response) bool { return true }},
		{survey.CountQuery{KeepAgency: true, KeepArea: true, KeepPeriod: true}, func(survey.Response) bool { return true }},
		{survey.CountQuery{KeepAgency: true, FromPeriod: "2026-02", ToPeriod: "2026-03"}, func(r survey.Response) bool {
			return month(r) >= "2026-02" && month(r) <= "2026-03"
		}},
		{survey.CountQuery{AgencyCode: "so-y-te"}, func(r survey.Response) bool { return r.AgencyCode == "so-y-te" }},
		{survey.CountQuery{KeepPeriod: true, AreaCode: "xa-nam-can", FromPeriod: "2026-03"}, func(r survey.Response) bool {
			return r.AreaCode == "xa-nam-can" && month(r) >= "2026-03"
		}},
		{survey.CountQuery{KeepArea: true, AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen", ToPeriod: "2026-01"}, func(r survey.Response) bool {
			return r.AgencyCode == "so-tu-phap" && r.AreaCode == "phuong-an-xuyen" && month(r) <= "2026-01"
		}},
		{survey.CountQuery{KeepAgency: true, FromPeriod: "2027-01"}, func(survey.Response) bool { return false }},
	} {
		c.q.SurveyID, c.q.Collapse = surveyID, true
		var want []survey.Count
		for _, r := range all {
			if c.keep(r) {
				want = append(want, countsOf(r)...)
			}
		}
		sameCollapsed(t, c.q, mustCounts(t, s, c.q), want)
	}

	// Everything in one: 48 responses, 12 per q1 answer, over both versions.
	got := mustCounts(t, s, survey.CountQuery{SurveyID: surveyID, Collapse: true})
	n := map[string]int64{}
	for _, c := range got {
		n[c.Question+"="+c.Answer] = c.N
	}
	if n["_responses="] != 48 || n["q1=5"] != 12 || n["q1=na"] != 12 || n["_element:tiep-can=answered"] != 48 || len(got) != 7 {
		t.Fatalf("collapsed to one: got %v, want 48 responses, 12 per q1 answer and 7 counters", n)
	}
	// Without Collapse the Keep fields change nothing.
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID, KeepAgency: true}), mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}))
}

// testCountsOddCodes stores counters whose questions and answers hold the
// characters a store might use to pack or name them.
func testCountsOddCodes(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	odd := []string{"a.b", "$x", "x|y", "50%", "%2E", "tab\there", "line\nbreak", `back\slash`, `\t`, "nul\x00", "Đánh giá", ""}
	base := survey.Count{SurveyID: surveyID, Version: 1, AgencyCode: "so-y-te", AreaCode: "xa-nam-can", Period: "2026-05", N: 1}
	var counts []survey.Count
	for i, q := range odd {
		c := base
		c.Question, c.Answer = "q"+q, odd[(i+3)%len(odd)]
		counts = append(counts, c)
	}
	r := newResponse(surveyID, "so-y-te", "xa-nam-can", "5", surveyTime(5, 10))
	if err := s.SubmitResponse(ctx, r, survey.Claim{Participant: "p-1"}, counts); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitResponse(ctx, newResponse(surveyID, "so-y-te", "xa-nam-can", "5", surveyTime(5, 11)),
		survey.Claim{Participant: "p-2"}, counts[:3]); err != nil {
		t.Fatal(err)
	}
	want := append(counts[:3:3], counts...)
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), want)
	q := survey.CountQuery{SurveyID: surveyID, Collapse: true}
	sameCollapsed(t, q, mustCounts(t, s, q), want)

	if err := s.ReplaceCounts(ctx, surveyID, counts); err != nil {
		t.Fatal(err)
	}
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), counts)
}

func testConcurrentSubmits(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	const n = 20
	tokens := invite(t, s, surveyID, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	var want []survey.Count
	for i := 0; i < n; i++ {
		// All in one month, agency and area: every submission hits the
		// same counters.
		r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", []string{"4", "5"}[i%2], surveyTime(6, 1))
		want = append(want, countsOf(r)...)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- s.SubmitResponse(ctx, r, survey.Claim{TokenHash: tokens[i]}, countsOf(r))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := mustCounts(t, s, survey.CountQuery{SurveyID: surveyID})
	sameTally(t, got, want)
	if k := tally(got)["2026-06|so-tu-phap|phuong-an-xuyen|v1|_responses="]; k != n {
		t.Fatalf("_responses: got %d, want %d", k, n)
	}
	q := survey.CountQuery{SurveyID: surveyID, Collapse: true, KeepAgency: true}
	sameCollapsed(t, q, mustCounts(t, s, q), want)
	if got := len(allResponses(t, s, surveyID)); got != n {
		t.Fatalf("responses: got %d, want %d", got, n)
	}
}

// testConcurrentSubmitsCollapse submits at once to many counters of two
// versions, agencies and months, and reads them back summed.
func testConcurrentSubmitsCollapse(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	var want []survey.Count
	for i := 0; i < n; i++ {
		r := newResponse(surveyID, []string{"so-tu-phap", "so-y-te"}[i%2], "phuong-an-xuyen", []string{"4", "5", "1"}[i%3],
			surveyTime(time.Month(6+i%3), 1))
		r.Version = 1 + i/16
		want = append(want, countsOf(r)...)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- s.SubmitResponse(ctx, r, survey.Claim{Participant: fmt.Sprintf("p-%d", i)}, countsOf(r))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), want)
	for _, q := range []survey.CountQuery{
		{SurveyID: surveyID, Collapse: true},
		{SurveyID: surveyID, Collapse: true, KeepAgency: true},
		{SurveyID: surveyID, Collapse: true, KeepPeriod: true, FromPeriod: "2026-07"},
	} {
		var w []survey.Count
		for _, c := range want {
			if c.Period >= q.FromPeriod {
				w = append(w, c)
			}
		}
		sameCollapsed(t, q, mustCounts(t, s, q), w)
	}
}

func testConcurrentSameToken(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID := ids.New()
	token := invite(t, s, surveyID, 1)[0]
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(6, 1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.SubmitResponse(ctx, r, survey.Claim{TokenHash: token}, countsOf(r))
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch apperr.CodeOf(err) {
		case "":
			ok++
		case apperr.ECONFLICT:
		default:
			t.Fatalf("got error %v, want nil or ECONFLICT", err)
		}
	}
	if ok != 1 {
		t.Fatalf("successful submissions with one token: got %d, want 1", ok)
	}
	responses := allResponses(t, s, surveyID)
	if len(responses) != 1 {
		t.Fatalf("responses: got %d, want 1", len(responses))
	}
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), countsOf(responses[0]))
}

func testResponses(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID, otherID := ids.New(), ids.New()
	var want []survey.Response
	for i := 0; i < 7; i++ {
		r := newResponse(surveyID, "so-y-te", "xa-nam-can", "4", surveyTime(7, 1+i))
		if i == 3 {
			r.Answers = survey.Answers{"q1": survey.NA, "ghi-chu": "Nhân viên nhiệt tình"}
			r.Channel = survey.ChannelApp
		}
		submit(t, s, r, survey.Claim{Participant: fmt.Sprintf("p-%d", i)})
		want = append(want, r)
	}
	submit(t, s, newResponse(otherID, "so-y-te", "xa-nam-can", "4", surveyTime(7, 1)), survey.Claim{Participant: "p-0"})
	sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })

	var got []survey.Response
	after := ""
	for page := 0; page < 5; page++ {
		list, err := s.Responses(ctx, surveyID, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 3 {
			t.Fatalf("page %d: got %d responses, want at most 3", page, len(list))
		}
		if len(list) == 0 {
			break
		}
		got = append(got, list...)
		after = list[len(list)-1].ID
	}
	sameJSON(t, got, want)
	none, err := s.Responses(ctx, ids.New(), "", 10)
	if err != nil || len(none) != 0 {
		t.Fatalf("unknown survey: got %v, %v; want no responses", none, err)
	}
}

func testReplaceCounts(t *testing.T, s survey.Store) {
	ctx := context.Background()
	surveyID, otherID := ids.New(), ids.New()
	for i := 0; i < 3; i++ {
		submit(t, s, newResponse(surveyID, "so-y-te", "xa-nam-can", "4", surveyTime(8, 1)), survey.Claim{Participant: fmt.Sprintf("p-%d", i)})
	}
	kept := newResponse(otherID, "so-y-te", "xa-nam-can", "4", surveyTime(8, 1))
	submit(t, s, kept, survey.Claim{Participant: "p-0"})

	c := survey.Count{SurveyID: surveyID, Version: 2, AgencyCode: "so-tu-phap", AreaCode: "phuong-an-xuyen", Period: "2026-09"}
	next := []survey.Count{c, c, c, c}
	next[0].Question, next[0].N = "_responses", 7
	next[1].Question, next[1].Answer, next[1].N = "q1", "5", 6
	next[2].Question, next[2].Answer, next[2].N = "q1", survey.NA, 1
	next[3].Question, next[3].Answer, next[3].N = "q1", "1", 0 // not returned: N > 0 only
	if err := s.ReplaceCounts(ctx, surveyID, next); err != nil {
		t.Fatal(err)
	}
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), next[:3])
	collapsed := survey.CountQuery{SurveyID: surveyID, Collapse: true}
	sameCollapsed(t, collapsed, mustCounts(t, s, collapsed), next[:3])
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: otherID}), countsOf(kept))

	// Counting goes on from the replaced set.
	r := newResponse(surveyID, "so-tu-phap", "phuong-an-xuyen", "5", surveyTime(9, 3))
	r.Version = 2
	submit(t, s, r, survey.Claim{Participant: "p-new"})
	sameTally(t, mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}), append(next[:3:3], countsOf(r)...))

	if err := s.ReplaceCounts(ctx, surveyID, nil); err != nil {
		t.Fatal(err)
	}
	if got := mustCounts(t, s, survey.CountQuery{SurveyID: surveyID}); len(got) != 0 {
		t.Fatalf("after replacing with nothing: got %v, want no counts", got)
	}
}
