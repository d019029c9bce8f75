package api_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"camaug/survey"
)

// papiAnswers answers every PAPI indicator with its best (or worst) answer
// by the template's own scoring.
func papiAnswers(t *testing.T, best bool) map[string]any {
	_, q, err := survey.Template("papi")
	if err != nil {
		t.Fatal(err)
	}
	a := map[string]any{}
	for _, sec := range q.Sections {
		for _, qu := range sec.Questions {
			switch qu.Type {
			case survey.TypeYesNo:
				a[qu.Code] = map[bool]string{true: "yes", false: "no"}[best != qu.Reverse]
			case survey.TypeLikert5:
				a[qu.Code] = map[bool]int{true: 5, false: 1}[best != qu.Reverse]
			case survey.TypeSingleChoice:
				pick, score := "", math.NaN()
				for _, o := range qu.Options {
					if o.Score == nil {
						continue
					}
					if math.IsNaN(score) || (best != qu.Reverse && *o.Score > score) || (best == qu.Reverse && *o.Score < score) {
						pick, score = o.Value, *o.Score
					}
				}
				a[qu.Code] = pick
			case survey.TypeMultipleChoice:
				a[qu.Code] = []string{"certification", "construction", "land", "commune"}
			}
		}
	}
	a["a_contacted"], a["a_inspection_board"] = "yes", "yes"
	return a
}

// visitQuestionnaire is a custom questionnaire of one section that opens
// with the required yes/no question "visited", followed by more.
func visitQuestionnaire(more ...map[string]any) map[string]any {
	qs := []any{map[string]any{"code": "visited", "type": "yes_no", "label": map[string]string{"vi": "Đã đến bộ phận một cửa?"}, "required": true}}
	for _, m := range more {
		qs = append(qs, m)
	}
	return map[string]any{
		"sections": []any{map[string]any{"code": "main", "title": map[string]string{"vi": "Chung"}, "questions": qs}},
		"scoring":  map[string]any{},
	}
}

