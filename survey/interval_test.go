package survey

import (
	"fmt"
	"math"
	"testing"
	"time"

	"camaug/feedback"
)

// The overall index's interval by hand (Taylor linearization over
// respondents). Four responses to smallSIPAS:
//
//	a1: 5 4 3 2 → p=.5, N=4     a2: 4 na 2 – → p=.5, N=2   (element e1)
//	b1: 4 5 – – → p=1, N=2      b2: 2 na – – → p=0, N=1    (element e2)
//
// index = ½(½(.5+.5) + ½(1+0)) = .5. z_i = ¼ Σ_c (s_ic − p_c·a_ic)/N_c:
// z1 = ¼(.5/4 + .5/2) = .09375, z2 = ¼(.5/4) = .03125, z3 = −.09375,
// z4 = −.03125; Σz² = .01953125; Var = 4/3·Σz² = .0260416̅;
// half-width = 1.96·√Var = .316293; interval [18.3707, 81.6293] %.
func TestOverallInterval(t *testing.T) {
	q := smallSIPAS()
	at := time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC)
	var rs []Response
	var counts []Count
	for i, js := range []string{
		`{"a1": 5, "a2": 4, "gave": "yes", "b1": 4, "b2": 2}`,
		`{"a1": 4, "a2": "na", "gave": "yes", "b1": 5, "b2": "na"}`,
		`{"a1": 3, "a2": 2, "gave": "no"}`,
		`{"a1": 2, "gave": "no"}`,
	} {
		a, err := q.CheckAnswers(raw(t, js))
		if err != nil {
			t.Fatal(err)
		}
		r := Response{ID: fmt.Sprint(i), SurveyID: "sv", Version: 1, AgencyCode: "A", AreaCode: "X", Channel: ChannelInvitation, Answers: a, SubmittedAt: at}
		rs = append(rs, r)
		counts = append(counts, CountsFor(&q, r)...)
	}
	ci := OverallInterval(&q, rs, nil)
	if ci == nil {
		t.Fatal("no interval")
	}
	half := 1.96 * math.Sqrt(4.0/3*0.01953125)
	if !near(half, 0.316293, 1e-6) {
		t.Fatalf("hand computation: half-width %f", half)
	}
	if !near(ci.Value, 50, 1e-9) || !near(ci.Low, 100*(0.5-half), 1e-9) || !near(ci.High, 100*(0.5+half), 1e-9) || ci.N != 4 || ci.Method != OverallCIMethod {
		t.Errorf("interval %+v, want 50 in [%.4f, %.4f], n 4", *ci, 100*(0.5-half), 100*(0.5+half))
	}
	// The index it is centred on is the indicators' overall index.
	b, _ := SIPAS(&q, counts, nil, IndicatorOptions{MinGroupSize: 1})
	if b.Overall.Value == nil || !near(*b.Overall.Value, ci.Value, 1e-9) {
		t.Errorf("overall index %v, interval centred on %f", b.Overall.Value, ci.Value)
	}

	// With reporters' ratings (element e2 takes them): 4 ratings, 3 of
	// them 4 or 5, are a third criterion of e2 (p=.75, N=4) and 4 more
	// units. index = ½(.5 + (1+0+.75)/3) = .5416̅; the respondents' z are
	// unchanged (their e2 terms are 0); each rating's z is
	// (s − .75)/(4·3·2): 3 × (.25/24)² + (.75/24)² = 1/768, so Σz² = 1/48,
	// Var = 8/7 · 1/48 = 1/42, half-width 1.96/√42 = .302434.
	ratings := []feedback.RatingCount{
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 5, N: 2},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 4, N: 1},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 3, N: 1},
	}
	ci = OverallInterval(&q, rs, ratings)
	idx, half := (0.5+1.75/3)/2, 1.96/math.Sqrt(42)
	if ci == nil || !near(ci.Value, 100*idx, 1e-9) || !near(ci.Low, 100*(idx-half), 1e-9) || !near(ci.High, 100*(idx+half), 1e-9) || ci.N != 8 {
		t.Errorf("with ratings: %+v, want %.4f in [%.4f, %.4f], n 8", ci, 100*idx, 100*(idx-half), 100*(idx+half))
	}
	if b, _ := SIPAS(&q, counts, ratings, IndicatorOptions{MinGroupSize: 1}); b.Overall.Value == nil || !near(*b.Overall.Value, ci.Value, 1e-9) {
		t.Errorf("with ratings: overall index %v, interval centred on %f", b.Overall.Value, ci.Value)
	}

	// Everyone satisfied: no spread, the interval is the point, within 0..100.
	var all []Response
	for i := range 3 {
		a, _ := q.CheckAnswers(raw(t, `{"a1": 5, "a2": 4, "gave": "no"}`))
		all = append(all, Response{ID: fmt.Sprint(i), SurveyID: "sv", Version: 1, Answers: a, SubmittedAt: at})
	}
	if ci := OverallInterval(&q, all, nil); ci == nil || ci.Low != 100 || ci.High != 100 {
		t.Errorf("all satisfied: %+v, want [100, 100]", ci)
	}
	// One respondent: no interval.
	if ci := OverallInterval(&q, all[:1], nil); ci != nil {
		t.Errorf("one respondent: %+v, want none", *ci)
	}
}
