package api_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"
)

// wilsonByHand is the 95% Wilson score interval of k in n, in percent,
// written out here from its textbook formula so that the API's figures are
// checked against an independent computation.
func wilsonByHand(k, n float64) (lo, hi float64) {
	const z = 1.959963984540054
	p := k / n
	centre := (p + z*z/(2*n)) / (1 + z*z/n)
	half := z / (1 + z*z/n) * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	return 100 * (centre - half), 100 * (centre + half)
}

// sipas2023Answers answers the 2023 SIPAS template. The views part (1) is
// the same for everyone; a respondent who used the service rates every
// criterion of an element with that element's level (levels: access,
// procedures, servant, result), the feedback criteria only when they gave
// feedback (fb > 0) and the online ones only when they used the online
// service (online > 0).
func sipas2023Answers(used bool, levels [4]any, fb, online any) map[string]any {
	a := map[string]any{
		"q_gender": "nam", "q_age_group": "45_54", "q_education": "upper_secondary",
		"a_policy_interest": "some", "a_info_channels": []string{"tv_radio", "local"}, "a_info_suitability": "suitable",
		"a_willing_comment": "yes", "a_harassment": "none", "a_informal_payment": "dont_know", "a_channel_suitability": "partly",
		"a_experience": []string{"admin_service"}, "e_priorities": []string{"online", "timeliness"},
		"q_used_service": map[bool]string{true: "yes", false: "no"}[used],
	}
	if !used {
		return a
	}
	for i, prefix := range []string{"access", "procedures", "servant", "result"} {
		n := map[string]int{"access": 3, "procedures": 3, "servant": 3, "result": 2}[prefix]
		for j := 1; j <= n; j++ {
			a[fmt.Sprintf("%s_%d", prefix, j)] = levels[i]
		}
	}
	a["q_gave_feedback"] = map[bool]string{true: "yes", false: "no"}[fb != nil]
	if fb != nil {
		a["feedback_1"], a["feedback_2"] = fb, fb
	}
	a["q_used_online"] = map[bool]string{true: "yes", false: "no"}[online != nil]
	if online != nil {
		a["online_1"], a["online_2"], a["online_3"] = online, online, online
	}
	return a
}

// storyCast registers the citizen and the staff the survey stories use
// (a coordinator, an officer of the Department of Construction, an admin
// and an analyst) and returns a function that signs one of them in:
// "citizen" or a staff e-mail.
func storyCast(t *testing.T, env *testEnv) func(who string) string {
	t.Helper()
	registerCitizen(t, env, "0912345678", "bao-cao-2026")
	staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	staff(t, env, "officer", "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
	staff(t, env, "admin", "quantri@camau.gov.vn", "")
	staff(t, env, "analyst", "phantich@camau.gov.vn", "")
	return func(who string) string {
		if who == "citizen" {
			return loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken
		}
		return loginAs(t, env, who, "mat-khau-an-toan").AccessToken
	}
}

// rateAnsweredReport has the citizen report a problem in category, the
// coordinator dispatch it to the Department of Construction, its officer
// accept and resolve it, and the citizen rate the answer score.
func rateAnsweredReport(t *testing.T, env *testEnv, login func(string) string, category string, score int) {
	t.Helper()
	body := validReport()
	body["category_code"] = category
	var rep reportResp
	r := do(t, env.app, req("POST", "/v1/reports", login("citizen"), body))
	wantStatus(t, r, http.StatusCreated)
	r.json(t, &rep)
	move := func(token, action, note string) {
		t.Helper()
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token,
			map[string]string{"action": action, "note": note, "to_agency_code": map[bool]string{true: "so-xay-dung"}[action == "dispatch"]})), http.StatusOK)
	}
	move(login("dieuphoi@camau.gov.vn"), "dispatch", "")
	officer := login("canbo@soxaydung.camau.gov.vn")
	move(officer, "accept", "")
	move(officer, "resolve", "Đã xử lý.")
	wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/rating", login("citizen"), map[string]any{"score": score})), http.StatusOK)
}