// TestPAPIStory: a PAPI survey's dimensions are scored 1–10 and summed:
// five respondents with the best answers and five with the worst put a
// dimension at 1 + 9 × 0.5 = 5.5, and the total is the dimensions' sum.
func TestPAPIStory(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-05-04 09:00")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "").AccessToken
		var sv struct{ ID string }
		r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"template": "papi", "title": map[string]string{"vi": "PAPI Cà Mau 2026", "en": "PAPI Ca Mau 2026"},
			"period": map[string]string{"from": "2026-05-01", "to": "2026-06-30"}}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &sv)
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
		var inv struct{ Tokens []string }
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{"count": 10, "agency_code": "ubnd-phuong-an-xuyen", "area_code": "phuong-an-xuyen"})).json(t, &inv)
		if len(inv.Tokens) != 10 {
			t.Fatalf("tokens: %v", inv.Tokens)
		}
		for i, tok := range inv.Tokens {
			r := do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": tok, "answers": papiAnswers(t, i%2 == 0)}))
			wantStatus(t, r, http.StatusCreated)
		}
		analyst := staff(t, env, "analyst", "phantich@camau.gov.vn", "").AccessToken
		var out struct {
			Respondents int64 `json:"respondents"`
			Total       struct {
				Value *float64 `json:"value"`
			} `json:"total"`
			TotalScale struct{ Min, Max float64 } `json:"total_scale"`
			Dimensions []struct {
				Code          string   `json:"code"`
				Value         *float64 `json:"value"`
				N             int64    `json:"n"`
				Scale         struct{ Min, Max float64 }
				Subdimensions []struct {
					Code  string   `json:"code"`
					Value *float64 `json:"value"`
					Scale struct{ Min, Max float64 }
				} `json:"subdimensions"`
			} `json:"dimensions"`
		}
		r = do(t, env.app, req("GET", "/v1/indicators/papi?survey_id="+sv.ID+"&from=2026-05&to=2026-05", analyst, nil))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &out)
		if out.Respondents != 10 || len(out.Dimensions) != 8 {
			t.Fatalf("PAPI: %d respondents, %d dimensions", out.Respondents, len(out.Dimensions))
		}
		for _, d := range out.Dimensions {
			want := 5.5
			if d.Code == "accountability" {
				// Everyone says an inspection board exists (so the follow-up
				// is asked): that indicator is 1, its sub-dimension
				// (1 + 0.5)/2 = 0.75, the dimension 1 + 9 × (0.5 + 0.75 + 0.5)/3.
				want = 6.25
			}
			near(t, d.Code, d.Value, want)
			if d.N != 10 {
				t.Fatalf("%s n %d, want 10", d.Code, d.N)
			}
			// Each of the k sub-dimensions is on its share of 1–10, and
			// they add up to the dimension (PAPI's own arithmetic).
			k := float64(len(d.Subdimensions))
			if d.Scale.Min != 1 || d.Scale.Max != 10 {
				t.Errorf("%s scale %v, want 1–10", d.Code, d.Scale)
			}
			sum := 0.0
			for _, sd := range d.Subdimensions {
				if math.Abs(sd.Scale.Min-1/k) > 1e-12 || math.Abs(sd.Scale.Max-10/k) > 1e-12 {
					t.Errorf("%s scale %v, want %g–%g", sd.Code, sd.Scale, 1/k, 10/k)
				}
				if sd.Value == nil {
					t.Fatalf("%s has no value", sd.Code)
				}
				sum += *sd.Value
				if sd.Code == "inspection_board" {
					// Indicators 1 and 0.5 → 0.75 → 1/3 + (10/3 − 1/3) × 0.75.
					near(t, sd.Code, sd.Value, 1.0/3+3*0.75)
				}
			}
			if math.Abs(sum-*d.Value) > 1e-9 {
				t.Errorf("%s: sub-dimensions add up to %g, want %g", d.Code, sum, *d.Value)
			}
		}
		near(t, "total", out.Total.Value, 7*5.5+6.25)
		if out.TotalScale.Min != 8 || out.TotalScale.Max != 80 {
			t.Errorf("total scale %v, want 8–80", out.TotalScale)
		}
		// A SIPAS reading of a PAPI survey is refused.
		wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID, analyst, nil)), http.StatusUnprocessableEntity)
	})
}

