package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// sipasAnswers fills the 2017 SIPAS template: every criterion of an element
// gets the element's level; the feedback criteria only when gave is yes.
func sipasAnswers(access, procedures, servant, result any, gave bool, feedback any) map[string]any {
	a := map[string]any{"q_gender": "nu", "q_age_group": "35_44", "q_education": "university", "q_used_service": "yes"}
	set := func(prefix string, n int, v any) {
		for i := 1; i <= n; i++ {
			a[fmt.Sprintf("%s_%d", prefix, i)] = v
		}
	}
	set("access", 4, access)
	set("procedures", 5, procedures)
	set("servant", 6, servant)
	set("result", 3, result)
	a["q_gave_feedback"] = map[bool]string{true: "yes", false: "no"}[gave]
	if gave {
		set("feedback", 4, feedback)
	}
	return a
}

type figure struct {
	Value      *float64 `json:"value"`
	N          int64    `json:"n"`
	Suppressed bool     `json:"suppressed"`
	Code       string   `json:"code"`
	CILow      *float64 `json:"ci_low"`
	CIHigh     *float64 `json:"ci_high"`
}

type breakdown struct {
	Key         string   `json:"key"`
	Respondents int64    `json:"respondents"`
	Overall     figure   `json:"overall"`
	Elements    []figure `json:"elements"`
	Criteria    []figure `json:"criteria"`
}

func (b breakdown) element(code string) figure {
	for _, e := range b.Elements {
		if e.Code == code {
			return e
		}
	}
	return figure{}
}

func (b breakdown) criterion(code string) figure {
	for _, c := range b.Criteria {
		if c.Code == code {
			return c
		}
	}
	return figure{}
}

func near(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		if got == nil {
			t.Fatalf("%s = null, want %.12f", name, want)
		}
		t.Fatalf("%s = %.12f, want %.12f", name, *got, want)
	}
}

