package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// publishedSIPAS creates and publishes a survey from the SIPAS template
// through the API and returns its ID and n invitation tokens.
func (e *env) publishedSIPAS(t *testing.T, n int) (string, []string) {
	t.Helper()
	admin := e.token(t, adminEmail, staffPassword)
	today := e.now.In(time.FixedZone("ICT", 7*3600))
	var sv struct {
		ID string `json:"id"`
	}
	if st := e.call(t, "POST", "/v1/surveys", admin, map[string]any{"template": "sipas-2017", "title": map[string]string{"vi": "Khảo sát SIPAS thử", "en": "Test SIPAS survey"},
		"period": map[string]string{"from": today.AddDate(0, 0, -1).Format("2006-01-02"), "to": today.AddDate(0, 1, 0).Format("2006-01-02")}}, &sv); st != 201 {
		t.Fatalf("create survey: status %d", st)
	}
	if st := e.call(t, "POST", "/v1/surveys/"+sv.ID+"/publish", admin, nil, nil); st != 200 {
		t.Fatalf("publish: status %d", st)
	}
	var inv struct {
		Tokens []string `json:"tokens"`
	}
	if st := e.call(t, "POST", "/v1/surveys/"+sv.ID+"/invitations", admin, map[string]any{"count": n, "agency_code": officerAg, "area_code": "phuong-an-xuyen"}, &inv); st != 201 {
		t.Fatalf("invite: status %d", st)
	}
	return sv.ID, inv.Tokens
}

// formSIPASAnswers answers every required question of the 2017 SIPAS template with
// "did not give feedback", and also (wrongly) the feedback questions that
// this answer skips, as a browser without JavaScript would send them.
func formSIPASAnswers(token string) url.Values {
	f := url.Values{"token": {token}, "q.q_gender": {"nu"}, "q.q_age_group": {"25_34"}, "q.q_education": {"university"},
		"q.q_used_service": {"yes"}, "q.q_gave_feedback": {"no"}, "q.q_comment": {""}}
	for _, q := range []string{"access_1", "access_2", "access_3", "access_4", "procedures_1", "procedures_2", "procedures_3", "procedures_4", "procedures_5",
		"servant_1", "servant_2", "servant_3", "servant_4", "servant_5", "servant_6", "result_1", "result_2", "result_3", "feedback_1", "feedback_2"} {
		f.Set("q."+q, "4")
	}
	return f
}