// TestSurveyVersions: publishing freezes a version; editing a published
// survey starts a new one while answers keep going to the frozen one; a
// broken questionnaire is refused with every problem named.
func TestSurveyVersions(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-05-04 09:00")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "").AccessToken
		q := visitQuestionnaire(map[string]any{"code": "wait", "type": "number", "label": map[string]string{"vi": "Chờ bao nhiêu phút?"}, "min": 0, "max": 600,
			"required": true, "relevant": "${visited} = 'yes'"})
		var sv struct {
			ID               string
			Version          int `json:"version"`
			PublishedVersion int `json:"published_version"`
		}
		r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"kind": "custom", "title": "Thời gian chờ", "questionnaire": q,
			"period": map[string]string{"from": "2026-05-01", "to": "2026-05-31"}}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &sv)
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)).json(t, &sv)
		if sv.Version != 1 || sv.PublishedVersion != 1 {
			t.Fatalf("published: %+v", sv)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusConflict)

		// Edit: a third question; version 2 is a draft, answers still go to 1.
		sec := q["sections"].([]any)[0].(map[string]any)
		sec["questions"] = append(sec["questions"].([]any), map[string]any{"code": "staff_polite", "type": "likert5", "label": map[string]string{"vi": "Cán bộ lịch sự?"}})
		r = do(t, env.app, req("PUT", "/v1/surveys/"+sv.ID, admin, map[string]any{"questionnaire": q}))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &sv)
		if sv.Version != 2 || sv.PublishedVersion != 1 {
			t.Fatalf("after an edit: %+v", sv)
		}
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026").AccessToken
		var resp struct{ Version int }
		r = do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", cit, map[string]any{"answers": map[string]any{"visited": "yes", "wait": 45}}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &resp)
		if resp.Version != 1 {
			t.Fatalf("answer stored with version %d, want the frozen 1", resp.Version)
		}
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)).json(t, &sv)
		if sv.PublishedVersion != 2 {
			t.Fatalf("after publishing the edit: %+v", sv)
		}
		var form struct{ Version int }
		do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form", "", nil)).json(t, &form)
		if form.Version != 2 {
			t.Fatalf("form version %d, want 2", form.Version)
		}

		// A publish that froze version 3 and then lost the survey's write
		// (a crash, or a concurrent edit) left version 3 holding the old
		// questionnaire; the edit published next takes number 4, and the
		// frozen 3 is not touched.
		sec["questions"] = append(sec["questions"].([]any), map[string]any{"code": "come_again", "type": "yes_no", "label": map[string]string{"vi": "Sẽ quay lại?"}})
		wantStatus(t, do(t, env.app, req("PUT", "/v1/surveys/"+sv.ID, admin, map[string]any{"questionnaire": q})), http.StatusOK)
		v2, err := env.store.Surveys().GetVersion(t.Context(), sv.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		stale := *v2
		stale.Number = 3
		if err := env.store.Surveys().PutVersion(t.Context(), stale); err != nil {
			t.Fatal(err)
		}
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)).json(t, &sv)
		if sv.PublishedVersion != 4 || sv.Version != 4 {
			t.Fatalf("publishing over a stale frozen version: %+v", sv)
		}
		var form4 struct {
			Version   int
			Questions []struct{ Code string }
		}
		do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form", "", nil)).json(t, &form4)
		if form4.Version != 4 || len(form4.Questions) != 4 {
			t.Fatalf("form after the bump: version %d, %d questions", form4.Version, len(form4.Questions))
		}
		if v3, err := env.store.Surveys().GetVersion(t.Context(), sv.ID, 3); err != nil || len(v3.Questionnaire.Sections[0].Questions) != 3 {
			t.Fatalf("frozen version 3 changed: %v", err)
		}
		// A publish that froze the very working copy before failing: the
		// retry finishes it under the same number.
		qs := sec["questions"].([]any)
		qs[len(qs)-1].(map[string]any)["label"] = map[string]string{"vi": "Lần sau có quay lại không?"}
		wantStatus(t, do(t, env.app, req("PUT", "/v1/surveys/"+sv.ID, admin, map[string]any{"questionnaire": q})), http.StatusOK)
		working, err := env.store.Surveys().GetSurvey(t.Context(), sv.ID)
		if err != nil || working.Version != 5 {
			t.Fatalf("working copy: %+v, %v", working, err)
		}
		if err := env.store.Surveys().PutVersion(t.Context(), survey.Version{SurveyID: sv.ID, Number: 5, Questionnaire: working.Questionnaire, PublishedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)).json(t, &sv)
		if sv.PublishedVersion != 5 {
			t.Fatalf("retrying a publish: %+v", sv)
		}

		// A broken questionnaire: every problem is named.
		bad := map[string]any{"sections": []any{map[string]any{"code": "Main", "title": map[string]string{"vi": "x"}, "questions": []any{
			map[string]any{"code": "a", "type": "likert7", "label": map[string]string{"vi": "A"}},
			map[string]any{"code": "a", "type": "yes_no", "label": map[string]string{"vi": "B"}, "relevant": "${later} = 'yes'"},
		}}}, "scoring": map[string]any{}}
		r = do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"kind": "custom", "title": "Hỏng", "questionnaire": bad,
			"period": map[string]string{"from": "2026-05-01", "to": "2026-05-31"}}))
		p := wantProblem(t, r, http.StatusUnprocessableEntity)
		if len(p.Errors) < 4 {
			t.Fatalf("want the section code, the type, the duplicate code and the relevant named: %+v", p.Errors)
		}
		for _, e := range p.Errors {
			if len(e.Field) < len("questionnaire.") || e.Field[:len("questionnaire.")] != "questionnaire." {
				t.Fatalf("field %q is not under questionnaire.", e.Field)
			}
		}
		// Only admins manage surveys.
		wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/close", cit, nil)), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("GET", "/v1/surveys/"+sv.ID, cit, nil)), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("GET", "/v1/surveys/01ZZZZZZZZZZZZZZZZZZZZZZZZ", admin, nil)), http.StatusNotFound)
	})
}