// TestMethodology2023 works the current methodology through the API on a
// small data set and checks every figure against a computation by hand:
// the 2023 SIPAS model (eligibility, the satisfaction part alone in the
// overall index, the online public service scored apart, no report ratings
// mixed in) and the field-report satisfaction indicator by agency,
// category, area and month. (The 2017 model keeps its old arithmetic:
// TestSIPASStory; PAPI's scales: TestPAPIStory.)
func TestMethodology2023(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-02 09:00")
		login := storyCast(t, env)

		// Seven field reports answered by the Department of Construction
		// and rated by their reporter: five in March (urban
		// infrastructure) rated 5, 4, 3, 5, 1; two in April (water supply
		// and drainage) rated 4, 2.
		scores := []int{5, 4, 3, 5, 1, 4, 2}
		for i, score := range scores {
			month, category := "03", "ha-tang-do-thi"
			if i >= 5 {
				month, category = "04", "cap-thoat-nuoc"
			}
			at(env, fmt.Sprintf("2026-%s-%02d 09:00", month, 3+i))
			rateAnsweredReport(t, env, login, category, score)
		}

		at(env, "2026-03-10 09:00")
		admin, analyst := login("quantri@camau.gov.vn"), login("phantich@camau.gov.vn")
		var sv struct{ ID, Kind string }
		r := do(t, env.app, req("POST", "/v1/surveys", admin, map[string]any{"template": "sipas", "title": "SIPAS 2026 (QĐ 1001/QĐ-BNV)",
			"period": map[string]string{"from": "2026-03-01", "to": "2026-03-31"}}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &sv)
		wantStatus(t, do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil)), http.StatusOK)
		var inv struct{ Tokens []string }
		do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{"count": 7, "agency_code": "so-xay-dung", "area_code": "phuong-an-xuyen"})).json(t, &inv)
		if len(inv.Tokens) != 7 {
			t.Fatalf("%d tokens", len(inv.Tokens))
		}

		// The form says why the satisfaction part is for users only.
		var form struct {
			Questions []struct{ Code, Hint, Relevant string }
		}
		do(t, env.app, req("GET", "/v1/surveys/"+sv.ID+"/form?token="+inv.Tokens[0], "", nil, "Accept-Language", "en")).json(t, &form)
		hinted := false
		for _, q := range form.Questions {
			hinted = hinted || q.Code == "q_used_service" && q.Hint != ""
		}
		if !hinted {
			t.Error("the form does not explain who answers the satisfaction part")
		}

		answer := func(token string, answers map[string]any, want int) {
			t.Helper()
			r := do(t, env.app, req("POST", "/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": token, "answers": answers}))
			if r.StatusCode != want {
				t.Fatalf("response: %d, want %d: %s", r.StatusCode, want, r.body)
			}
		}
		// Someone who did not use the service cannot rate it.
		bad := sipas2023Answers(false, [4]any{}, nil, nil)
		bad["access_1"] = 5
		answer(inv.Tokens[0], bad, http.StatusUnprocessableEntity)

		//	      used online access procedures servant result feedback online
		//	r1    yes  yes    5      4          3       5      -        5
		//	r2    yes  no     4      2          5       4      4        -
		//	r3    yes  yes    2      na         4       3      2        2
		//	r4    yes  no     5      5          5       5      -        -
		//	r5    yes  yes    3      4          4       1      -        4
		//	r6    no
		//	r7    no
		answer(inv.Tokens[0], sipas2023Answers(true, [4]any{5, 4, 3, 5}, nil, 5), http.StatusCreated)
		answer(inv.Tokens[1], sipas2023Answers(true, [4]any{4, 2, 5, 4}, 4, nil), http.StatusCreated)
		answer(inv.Tokens[2], sipas2023Answers(true, [4]any{2, "na", 4, 3}, 2, 2), http.StatusCreated)
		answer(inv.Tokens[3], sipas2023Answers(true, [4]any{5, 5, 5, 5}, nil, nil), http.StatusCreated)
		answer(inv.Tokens[4], sipas2023Answers(true, [4]any{3, 4, 4, 1}, nil, 4), http.StatusCreated)
		answer(inv.Tokens[5], sipas2023Answers(false, [4]any{}, nil, nil), http.StatusCreated)
		answer(inv.Tokens[6], sipas2023Answers(false, [4]any{}, nil, nil), http.StatusCreated)

		var res struct {
			breakdown
			ReportRatings bool `json:"report_ratings"`
			Parts         []figure
			Elements      []struct {
				figure
				Part string `json:"part"`
			}
		}
		r = do(t, env.app, req("GET", "/v1/indicators/sipas?survey_id="+sv.ID+"&from=2026-03&to=2026-03", analyst, nil))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &res)
		// By hand: a criterion's index is the share of 4–5 among its
		// answers (na left out); every criterion of an element has the
		// element's answers here.
		//	access      5 4 2 5 3    → 3/5 = 60;   n 5
		//	procedures  4 2 na 5 4   → 3/4 = 75;   n 4
		//	servant     3 5 4 5 4    → 4/5 = 80;   n 5
		//	result      5 4 3 5 1    → 3/5 = 60;   n 5
		//	feedback    4 2          → 1/2 = 50;   n 2
		//	overall = (60 + 75 + 80 + 60 + 50)/5 = 65, n = 5 eligible of 7
		//	online      5 2 4        → 2/3, scored apart, n 3
		if res.Respondents != 7 || res.Overall.N != 5 {
			t.Errorf("respondents %d, overall n %d; want 7 responses and n 5 (the eligible ones)", res.Respondents, res.Overall.N)
		}
		near(t, "overall", res.Overall.Value, (60.0+75+80+60+50)/5)
		want := map[string]struct {
			k, n float64
		}{"access_1": {3, 5}, "procedures_2": {3, 4}, "servant_3": {4, 5}, "result_1": {3, 5}, "feedback_2": {1, 2}, "online_3": {2, 3}}
		for code, w := range want {
			c := res.criterion(code)
			near(t, code, c.Value, 100*w.k/w.n)
			lo, hi := wilsonByHand(w.k, w.n)
			near(t, code+" ci_low", c.CILow, lo)
			near(t, code+" ci_high", c.CIHigh, hi)
			if float64(c.N) != w.n {
				t.Errorf("%s n %d, want %g", code, c.N, w.n)
			}
		}
		for _, e := range res.Elements {
			if (e.Part == "online") != (e.Code == "online") {
				t.Errorf("element %s in part %q", e.Code, e.Part)
			}
		}
		if len(res.Parts) != 1 || res.Parts[0].Code != "online" || res.Parts[0].N != 3 {
			t.Fatalf("parts %+v, want online with n 3", res.Parts)
		}
		near(t, "online part", res.Parts[0].Value, 200.0/3)
		// Survey answers only: the ratings above do not enter SIPAS.
		if res.ReportRatings || res.criterion("report_rating").Code != "" {
			t.Error("report ratings are mixed into the 2023 SIPAS figures")
		}

		// Field-report satisfaction: the share of ratings 4 or 5.
		//	all 7:   5 4 3 5 1 4 2 → 4/7; mean 24/7
		//	March:   5 4 3 5 1     → 3/5 = 60; mean 18/5
		//	April:   4 2           → n 2, suppressed (fewer than 5)
		type satFigure struct {
			Key        string   `json:"key"`
			Label      string   `json:"label"`
			Value      *float64 `json:"value"`
			N          int64    `json:"n"`
			CILow      *float64 `json:"ci_low"`
			CIHigh     *float64 `json:"ci_high"`
			MeanRating *float64 `json:"mean_rating"`
			Suppressed bool     `json:"suppressed"`
		}
		var sat struct {
			Overall satFigure
			Groups  []satFigure
		}
		read := func(groupBy string) {
			t.Helper()
			sat.Groups = nil
			r := do(t, env.app, req("GET", "/v1/indicators/report-satisfaction?from=2026-03-01&to=2026-04-30&group_by="+groupBy, analyst, nil))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &sat)
		}
		read("month")
		if sat.Overall.N != 7 {
			t.Fatalf("overall n %d, want 7", sat.Overall.N)
		}
		near(t, "report satisfaction", sat.Overall.Value, 400.0/7)
		near(t, "mean rating", sat.Overall.MeanRating, 24.0/7)
		lo, hi := wilsonByHand(4, 7)
		near(t, "ci_low", sat.Overall.CILow, lo)
		near(t, "ci_high", sat.Overall.CIHigh, hi)
		if len(sat.Groups) != 2 || sat.Groups[0].Key != "2026-03" || sat.Groups[1].Key != "2026-04" {
			t.Fatalf("months %+v", sat.Groups)
		}
		near(t, "March", sat.Groups[0].Value, 60)
		near(t, "March mean", sat.Groups[0].MeanRating, 18.0/5)
		if g := sat.Groups[1]; g.N != 2 || !g.Suppressed || g.Value != nil || g.CILow != nil || g.MeanRating != nil {
			t.Errorf("April %+v, want n 2 and every value withheld", g)
		}
		read("category")
		if len(sat.Groups) != 2 || sat.Groups[0].Key != "cap-thoat-nuoc" || sat.Groups[0].N != 2 || sat.Groups[1].Key != "ha-tang-do-thi" || sat.Groups[1].N != 5 {
			t.Fatalf("categories %+v", sat.Groups)
		}
		near(t, "urban infrastructure", sat.Groups[1].Value, 60)
		read("agency")
		if len(sat.Groups) != 1 || sat.Groups[0].Key != "so-xay-dung" || sat.Groups[0].N != 7 || sat.Groups[0].Label == "" {
			t.Fatalf("agencies %+v", sat.Groups)
		}
		near(t, "Department of Construction", sat.Groups[0].Value, 400.0/7)
		read("area")
		if len(sat.Groups) != 1 || sat.Groups[0].N != 7 {
			t.Fatalf("areas %+v", sat.Groups)
		}

		// Only analysts, coordinators and admins read it; bad parameters are a 422.
		wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/report-satisfaction", login("citizen"), nil)), http.StatusForbidden)
		p := wantProblem(t, do(t, env.app, req("GET", "/v1/indicators/report-satisfaction?group_by=week&from=2026-13-01", analyst, nil)), http.StatusUnprocessableEntity)
		if len(p.Errors) != 2 {
			t.Errorf("errors %+v, want from and group_by", p.Errors)
		}
	})
}
