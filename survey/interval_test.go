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

// Each element's interval by hand, the same method. Five responses to
// smallSIPAS, each given four times (n = 20); nobody gave feedback, so e2
// has only the report ratings:
//
//	a1: 5 4 5 2 4 → p=.8, N=20    a2: 4 5 2 – 4 → p=.75, N=16   (e1)
//
// e1 = ½(.8+.75) = .775. z_i = ½((s_a1 − .8)/20 + (s_a2 − .75)/16), a
// quarter of the five-response values ½(.2/5 + .25/4) = .05125 (twice and
// the fifth), ½(.2/5 − .75/4) = −.07375, ½(−.8/5) = −.08, so
// Σz² = 4·(3·.05125² + .07375² + .08²)/16 = .0049296875,
// Var = 20/19·Σz², half-width 1.96·√Var = .141190.
// e2: 12 ratings, 9 of them 4 or 5 (p=.75, its only criterion); each
// rating's z = (s − .75)/12: Σz² = (9·.25² + 3·.75²)/144 = .015625, with
// n = 20 + 12 units Var = 32/31·Σz², half-width .248920.
func TestElementIntervals(t *testing.T) {
	q := smallSIPAS()
	at := time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC)
	var rs []Response
	var counts []Count
	for i := range 4 {
		for j, js := range []string{
			`{"a1": 5, "a2": 4, "gave": "no"}`,
			`{"a1": 4, "a2": 5, "gave": "no"}`,
			`{"a1": 5, "a2": 2, "gave": "no"}`,
			`{"a1": 2, "gave": "no"}`,
			`{"a1": 4, "a2": 4, "gave": "no"}`,
		} {
			a, err := q.CheckAnswers(raw(t, js))
			if err != nil {
				t.Fatal(err)
			}
			r := Response{ID: fmt.Sprint(i, j), SurveyID: "sv", Version: 1, AgencyCode: "A", AreaCode: "X", Channel: ChannelInvitation, Answers: a, SubmittedAt: at}
			rs = append(rs, r)
			counts = append(counts, CountsFor(&q, r)...)
		}
	}
	ratings := []feedback.RatingCount{
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 5, N: 6},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 4, N: 3},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 2, N: 3},
	}
	sum := 3*0.05125*0.05125 + 0.07375*0.07375 + 0.08*0.08
	half1 := 1.96 * math.Sqrt(20.0/19*4*sum/16)
	half2 := 1.96 * math.Sqrt(32.0/31*0.015625)
	if !near(half1, 0.141190, 1e-6) || !near(half2, 0.248920, 1e-6) {
		t.Fatalf("hand computation: half-widths %f, %f", half1, half2)
	}
	overall, els := Intervals(&q, rs, ratings)
	want := map[string][3]float64{
		"e1": {77.5, 100 * (0.775 - half1), 100 * (0.775 + half1)},
		"e2": {75, 100 * (0.75 - half2), 100 * (0.75 + half2)},
	}
	wantN := map[string]int64{"e1": 20, "e2": 32}
	if len(els) != len(want) {
		t.Fatalf("intervals for %d elements, want %d: %v", len(els), len(want), els)
	}
	for code, w := range want {
		ci := els[code]
		if ci == nil || !near(ci.Value, w[0], 1e-9) || !near(ci.Low, w[1], 1e-9) || !near(ci.High, w[2], 1e-9) || ci.N != wantN[code] || ci.Method != OverallCIMethod {
			t.Errorf("element %s: %+v, want %.4f in [%.4f, %.4f], n %d", code, ci, w[0], w[1], w[2], wantN[code])
		}
	}
	// Centred on the indicators' element figures; the overall interval is
	// OverallInterval's.
	b, _ := SIPAS(&q, counts, ratings, IndicatorOptions{MinGroupSize: 1})
	for _, e := range b.Elements {
		if ci := els[e.Code]; ci == nil || e.Value == nil || !near(*e.Value, ci.Value, 1e-9) {
			t.Errorf("element %s: index %v, interval %+v", e.Code, e.Value, ci)
		}
	}
	if o := OverallInterval(&q, rs, ratings); overall == nil || o == nil || *o != *overall {
		t.Errorf("overall %+v, OverallInterval %+v", overall, o)
	}
	// One respondent and no ratings: no element interval.
	if _, els := Intervals(&q, rs[:1], nil); len(els) != 0 {
		t.Errorf("one respondent: %v, want none", els)
	}
}