// TestSIPASStory: an admin creates a SIPAS survey from the 2017–2020
// template (kept as "sipas-2017" for past years, whose figures must not
// move),
// issues invitations for two agencies, people answer through the public
// form, reporters' ratings of answered field reports join the "handling of
// feedback" element, and an analyst reads the indicators by agency and
// downloads the exports. Every figure below is computed by hand from
// PRODUCT.md §8 (share of 4–5 answers; means of criteria and elements).
func TestSIPASStory(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		// Two field reports answered by the Department of Construction and
		// rated 5 and 3 by their reporter, in March.
		at(env, "2026-03-03 09:00")
		registerCitizen(t, env, "0912345678", "bao-cao-2026")
		staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		staff(t, env, "officer", "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
		staff(t, env, "admin", "quantri@camau.gov.vn", "")
		staff(t, env, "analyst", "phantich@camau.gov.vn", "")
		login := func(who string) string {
			if who == "citizen" {
				return loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken
			}
			return loginAs(t, env, who, "mat-khau-an-toan").AccessToken
		}
		for _, score := range []int{5, 3} {
			at(env, "2026-03-03 09:00")
			body := validReport()
			body["category_code"] = "ha-tang-do-thi"
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", login("citizen"), body)).json(t, &rep)
			move := func(token, action, note string) {
				t.Helper()
				wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token,
					map[string]string{"action": action, "note": note, "to_agency_code": map[bool]string{true: "so-xay-dung"}[action == "dispatch"]})), http.StatusOK)
			}
			move(login("dieuphoi@camau.gov.vn"), "dispatch", "")
			officer := login("canbo@soxaydung.camau.gov.vn")
			move(officer, "accept", "")
			move(officer, "resolve", "Đã vá ổ gà.")
			at(env, "2026-03-05 10:00")
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/rating", login("citizen"), map[string]any{"score": score})), http.StatusOK)
		}

		at(env, "2026-03-10 09:00")
		admin := login("quantri@camau.gov.vn")
		r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"template": "sipas-2017", "title": "Khảo sát SIPAS quý I/2026",
			"period": map[string]string{"from": "2026-03-01", "to": "2026-03-31"}}))
		wantStatus(t, r, http.StatusCreated)
		var sv struct {
			ID, Status, Kind string
			Version          int `json:"version"`
		}
		r.json(t, &sv)
		if sv.Status != "draft" || sv.Kind != "sipas" {
			t.Fatalf("created: %+v", sv)
		}
		// Not open before it is published.
		wantProblem(t, do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form", "", nil)), http.StatusConflict)
		r = do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil))
		wantStatus(t, r, http.StatusOK)

		invite := func(agency string, n int) []string {
			var out struct{ Tokens []string }
			r := do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{"count": n, "agency_code": agency, "area_code": "phuong-an-xuyen"}))
			wantStatus(t, r, http.StatusCreated)
			r.json(t, &out)
			if len(out.Tokens) != n {
				t.Fatalf("%d tokens, want %d", len(out.Tokens), n)
			}
			return out.Tokens
		}
		build, health := invite("so-xay-dung", 6), invite("so-y-te", 3)

		// The public form, in English, with a token.
		var form struct {
			Questions []struct {
				Code, Type, Label, Relevant string
				Options                     []struct{ Value, Label string }
			}
		}
		r = do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form?token="+build[0], "", nil, "Accept-Language", "en"))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &form)
		if len(form.Questions) != 28 || form.Questions[0].Label == "" {
			t.Fatalf("form: %d questions", len(form.Questions))
		}

		answer := func(token string, answers map[string]any, want int) {
			t.Helper()
			r := do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": token, "answers": answers}))
			if r.StatusCode != want {
				t.Fatalf("response: %d, want %d: %s", r.StatusCode, want, r.body)
			}
		}
		// Bad answers store nothing and leave the token unused.
		bad := sipasAnswers(5, 4, 5, 3, false, nil)
		bad["feedback_1"] = 4 // asked only of those who gave feedback
		answer(build[0], bad, http.StatusUnprocessableEntity)
		bad = sipasAnswers(5, 4, 5, 3, false, nil)
		bad["q_unknown"] = 1
		answer(build[0], bad, http.StatusUnprocessableEntity)
		answer(build[0], sipasAnswers(6, 4, 5, 3, false, nil), http.StatusUnprocessableEntity)
		answer("NOTATOKEN", sipasAnswers(5, 4, 5, 3, false, nil), http.StatusNotFound)

		// Department of Construction: six respondents.
		first := sipasAnswers(5, 4, 5, 3, true, 4)
		first["q_comment"] = "Tôi là Trần Văn Bình, 0987654321"
		answer(build[0], first, http.StatusCreated)
		answer(build[1], sipasAnswers(4, 2, 5, 4, false, nil), http.StatusCreated)
		answer(build[2], sipasAnswers("3", "na", 4, 5, true, 2), http.StatusCreated)
		answer(build[3], sipasAnswers(5, 5, 2, 4, false, nil), http.StatusCreated)
		answer(build[4], sipasAnswers(2, 4, 4, 1, true, 5), http.StatusCreated)
		answer(build[5], sipasAnswers(4, 3, 5, 5, false, nil), http.StatusCreated)
		// Department of Health: three, all very satisfied.
		for _, tok := range health {
			answer(tok, sipasAnswers(5, 5, 5, 5, false, nil), http.StatusCreated)
		}
		answer(build[0], sipasAnswers(5, 5, 5, 5, false, nil), http.StatusConflict) // a token answers once
		wantProblem(t, do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form?token="+build[0], "", nil)), http.StatusConflict)

		analyst := login("phantich@camau.gov.vn")
		wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID, login("citizen"), nil)), http.StatusForbidden)
		indicators := func() (string, breakdown, []breakdown) {
			r := do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&from=2026-03&to=2026-03&group_by=agency", analyst, nil))
			wantStatus(t, r, http.StatusOK)
			var out struct {
				breakdown
				Groups []breakdown `json:"groups"`
			}
			r.json(t, &out)
			return string(r.body), out.breakdown, out.Groups
		}
		raw, all, groups := indicators()
		for _, secret := range []string{"0987654321", "Bình", "912345678"} {
			if strings.Contains(raw, secret) {
				t.Fatalf("indicators carry %q", secret)
			}
		}
		// By hand. Access answers 5,4,3,5,2,4 + 5,5,5: 7 of 9 are 4–5.
		if all.Respondents != 9 || all.Overall.N != 9 {
			t.Fatalf("respondents %d, overall n %d; want 9", all.Respondents, all.Overall.N)
		}
		c := all.criterion("access_1")
		near(t, "access_1", c.Value, 700.0/9)
		near(t, "access_1 ci_low", c.CILow, 45.25889691069889)
		near(t, "access_1 ci_high", c.CIHigh, 93.67748928821533)
		if c.N != 9 {
			t.Fatalf("access_1 n %d, want 9", c.N)
		}
		near(t, "access", all.element("access").Value, 700.0/9)
		// Procedures 4,2,na,5,4,3 + 5,5,5: "na" is not counted: 6 of 8.
		if c := all.criterion("procedures_2"); c.N != 8 {
			t.Fatalf("procedures_2 n %d, want 8 (no opinion not counted)", c.N)
		}
		near(t, "procedures", all.element("procedures").Value, 75)
		near(t, "servant", all.element("servant").Value, 800.0/9) // 5,5,4,2,4,5 + 5,5,5: 8 of 9
		near(t, "result", all.element("result").Value, 700.0/9)   // 3,4,5,4,1,5 + 5,5,5: 7 of 9
		// Feedback: 3 respondents (4, 2, 5): 2 of 3 per criterion; the
		// reporters' ratings (5, 3): 1 of 2; element = mean of 5 criteria.
		near(t, "feedback_1", all.criterion("feedback_1").Value, 200.0/3)
		near(t, "report_rating", all.criterion("report_rating").Value, 50)
		fb := all.element("feedback")
		near(t, "feedback", fb.Value, 190.0/3)
		if fb.N != 5 {
			t.Fatalf("feedback element n %d, want 3 respondents + 2 ratings", fb.N)
		}
		near(t, "overall", all.Overall.Value, 689.0/9) // (700/9 + 75 + 800/9 + 700/9 + 190/3) / 5

		if len(groups) != 2 || groups[0].Key != "so-xay-dung" || groups[1].Key != "so-y-te" {
			t.Fatalf("groups: %+v", groups)
		}
		near(t, "construction access", groups[0].element("access").Value, 400.0/6) // 5,4,3,5,2,4: 4 of 6
		if g := groups[1]; g.Respondents != 3 || g.Overall.Value != nil || !g.Overall.Suppressed || g.criterion("access_1").CILow != nil {
			t.Fatalf("a group of 3 respondents is not suppressed: %+v", g)
		}

		// Ranking: only the agency with enough respondents is ranked.
		var rank struct {
			Items []struct {
				Rank       int    `json:"rank"`
				AgencyCode string `json:"agency_code"`
			}
		}
		do(t, env.app, req("GET", "/v1/indicators/sipas/ranking?survey_id="+sv.ID+"&from=2026-03&to=2026-03", analyst, nil)).json(t, &rank)
		if len(rank.Items) != 2 || rank.Items[0].AgencyCode != "so-xay-dung" || rank.Items[0].Rank != 1 || rank.Items[1].Rank != 0 {
			t.Fatalf("ranking: %+v", rank.Items)
		}

		// Comparison: April against the month before it (March).
		var cmp struct {
			Respondents int64      `json:"respondents"`
			Previous    *breakdown `json:"previous"`
		}
		do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&from=2026-04&to=2026-04&compare=true", analyst, nil)).json(t, &cmp)
		if cmp.Respondents != 0 || cmp.Previous == nil || cmp.Previous.Respondents != 9 {
			t.Fatalf("comparison: %+v", cmp)
		}
		near(t, "previous overall", cmp.Previous.Overall.Value, 689.0/9)

		// Exports.
		r = send(t, env.app, req("GET", "/v1/exports/sipas.csv?survey_id="+sv.ID+"&from=2026-03&to=2026-03&group_by=agency", analyst, nil, "Accept-Language", "en"))
		wantStatus(t, r, http.StatusOK)
		if !bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF")) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %q, %s", r.body[:min(20, len(r.body))], r.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range rows {
			if row[1] == "" && row[3] == "overall" {
				found = row[7] == fmt.Sprint(689.0/9) && row[8] == "9"
			}
		}
		if !found || len(rows) != 1+3*(1+5+23) {
			t.Fatalf("CSV has %d rows; overall row right: %v", len(rows), found)
		}
		r = send(t, env.app, req("GET", "/v1/exports/sipas.xlsx?survey_id="+sv.ID+"&from=2026-03&to=2026-03&group_by=agency", analyst, nil, "Accept-Language", "en"))
		wantStatus(t, r, http.StatusOK)
		book, err := excelize.OpenReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if sheets := book.GetSheetList(); len(sheets) != 2 {
			t.Fatalf("sheets: %v", sheets)
		}
		v, _ := book.GetCellValue(book.GetSheetList()[0], "H2")
		if !strings.HasPrefix(v, "76.555") {
			t.Fatalf("XLSX overall value %q, want 76.555…", v)
		}
		r = send(t, env.app, req("GET", "/v1/exports/responses.csv?survey_id="+sv.ID+"&from=2026-03&to=2026-03", analyst, nil))
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.body, []byte("0987654321")) || bytes.Contains(r.body, []byte("Bình")) || bytes.Contains(r.body, []byte(build[0])) {
			t.Fatal("the raw export carries a free-text answer or a token")
		}
		rows, _ = csv.NewReader(bytes.NewReader(r.body[3:])).ReadAll()
		// Six rows of the Department of Construction; the Department of
		// Health's three are below the minimum group size and withheld.
		if len(rows) != 7 || rows[0][0] != "n" || rows[1][3] != "so-xay-dung" || bytes.Contains(r.body, []byte("so-y-te")) {
			t.Fatalf("raw export: %d rows, header %v", len(rows), rows[0])
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/exports/responses.csv?survey_id="+sv.ID, login("canbo@soxaydung.camau.gov.vn"), nil)), http.StatusForbidden)

		// Rebuilding the counters from the responses gives the same figures.
		before, _, _ := indicators()
		surveys, responses, err := env.surveys.Reindex(t.Context())
		if err != nil || surveys != 1 || responses != 9 {
			t.Fatalf("reindex: %d surveys, %d responses, %v", surveys, responses, err)
		}
		if after, _, _ := indicators(); after != before {
			t.Fatalf("reindex changed the figures:\nbefore %s\nafter  %s", before, after)
		}

		// A signed-in app user answers once per survey, without a token.
		cit := login("citizen")
		r = do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", cit, map[string]any{"answers": sipasAnswers(4, 4, 4, 4, false, nil)}))
		wantStatus(t, r, http.StatusCreated)
		wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", cit, map[string]any{"answers": sipasAnswers(4, 4, 4, 4, false, nil)})), http.StatusConflict)
		wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"answers": sipasAnswers(4, 4, 4, 4, false, nil)})), http.StatusUnauthorized)
		// Guests (an account per device, free to make again) and staff
		// (judging their own agencies) answer only with an invitation.
		var guest struct {
			AccessToken string `json:"access_token"`
		}
		do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "android-khach-du-lich-01"})).json(t, &guest)
		for _, tok := range []string{guest.AccessToken, login("canbo@soxaydung.camau.gov.vn"), analyst} {
			wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", tok, map[string]any{"answers": sipasAnswers(4, 4, 4, 4, false, nil)})), http.StatusForbidden)
		}
		// The official figure counts invitation responses only; the app
		// response shows with channel=app or all, labelled self-selected,
		// and a rebuild of the counters keeps them apart.
		byChannel := func(path, channel string) (n int64, label string, selfSelected bool) {
			t.Helper()
			q := "?survey_id=" + sv.ID + "&from=2026-03&to=2026-03"
			if channel != "" {
				q += "&channel=" + channel
			}
			r := do(t, env.app, req("GET", path+q, analyst, nil))
			wantStatus(t, r, http.StatusOK)
			var out struct {
				Respondents  int64  `json:"respondents"`
				Channel      string `json:"channel"`
				SelfSelected bool   `json:"self_selected"`
				Items        []struct {
					Overall struct {
						N int64 `json:"n"`
					} `json:"overall"`
				} `json:"items"`
			}
			r.json(t, &out)
			n = out.Respondents
			for _, it := range out.Items {
				n += it.Overall.N
			}
			return n, out.Channel, out.SelfSelected
		}
		for range 2 {
			for _, tc := range []struct {
				path, channel, label string
				n                    int64
				selfSelected         bool
			}{
				{"/v1/indicators/sipas", "", "invitation", 9, false},
				{"/v1/indicators/sipas", "invitation", "invitation", 9, false},
				{"/v1/indicators/sipas", "all", "all", 10, true},
				{"/v1/indicators/sipas", "app", "app", 1, true},
				// The ranking ranks agencies; the app answer named none.
				{"/v1/indicators/sipas/ranking", "", "invitation", 9, false},
				{"/v1/indicators/sipas/ranking", "all", "all", 9, true},
			} {
				n, label, self := byChannel(tc.path, tc.channel)
				if n != tc.n || label != tc.label || self != tc.selfSelected {
					t.Fatalf("%s channel=%q: got n %d, channel %q, self_selected %v; want %d, %q, %v",
						tc.path, tc.channel, n, label, self, tc.n, tc.label, tc.selfSelected)
				}
			}
			if _, n, err := env.surveys.Reindex(t.Context()); err != nil || n != 10 {
				t.Fatalf("reindex: %d responses, %v; want 10", n, err)
			}
		}
		for _, path := range []string{"/v1/indicators/sipas", "/v1/indicators/sipas/ranking", "/v1/indicators/papi", "/v1/exports/sipas.csv"} {
			p := wantProblem(t, do(t, env.app, req("GET", path+"?survey_id="+sv.ID+"&channel=official&group_by=town", analyst, nil)), http.StatusUnprocessableEntity)
			if !hasField(p, "channel") {
				t.Fatalf("%s channel=official: errors %+v, want channel named", path, p.Errors)
			}
		}

		// Closing stops the answers.
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/close", admin, nil)), http.StatusOK)
		wantProblem(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": health[0], "answers": map[string]any{}})), http.StatusConflict)
	})
}
