package survey

import (
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"camaug/internal/i18n"
)

func TestPeriodOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		// 17:00 UTC on the last day of a month is already the next month in Cà Mau.
		{time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), "2026-11"},
		{time.Date(2026, 10, 31, 16, 59, 59, 0, time.UTC), "2026-10"},
		{time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), "2027-01"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600)), "2026-01"},
	}
	for _, tt := range tests {
		if got := PeriodOf(tt.t); got != tt.want {
			t.Errorf("PeriodOf(%v) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestCountsFor(t *testing.T) {
	q := smallSIPAS()
	r := Response{
		SurveyID: "s1", Version: 2, AgencyCode: "A", AreaCode: "X",
		SubmittedAt: time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC), // 1 Dec in Cà Mau
		Answers: Answers{
			"a1": NA, "a2": "2", "gave": "yes", "b1": NA, "b2": NA,
			"age": 40.0, "channels": []string{"app", "office"}, "comment": "hay",
		},
	}
	c := func(question, answer string) Count {
		return Count{SurveyID: "s1", Version: 2, AgencyCode: "A", AreaCode: "X", Period: "2026-12", Question: question, Answer: answer, N: 1}
	}
	want := []Count{
		c("_responses", ""),
		c("a1", "na"), c("a2", "2"), c("gave", "yes"), c("b1", "na"), c("b2", "na"),
		c("channels", "app"), c("channels", "office"),
		// e1 has a non-na answer (a2); e2 has only na answers, so no counter.
		c("_element:e1", "answered"),
	}
	if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	t.Run("answers decoded from storage", func(t *testing.T) {
		r := r
		r.Answers = Answers{"a1": "5", "channels": []any{"phone"}, "age": 40.0}
		want := []Count{c("_responses", ""), c("a1", "5"), c("channels", "phone"), c("_element:e1", "answered")}
		if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
	})

	t.Run("PAPI parents and unscored options", func(t *testing.T) {
		q := smallPAPI()
		r := r
		r.Answers = Answers{"x1": NA, "x3": "dk", "x4": "no"}
		// x1 is na and dk has no score: nothing in d1; x4 "no" scores in s21
		// and so in d2.
		want := []Count{c("_responses", ""), c("x1", "na"), c("x3", "dk"), c("x4", "no"),
			c("_element:d2", "answered"), c("_element:s21", "answered")}
		if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
		r.Answers = Answers{"x2": "yes", "x3": "b"}
		want = []Count{c("_responses", ""), c("x2", "yes"), c("x3", "b"),
			c("_element:d1", "answered"), c("_element:s11", "answered"), c("_element:s12", "answered")}
		if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
	})

	t.Run("eligibility and parts", func(t *testing.T) {
		q := smallSIPAS()
		q.Parts = []Part{{Code: "p", Label: i18n.T("Phần riêng", "Apart")}}
		q.Elements[1].Part = "p"
		q.Scoring.Eligible = "${gave} = 'yes'"
		r := r
		r.Answers = Answers{"a1": "4", "gave": "yes", "b1": "5", "b2": NA}
		// Eligible; e2 (part p) answered, so the part is too.
		want := []Count{c("_responses", ""), c("_eligible", "yes"), c("a1", "4"), c("gave", "yes"), c("b1", "5"), c("b2", "na"),
			c("_element:e1", "answered"), c("_element:e2", "answered"), c("_part:p", "answered")}
		if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
			t.Errorf("got  %v\nwant %v", got, want)
		}
		// Not eligible: their criteria answers count nowhere, even where
		// the form did not skip them (a1 has no relevant condition).
		r.Answers = Answers{"a1": "4", "gave": "no", "comment": "hay"}
		want = []Count{c("_responses", ""), c("gave", "no")}
		if got := CountsFor(&q, r); !reflect.DeepEqual(got, want) {
			t.Errorf("not eligible: got  %v\nwant %v", got, want)
		}
	})
}

func TestMergeCounts(t *testing.T) {
	k := func(agency, period, question, answer string, version int, n int64) Count {
		return Count{SurveyID: "s", Version: version, AgencyCode: agency, Period: period, Question: question, Answer: answer, N: n}
	}
	in := []Count{
		k("B", "2026-02", "q", "1", 1, 1),
		k("A", "2026-02", "q", "2", 1, 1),
		k("A", "2026-01", "q", "1", 2, 1),
		k("A", "2026-01", "q", "1", 1, 1),
		k("B", "2026-02", "q", "1", 1, 3),
		k("A", "2026-01", "q", "1", 1, 2),
	}
	want := []Count{
		k("A", "2026-01", "q", "1", 1, 3),
		k("A", "2026-02", "q", "2", 1, 1),
		k("B", "2026-02", "q", "1", 1, 4),
		k("A", "2026-01", "q", "1", 2, 1),
	}
	if got := MergeCounts(in); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if got := MergeCounts(nil); len(got) != 0 {
		t.Errorf("MergeCounts(nil) = %v", got)
	}
}

// TestForChannel: an app response's counters are kept apart, so the
// official selection (invitation) leaves it out, "app" is it alone and
// "all" counts it with the others.
func TestForChannel(t *testing.T) {
	q := &Questionnaire{Sections: []Section{{Code: "s", Questions: []Question{{Code: "q1", Type: TypeLikert5}}}}}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var counts []Count
	for i, ch := range []Channel{ChannelInvitation, ChannelInvitation, ChannelApp} {
		answer := map[bool]string{true: "5", false: "2"}[ch == ChannelInvitation]
		counts = append(counts, CountsFor(q, Response{ID: fmt.Sprint(i), SurveyID: "s1", Version: 1, AgencyCode: "so-y-te",
			Channel: ch, Answers: Answers{"q1": answer}, SubmittedAt: at})...)
	}
	counts = MergeCounts(counts)
	tally := func(cs []Count) map[string]int64 {
		m := map[string]int64{}
		for _, c := range cs {
			m[c.Question+"="+c.Answer] += c.N
		}
		return m
	}
	for _, tc := range []struct {
		ch   string
		want map[string]int64
	}{
		{ChannelsOfficial, map[string]int64{CountResponses + "=": 2, "q1=5": 2}},
		{"", map[string]int64{CountResponses + "=": 2, "q1=5": 2}},
		{ChannelsApp, map[string]int64{CountResponses + "=": 1, "q1=2": 1}},
		{ChannelsAll, map[string]int64{CountResponses + "=": 3, "q1=5": 2, "q1=2": 1}},
	} {
		if got := tally(ForChannel(counts, tc.ch)); !maps.Equal(got, tc.want) {
			t.Errorf("ForChannel(%q): got %v, want %v", tc.ch, got, tc.want)
		}
	}
	for ch, want := range map[string]bool{"": true, "invitation": true, "app": true, "all": true, "official": false, "APP": false} {
		if ValidChannels(ch) != want {
			t.Errorf("ValidChannels(%q) = %v, want %v", ch, !want, want)
		}
	}
}
