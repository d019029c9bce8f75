package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// surveyWorld is a published SIPAS (2023 model) survey with invitation
// tokens for several agencies and areas, some of them already answered so
// that the indicator reads aggregate real responses.
type surveyWorld struct {
	id     string
	from   string // the indicator period, months YYYY-MM
	to     string
	tokens []string // unused invitations, for the response scenario
}

// sipasAnswers is a full answer to the 2023 SIPAS template (survey/templates):
// every element's criteria at a level that varies with i, feedback and
// online criteria for some respondents.
func sipasAnswers(i int) map[string]any {
	level := 1 + i%5
	a := map[string]any{
		"q_gender": []string{"nam", "nu"}[i%2], "q_age_group": "45_54", "q_education": "upper_secondary",
		"a_policy_interest": "some", "a_info_channels": []string{"tv_radio", "local"}, "a_info_suitability": "suitable",
		"a_willing_comment": "yes", "a_harassment": "none", "a_informal_payment": "dont_know", "a_channel_suitability": "partly",
		"a_experience": []string{"admin_service"}, "e_priorities": []string{"online", "timeliness"},
		"q_used_service": "yes",
	}
	for prefix, n := range map[string]int{"access": 3, "procedures": 3, "servant": 3, "result": 2} {
		for j := 1; j <= n; j++ {
			a[fmt.Sprintf("%s_%d", prefix, j)] = 1 + (level+j)%5
		}
	}
	a["q_gave_feedback"] = "no"
	if i%3 == 0 {
		a["q_gave_feedback"], a["feedback_1"], a["feedback_2"] = "yes", level, level
	}
	a["q_used_online"] = "no"
	if i%4 == 0 {
		a["q_used_online"], a["online_1"], a["online_2"], a["online_3"] = "yes", level, level, level
	}
	return a
}

// prepareSurvey creates and publishes the survey through the API as an admin
// would, issues tokens invitations spread over agencies and areas, and
// answers answered of them with clients concurrent respondents.
func prepareSurvey(client *http.Client, base, admin, analyst string, w *world, tokens, answered, clients int) (*surveyWorld, error) {
	now := time.Now()
	sw := &surveyWorld{from: now.AddDate(0, -1, 0).Format("2006-01"), to: now.AddDate(0, 1, 0).Format("2006-01")}
	var created struct {
		ID string `json:"id"`
	}
	body := fmt.Sprintf(`{"template":"sipas","title":{"vi":"Khảo sát thử tải","en":"Load test survey"},"period":{"from":%q,"to":%q}}`,
		now.AddDate(0, -1, 0).Format("2006-01-02"), now.AddDate(0, 1, 0).Format("2006-01-02"))
	if err := post(client, base+"/v1/surveys", admin, body, http.StatusCreated, &created); err != nil {
		return nil, fmt.Errorf("create the survey: %w", err)
	}
	sw.id = created.ID
	if err := post(client, base+"/v1/surveys/"+sw.id+"/publish", admin, `{}`, http.StatusOK, nil); err != nil {
		return nil, fmt.Errorf("publish the survey: %w", err)
	}
	// Ten agencies, each in a few areas: the ranking has groups to compare.
	var agencies []string
	seen := map[string]bool{}
	for _, c := range w.categories {
		if !seen[c.DefaultAgencyCode] && len(agencies) < 10 {
			seen[c.DefaultAgencyCode] = true
			agencies = append(agencies, c.DefaultAgencyCode)
		}
	}
	// Batches small enough that the answered invitations span every agency.
	size := max(1, min(1000, answered/len(agencies)))
	for batch := 0; len(sw.tokens) < tokens; batch++ {
		n := min(size, tokens-len(sw.tokens))
		var out struct {
			Tokens []string `json:"tokens"`
		}
		in := fmt.Sprintf(`{"count":%d,"agency_code":%q,"area_code":%q}`, n, agencies[batch%len(agencies)], w.areas[batch%len(w.areas)])
		if err := post(client, base+"/v1/surveys/"+sw.id+"/invitations", admin, in, http.StatusCreated, &out); err != nil {
			return nil, fmt.Errorf("issue invitations: %w", err)
		}
		sw.tokens = append(sw.tokens, out.Tokens...)
	}
	answered = min(answered, len(sw.tokens))
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Value
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= answered {
					return
				}
				if err := respond(client, base, sw.id, sw.tokens[k], k); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return nil, fmt.Errorf("answer the survey: %w", err)
	}
	sw.tokens = sw.tokens[answered:]
	return sw, sw.check(client, base, analyst, answered)
}

// check reads the indicators once: they must count every response given,
// or the read scenarios would measure something else than they say.
func (sw *surveyWorld) check(client *http.Client, base, analyst string, answered int) error {
	res, err := client.Do(get(base, "/v1/indicators/sipas", url.Values{"survey_id": {sw.id}, "from": {sw.from}, "to": {sw.to}}, analyst))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Respondents int `json:"respondents"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("read the indicators: status %d, %v", res.StatusCode, err)
	}
	if out.Respondents != answered {
		return fmt.Errorf("the indicators count %d respondents, %d answered", out.Respondents, answered)
	}
	return nil
}

// respond submits one invitation's answers, as the public form does.
func respond(client *http.Client, base, surveyID, token string, i int) error {
	b, err := json.Marshal(map[string]any{"token": token, "answers": sipasAnswers(i)})
	if err != nil {
		return err
	}
	return post(client, base+"/v1/surveys/"+surveyID+"/responses", "", string(b), http.StatusCreated, nil)
}

// post sends a JSON body and checks the status; out, when given, receives
// the answer.
func post(client *http.Client, u, token, body string, want int, out any) error {
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("POST %s: status %d: %.300s", u, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// surveyScenarios: a response through an invitation (a durable write, so
// against the commit ceiling; each token is used once) and the analyst's
// SIPAS reads (overall with elements, and the agency ranking).
func surveyScenarios(base string, client *http.Client, sw *surveyWorld, analyst string) []scenario {
	var next atomic.Int64
	q := url.Values{"survey_id": {sw.id}, "from": {sw.from}, "to": {sw.to}}
	ranking := url.Values{"survey_id": {sw.id}, "from": {sw.from}, "to": {sw.to}, "group_by": {"agency"}}
	return []scenario{
		{"survey response (invitation)", "commit", func(w, i int) (bool, error) {
			k := int(next.Add(1)) - 1
			if k >= len(sw.tokens) {
				return false, nil
			}
			return true, respond(client, base, sw.id, sw.tokens[k], k)
		}},
		{"SIPAS indicators (analyst)", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/indicators/sipas", q, analyst), http.StatusOK)
		}},
		{"SIPAS ranking by agency (analyst)", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/indicators/sipas/ranking", ranking, analyst), http.StatusOK)
		}},
	}
}
