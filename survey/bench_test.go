package survey

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"camaug/feedback"
)

// sipasAnswers is a full answer to the 2017 SIPAS template, feedback included.
func sipasAnswers(b testing.TB, q *Questionnaire, level int) map[string]json.RawMessage {
	b.Helper()
	m := map[string]json.RawMessage{
		"q_gender": json.RawMessage(`"nu"`), "q_age_group": json.RawMessage(`"35_44"`),
		"q_education": json.RawMessage(`"university"`), "q_used_service": json.RawMessage(`true`),
		"q_gave_feedback": json.RawMessage(`"yes"`), "q_comment": json.RawMessage(`"Cán bộ nhiệt tình"`),
	}
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.ElementCode != "" {
				m[qu.Code] = json.RawMessage(fmt.Sprint(level))
			}
		}
	}
	return m
}

// BenchmarkSubmit is the domain work of one response: checking the
// answers and deriving its counters.
func BenchmarkSubmit(b *testing.B) {
	_, q, err := Template("sipas-2017")
	if err != nil {
		b.Fatal(err)
	}
	body := sipasAnswers(b, &q, 4)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		a, err := q.CheckAnswers(body)
		if err != nil {
			b.Fatal(err)
		}
		CountsFor(&q, Response{SurveyID: "s", Version: 1, AgencyCode: "A", AreaCode: "X", Answers: a, SubmittedAt: now})
	}
}

// BenchmarkSIPAS scores a year of counters of 50 agencies, grouped by
// agency: what the dashboard asks for.
func BenchmarkSIPAS(b *testing.B) {
	_, q, err := Template("sipas-2017")
	if err != nil {
		b.Fatal(err)
	}
	var counts []Count
	var ratings []feedback.RatingCount
	for ag := range 50 {
		agency := fmt.Sprintf("ag%02d", ag)
		for m := range 12 {
			at := time.Date(2026, time.Month(m+1), 10, 0, 0, 0, 0, time.UTC)
			for lvl := 1; lvl <= 5; lvl++ {
				a, err := q.CheckAnswers(sipasAnswers(b, &q, lvl))
				if err != nil {
					b.Fatal(err)
				}
				counts = append(counts, CountsFor(&q, Response{SurveyID: "s", Version: 1, AgencyCode: agency, AreaCode: "X", Answers: a, SubmittedAt: at})...)
				ratings = append(ratings, feedback.RatingCount{AgencyCode: agency, AreaCode: "X", Period: PeriodOf(at), Score: lvl, N: 3})
			}
		}
	}
	counts = MergeCounts(counts)
	b.ReportAllocs()
	for b.Loop() {
		SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByAgency})
	}
}