// TestSurveyFormsDoNotMix: the open-survey cache is keyed by the path's id;
// forms of several surveys fetched in turn each come back as their own.
func TestSurveyFormsDoNotMix(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-05-04 09:00")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "").AccessToken
		q := visitQuestionnaire()
		titles := map[string]string{}
		var ids []string
		for i := 0; i < 4; i++ {
			var sv struct{ ID string }
			title := "Khảo sát số " + string(rune('A'+i))
			r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"kind": "custom", "title": title, "questionnaire": q,
				"period": map[string]string{"from": "2026-05-01", "to": "2026-05-31"}}))
			wantStatus(t, r, http.StatusCreated)
			r.json(t, &sv)
			wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
			titles[sv.ID] = title
			ids = append(ids, sv.ID)
		}
		for round := 0; round < 3; round++ {
			for _, id := range ids {
				var form struct {
					SurveyID string `json:"survey_id"`
					Title    string
				}
				r := do(t, env.app, req("GET", "/v1/surveys/"+id+"/form", "", nil))
				wantStatus(t, r, http.StatusOK)
				r.json(t, &form)
				if form.SurveyID != id || form.Title != titles[id] {
					t.Fatalf("round %d: form for %s came back as %s %q", round, id, form.SurveyID, form.Title)
				}
			}
		}
	})
}

// TestRawExportFollowsVersions: a question that became free text in a later
// version is exported only from the responses whose version asked it as a
// number, and (agency, area, month) cells below the minimum group size are
// withheld.
func TestRawExportFollowsVersions(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-05-04 09:00")
		admin := staff(t, env, "admin", "quantri@camau.gov.vn", "").AccessToken
		analyst := staff(t, env, "analyst", "phantich@camau.gov.vn", "").AccessToken
		questionnaire := func(detail string) map[string]any {
			return visitQuestionnaire(map[string]any{"code": "detail", "type": detail, "label": map[string]string{"vi": "Chi tiết"}})
		}
		var sv struct{ ID string }
		r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"kind": "custom", "title": "Chờ đợi", "questionnaire": questionnaire("number"),
			"period": map[string]string{"from": "2026-05-01", "to": "2026-05-31"}}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &sv)
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
		invite := func(agency string, n int) []string {
			var out struct{ Tokens []string }
			r := do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{"count": n, "agency_code": agency, "area_code": "phuong-an-xuyen"}))
			wantStatus(t, r, http.StatusCreated)
			r.json(t, &out)
			return out.Tokens
		}
		build, health := invite("so-xay-dung", 6), invite("so-y-te", 2)
		answer := func(token string, detail any) {
			t.Helper()
			wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": token,
				"answers": map[string]any{"visited": "yes", "detail": detail}})), http.StatusCreated)
		}
		for _, tok := range build[:3] {
			answer(tok, 45)
		}
		wantStatus(t, do(t, env.app, req("PUT", "/v1/surveys/"+sv.ID, admin, map[string]any{"questionnaire": questionnaire("text")})), http.StatusOK)
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
		for _, tok := range append(build[3:], health...) {
			answer(tok, "Tôi là Nguyễn Văn An, 0909123456")
		}

		r = send(t, env.app, req("GET", "/v1/exports/responses.csv?survey_id="+sv.ID+"&from=2026-05&to=2026-05", analyst, nil))
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.body, []byte("0909123456")) || bytes.Contains(r.body, []byte("so-y-te")) {
			t.Fatalf("the raw export leaks free text or a small cell:\n%s", r.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 7 {
			t.Fatalf("raw export: %d rows, want a header and six", len(rows))
		}
		col := slices.Index(rows[0], "detail")
		if col < 0 {
			t.Fatalf("no detail column: %v", rows[0])
		}
		byVersion := map[string][]string{}
		for _, row := range rows[1:] {
			byVersion[row[1]] = append(byVersion[row[1]], row[col])
		}
		if !slices.Equal(byVersion["1"], []string{"45", "45", "45"}) || !slices.Equal(byVersion["2"], []string{"", "", ""}) {
			t.Fatalf("detail by version: %v", byVersion)
		}
	})
}