// The survey form without JavaScript: skip logic applied on submit, a
// missing answer re-renders the form with the input kept, a thank-you,
// and the token is then refused; an unknown token is told at once.
func TestSurveyForm_WorksWithoutScript(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	id, tokens := e.publishedSIPAS(t, 2)

	res, page := b.get("/s/" + id + "?token=" + strings.ToLower(tokens[0]))
	if res.StatusCode != 200 || !strings.Contains(page, "Khảo sát SIPAS thử") || !strings.Contains(page, `name="q.access_1"`) {
		t.Fatalf("form: status %d, want the questionnaire", res.StatusCode)
	}
	if !strings.Contains(page, `class="req"`) {
		t.Error("required questions carry no mark")
	}
	if !strings.Contains(page, `id="lang-switch" href="/s/`+id+`?token=`+strings.ToLower(tokens[0])+`&amp;lang=en"`) {
		t.Error("the language switch does not keep the form's token")
	}
	if res, page := e.client(t).get("/s/" + id + "?token=" + tokens[0] + "&lang=en"); res.StatusCode != 200 || !strings.Contains(page, "Submit") {
		t.Error("the form is not in English with lang=en")
	}

	missing := formSIPASAnswers(tokens[0])
	missing.Del("q.access_2")
	res, page = b.do("POST", "/s/"+id, missing, nil)
	if res.StatusCode != 422 || !strings.Contains(page, "Bắt buộc trả lời") {
		t.Fatalf("a missing required answer: status %d, want 422 with the question's error:\n%s", res.StatusCode, page)
	}
	if !regexp.MustCompile(`name="q.access_1" value="4" id="q-access_1-4" checked`).MatchString(page) {
		t.Error("the re-rendered form lost the respondent's answers")
	}

	res, _ = b.do("POST", "/s/"+id, formSIPASAnswers(tokens[0]), nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/s/"+id+"/thanks" {
		t.Fatalf("submit: status %d to %q, want 303 to the thank-you page", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := b.get(res.Header.Get("Location")); !strings.Contains(page, "Cảm ơn") {
		t.Error("no thank-you")
	}
	// The stored response has no answers to the skipped questions.
	stored, err := e.store.Surveys().Responses(context.Background(), id, "", 10)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored responses: %d, %v; want 1", len(stored), err)
	}
	if a := stored[0].Answers; a["access_1"] != "4" || a["feedback_1"] != nil || a["feedback_2"] != nil || stored[0].AgencyCode != officerAg {
		t.Errorf("stored answers %v for agency %q: want access_1 kept, the skipped feedback_* dropped, the token's agency", a, stored[0].AgencyCode)
	}

	res, page = b.get("/s/" + id + "?token=" + tokens[0])
	if res.StatusCode != 409 || !strings.Contains(page, "đã được dùng") {
		t.Fatalf("a used token: status %d, want 409 saying it was used", res.StatusCode)
	}
	if res, _ := b.do("POST", "/s/"+id, formSIPASAnswers(tokens[0]), nil); res.StatusCode != 409 {
		t.Fatalf("a second submission with the token: status %d, want 409", res.StatusCode)
	}
	res, page = b.get("/s/" + id + "?token=AAAABBBBCCCCDDDDEEEEFFFFGG")
	if res.StatusCode != 404 || !strings.Contains(page, "Mã mời không đúng") {
		t.Fatalf("an unknown token: status %d, want 404 saying so", res.StatusCode)
	}
	if res, _ := b.get("/s/01jzzzzzzzzzzzzzzzzzzzzzzz?token=" + tokens[1]); res.StatusCode != 404 {
		t.Fatalf("an unknown survey: status %d, want 404", res.StatusCode)
	}
	if res, page := b.get("/s/" + id); res.StatusCode != 200 || !strings.Contains(page, `name="token"`) {
		t.Fatalf("no token: status %d, want the form to type one", res.StatusCode)
	}
	// The form's script asks which questions are asked.
	res, body := b.do("POST", "/s/"+id+"/asked", url.Values{"q.q_gave_feedback": {"yes"}}, nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"feedback_1"`) {
		t.Fatalf("asked with feedback: %d %s", res.StatusCode, body)
	}
	_, body = b.do("POST", "/s/"+id+"/asked", url.Values{"q.q_gave_feedback": {"no"}}, nil)
	if strings.Contains(body, `"feedback_1"`) {
		t.Fatalf("asked without feedback still lists feedback_1: %s", body)
	}
}

var tokenOnSheet = regexp.MustCompile(`<code class="token">([A-Z2-7]+)</code>`)

// An admin creates a survey from the template, edits a question and adds
// one with skip logic, publishes, issues invitations and gets the QR
// sheet once; the batch's used count follows the responses. Others may
// not reach these pages.
func TestSurveyAdmin_CreateEditPublishInvite(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	b.signIn(adminEmail, staffPassword)
	_, page := b.get("/console/surveys")
	csrf := hidden(page, "_csrf")
	today := time.Now().In(time.FixedZone("ICT", 7*3600))
	res, _ := b.do("POST", "/console/surveys", url.Values{"_csrf": {csrf}, "source": {"template:sipas-2017"}, "title_vi": {"Hài lòng Sở Xây dựng 2026"},
		"title_en": {"Department of Construction 2026"}, "from": {today.AddDate(0, 0, -1).Format("2006-01-02")}, "to": {today.AddDate(0, 2, 0).Format("2006-01-02")}}, nil)
	if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/console/surveys/") {
		t.Fatalf("create: status %d", res.StatusCode)
	}
	at := res.Header.Get("Location")
	id := strings.TrimPrefix(at, "/console/surveys/")

	// Bad input: a title too short is told beside the field, nothing made.
	res, page = b.do("POST", "/console/surveys", url.Values{"_csrf": {csrf}, "source": {"template:sipas"}, "title_vi": {"X"}, "from": {"2026-01-01"}, "to": {"2026-02-01"}}, nil)
	if res.StatusCode != 422 || !strings.Contains(page, "Tiêu đề từ 3 đến 200 ký tự") {
		t.Fatalf("short title: status %d", res.StatusCode)
	}

	_, page = b.get(at + "/edit")
	form := url.Values{}
	for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea id="[^"]+" name="([^"]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<select id="[^"]+" name="([^"]+)">.*?<option value="([^"]+)" selected>`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	for _, m := range regexp.MustCompile(`name="([^"]+required)" id="[^"]+" value="1" checked`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], "1")
	}
	// Section 0 is the profile; its 5th row (q4) is the new-question row.
	form.Set("s0.q0.label_vi", "Giới tính của Ông/Bà")
	form.Set("s6.q1.code", "q_more")
	form.Set("s6.q1.type", "yes_no")
	form.Set("s6.q1.label_vi", "Ông/Bà có muốn góp ý thêm?")
	form.Set("s6.q1.label_en", "Anything more to say?")
	form.Set("s6.q1.relevant", "${q_used_service} = 'nope' and")
	res, page = b.do("POST", at+"/edit", form, nil)
	if res.StatusCode != 422 || !strings.Contains(page, "row-s6.q1.") || !strings.Contains(page, "Chỉ hỏi khi") {
		t.Fatalf("a broken condition: status %d, want 422 with the error beside the new question", res.StatusCode)
	}
	form.Set("s6.q1.relevant", "${q_used_service} = 'yes'")
	if res, _ := b.do("POST", at+"/edit", form, nil); res.StatusCode != 303 {
		t.Fatalf("save: status %d", res.StatusCode)
	}
	admin := e.token(t, adminEmail, staffPassword)
	var sv struct {
		Questionnaire struct {
			Sections []struct {
				Questions []struct {
					Code     string `json:"code"`
					Relevant string `json:"relevant"`
					Label    struct {
						Vi string `json:"vi"`
					} `json:"label"`
					ElementCode string `json:"element_code"`
				} `json:"questions"`
			} `json:"sections"`
		} `json:"questionnaire"`
	}
	e.call(t, "GET", "/v1/surveys/"+id, admin, nil, &sv)
	secs := sv.Questionnaire.Sections
	if got := secs[0].Questions[0].Label.Vi; got != "Giới tính của Ông/Bà" {
		t.Errorf("edited label: got %q", got)
	}
	if q := secs[6].Questions[1]; q.Code != "q_more" || q.Relevant != "${q_used_service} = 'yes'" {
		t.Errorf("added question: got %+v", q)
	}
	if secs[1].Questions[0].ElementCode == "" {
		t.Errorf("the editor lost a criterion's element")
	}

	if res, page := b.get(at + "/preview"); res.StatusCode != 200 || !strings.Contains(page, "Ông/Bà có muốn góp ý thêm?") || strings.Contains(page, "survey-submit") {
		t.Fatalf("preview: status %d, want the working copy without a submit button", res.StatusCode)
	}
	if res, _ := b.do("POST", at+"/publish", url.Values{"_csrf": {csrf}}, nil); res.StatusCode != 303 {
		t.Fatalf("publish: status %d", res.StatusCode)
	}
	res, page = b.do("POST", at+"/invitations", url.Values{"_csrf": {csrf}, "count": {"3"}, "agency_code": {officerAg}, "area_code": {"phuong-an-xuyen"}}, nil)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("invite: status %d cache %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	tokens := tokenOnSheet.FindAllStringSubmatch(page, -1)
	if len(tokens) != 3 || strings.Count(page, `src="data:image/png;base64,`) != 3 {
		t.Fatalf("the sheet has %d tokens and %d QR images, want 3", len(tokens), strings.Count(page, `src="data:image/png;base64,`))
	}
	if !strings.Contains(page, "/s/"+id+"?token="+tokens[0][1]) {
		t.Error("the QR's URL is not the public form with the token")
	}
	res, page = b.do("POST", at+"/invitations", url.Values{"_csrf": {csrf}, "count": {"0"}, "agency_code": {"khong-co"}, "area_code": {"phuong-an-xuyen"}}, nil)
	if res.StatusCode != 422 || !strings.Contains(page, "Từ 1 đến") || !strings.Contains(page, "Cơ quan không tồn tại") {
		t.Fatalf("bad invitation input: status %d", res.StatusCode)
	}
	if res, _ := b.do("POST", "/s/"+id, formSIPASAnswers(tokens[1][1]), nil); res.StatusCode != 303 {
		t.Fatalf("answer with a sheet token: status %d", res.StatusCode)
	}
	_, page = b.get(at)
	if !regexp.MustCompile(`<td>3</td><td>1</td>`).MatchString(page) {
		t.Errorf("the batch row does not say 3 issued, 1 used")
	}
	for _, tok := range tokens {
		if strings.Contains(page, tok[1]) {
			t.Fatal("a token is shown again after issue")
		}
	}

	// The preview's live skip logic reads the working copy (CSRF header).
	res, body := b.do("POST", at+"/preview/asked", url.Values{"q.q_used_service": {"yes"}}, map[string]string{"X-CSRF-Token": csrf})
	if res.StatusCode != 200 || !strings.Contains(body, `"q_more"`) {
		t.Fatalf("preview asked: %d %s", res.StatusCode, body)
	}
	if res, _ := b.do("POST", at+"/preview/asked", url.Values{}, nil); res.StatusCode != 403 {
		t.Fatalf("preview asked without the CSRF token: %d, want 403", res.StatusCode)
	}

	// A copy starts as a draft with the edited questionnaire.
	res, _ = b.do("POST", "/console/surveys", url.Values{"_csrf": {csrf}, "source": {"copy:" + id}, "title_vi": {"Bản sao 2027"},
		"from": {"2027-01-01"}, "to": {"2027-03-31"}}, nil)
	if res.StatusCode != 303 {
		t.Fatalf("copy: status %d", res.StatusCode)
	}
	var copied struct {
		Status        string `json:"status"`
		Questionnaire struct {
			Sections []struct {
				Questions []struct {
					Code string `json:"code"`
				} `json:"questions"`
			} `json:"sections"`
		} `json:"questionnaire"`
	}
	e.call(t, "GET", "/v1/surveys/"+strings.TrimPrefix(res.Header.Get("Location"), "/console/surveys/"), admin, nil, &copied)
	if s := copied.Questionnaire.Sections; copied.Status != "draft" || len(s) != 7 || len(s[6].Questions) != 2 || s[6].Questions[1].Code != "q_more" {
		t.Errorf("the copy: %+v", copied)
	}

	// Closing stops the form.
	if res, _ := b.do("POST", at+"/close", url.Values{"_csrf": {csrf}}, nil); res.StatusCode != 303 {
		t.Fatalf("close: status %d", res.StatusCode)
	}
	if res, page := b.get("/s/" + id + "?token=" + tokens[2][1]); res.StatusCode != 409 || !strings.Contains(page, "không nhận trả lời") {
		t.Fatalf("the form of a closed survey: status %d", res.StatusCode)
	}

	officer := e.client(t)
	officer.signIn(officerEmail, staffPassword)
	if res, _ := officer.get("/console/surveys"); res.StatusCode != 403 {
		t.Fatalf("an officer on /console/surveys: status %d, want 403", res.StatusCode)
	}
	if res, _ := officer.do("POST", at+"/invitations", url.Values{"_csrf": {officer.csrf()}, "count": {"3"}, "agency_code": {officerAg}, "area_code": {"phuong-an-xuyen"}}, nil); res.StatusCode != 403 {
		t.Fatalf("an officer issuing invitations: status %d, want 403", res.StatusCode)
	}
}
