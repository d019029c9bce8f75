package survey

import (
	"fmt"
	"math"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
)

const eps = 1e-9

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestWilson(t *testing.T) {
	// Known value: 8 of 10 → [0.4902, 0.9433].
	lo, hi := Wilson(8, 10)
	if !near(lo, 0.4902, 5e-5) || !near(hi, 0.9433, 5e-5) {
		t.Errorf("Wilson(8, 10) = [%.5f, %.5f], want [0.4902, 0.9433]", lo, hi)
	}
	// 5 of 8: p = .625, centre .584449, half-width .278709.
	lo, hi = Wilson(5, 8)
	if !near(lo, 0.305742, 1e-6) || !near(hi, 0.863156, 1e-6) {
		t.Errorf("Wilson(5, 8) = [%.6f, %.6f], want [0.305742, 0.863156]", lo, hi)
	}
	if lo, hi := Wilson(0, 10); lo != 0 || !near(hi, 0.277533, 1e-6) {
		t.Errorf("Wilson(0, 10) = [%f, %f], want [0, 0.277533]", lo, hi)
	}
	if lo, hi := Wilson(10, 10); !near(lo, 0.722467, 1e-6) || hi != 1 {
		t.Errorf("Wilson(10, 10) = [%f, %f], want [0.722467, 1]", lo, hi)
	}
	if lo, hi := Wilson(0, 0); lo != 0 || hi != 1 {
		t.Errorf("Wilson(0, 0) = [%f, %f], want [0, 1]", lo, hi)
	}
}

// respond runs answers given as JSON through CheckAnswers and CountsFor, as
// the service does, and returns the counters.
func respond(t *testing.T, q *Questionnaire, version int, agency, area string, at time.Time, answers ...string) []Count {
	t.Helper()
	var out []Count
	for i, js := range answers {
		a, err := q.CheckAnswers(raw(t, js))
		if err != nil {
			t.Fatalf("response %d %s: %v", i, js, err)
		}
		out = append(out, CountsFor(q, Response{ID: fmt.Sprint(i), SurveyID: "sv", Version: version, AgencyCode: agency,
			AreaCode: area, Channel: ChannelInvitation, Answers: a, SubmittedAt: at})...)
	}
	return out
}

func checkValue(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.9f", what, want)
	} else if !near(*got, want, eps) {
		t.Errorf("%s = %.12f, want %.12f", what, *got, want)
	}
}

func checkNil(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want nil", what, *got)
	}
}

// criterionWant is a criterion's hand-computed k satisfied of n.
type criterionWant struct {
	code string
	k, n int64
}

func checkCriteria(t *testing.T, who string, b Breakdown, want []criterionWant, suppressed bool) {
	t.Helper()
	if len(b.Criteria) != len(want) {
		t.Fatalf("%s: %d criteria, want %d", who, len(b.Criteria), len(want))
	}
	for i, w := range want {
		c := b.Criteria[i]
		what := who + " criterion " + w.code
		if c.Code != w.code || c.N != w.n || c.Suppressed != suppressed {
			t.Errorf("%s: got code %s n %d suppressed %v, want %s n %d suppressed %v", what, c.Code, c.N, c.Suppressed, w.code, w.n, suppressed)
		}
		if suppressed || w.n == 0 {
			checkNil(t, what, c.Value)
			checkNil(t, what+" CI low", c.CILow)
			checkNil(t, what+" CI high", c.CIHigh)
			continue
		}
		checkValue(t, what, c.Value, 100*float64(w.k)/float64(w.n))
		lo, hi := Wilson(w.k, w.n)
		checkValue(t, what+" CI low", c.CILow, 100*lo)
		checkValue(t, what+" CI high", c.CIHigh, 100*hi)
	}
}

// TestSIPAS works a small survey through by hand. Two elements of two
// criteria each; e2's criteria are asked only of those who gave feedback,
// and e2 also takes the reporters' ratings.
//
// Agency A (area X, 6 responses, November 2026, version 1):
//
//	     a1  a2  gave  b1  b2
//	r1   5   4   yes   4   2
//	r2   4   na  yes   5   na
//	r3   3   2   no    -   -
//	r4   2   -   no    -   -    (a2 skipped: optional)
//	r5   5   5   yes   1   4
//	r6   na  na  no    -   -
//
// Agency B (area Y, 3 responses, December 2026, version 2 of the survey):
//
//	r7   5   5   no
//	r8   4   3   yes   5   5
//	r9   1   -   no
//
// Ratings of A's answers (November): 5, 5, 4, 3.
//
// Agency A:
//
//	a1: non-na 5,4,3,2,5 → n 5, satisfied 3 → 60%
//	a2: non-na 4,2,5     → n 3, satisfied 2 → 66.667%
//	e1 = (60 + 66.667) / 2 = 63.333%; n = respondents with a non-na e1 answer = 5 (not r6)
//	b1: 4,5,1 → n 3, k 2 → 66.667%
//	b2: 2,4   → n 2, k 1 → 50%
//	report_rating: 5,5,4,3 → n 4, k 3 → 75%
//	e2 = (66.667 + 50 + 75) / 3 = 63.889%; n = 3 (r1, r2, r5) + 4 ratings = 7
//	overall = (63.333 + 63.889) / 2 = 63.611%; n = 6 respondents
//	6 responses + 4 ratings = 10 ≥ 5: published.
//
// Agency B: 3 responses, no ratings: 3 < 5, suppressed; the n remain:
//
//	a1 n 3, a2 n 2, e1 n 3, b1 n 1, b2 n 1, report_rating n 0, e2 n 1, overall n 3.
//
// Everyone:
//
//	a1: n 8, k 5 → 62.5%   a2: n 5, k 3 → 60%   e1 = 61.25%, n 8
//	b1: n 4, k 3 → 75%     b2: n 3, k 2 → 66.667%   report_rating 75%, n 4
//	e2 = (75 + 66.667 + 75) / 3 = 72.222%, n 3 + 1 + 4 = 8
//	overall = (61.25 + 72.222) / 2 = 66.736%, n 9
func TestSIPAS(t *testing.T) {
	q := smallSIPAS()
	nov := time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	counts := respond(t, &q, 1, "A", "X", nov,
		`{"a1": 5, "a2": 4, "gave": "yes", "b1": 4, "b2": 2}`,
		`{"a1": 4, "a2": "na", "gave": "yes", "b1": 5, "b2": "na"}`,
		`{"a1": 3, "a2": 2, "gave": "no"}`,
		`{"a1": 2, "gave": "no"}`,
		`{"a1": "5", "a2": "5", "gave": true, "b1": 1, "b2": 4, "comment": "tốt"}`,
		`{"a1": "na", "a2": "na", "gave": "no", "age": 30}`,
	)
	counts = append(counts, respond(t, &q, 2, "B", "Y", dec,
		`{"a1": 5, "a2": 5, "gave": "no"}`,
		`{"a1": 4, "a2": 3, "gave": "yes", "b1": 5, "b2": 5}`,
		`{"a1": 1, "gave": false}`,
	)...)
	ratings := []feedback.RatingCount{
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 5, N: 2},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 4, N: 1},
		{AgencyCode: "A", AreaCode: "X", Period: "2026-11", Score: 3, N: 1},
	}
	labels := func(by, key string) string { return by + ":" + key }

	all, groups := SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByAgency, Lang: i18n.EN, Labels: labels})

	t.Run("everyone", func(t *testing.T) {
		if all.Respondents != 9 || all.Overall.N != 9 || all.Overall.Suppressed {
			t.Errorf("respondents %d, overall %+v; want 9, 9, published", all.Respondents, all.Overall)
		}
		checkCriteria(t, "all", all, []criterionWant{{"a1", 5, 8}, {"a2", 3, 5}, {"b1", 3, 4}, {"b2", 2, 3}, {"report_rating", 3, 4}}, false)
		if rr := all.Criteria[4]; rr.ElementCode != "e2" || rr.Label != "Reporters' ratings of the answers" {
			t.Errorf("report_rating criterion = %+v", rr)
		}
		if c := all.Criteria[0]; c.ElementCode != "e1" || c.Label != "Criterion a1" {
			t.Errorf("a1 = %+v", c)
		}
		// a1's interval by hand: 5 of 8 → [30.5742%, 86.3156%].
		if lo, hi := *all.Criteria[0].CILow, *all.Criteria[0].CIHigh; !near(lo, 30.5742, 1e-4) || !near(hi, 86.3156, 1e-4) {
			t.Errorf("a1 interval = [%f, %f], want [30.5742, 86.3156]", lo, hi)
		}
		if len(all.Elements) != 2 || all.Elements[0].Code != "e1" || all.Elements[1].Code != "e2" || all.Elements[1].Label != "Feedback" {
			t.Fatalf("elements = %+v", all.Elements)
		}
		checkValue(t, "e1", all.Elements[0].Value, (62.5+60)/2)
		checkValue(t, "e2", all.Elements[1].Value, (75+200.0/3+75)/3)
		if all.Elements[0].N != 8 || all.Elements[1].N != 8 {
			t.Errorf("element n = %d, %d; want 8, 8", all.Elements[0].N, all.Elements[1].N)
		}
		checkValue(t, "overall", all.Overall.Value, (61.25+(75+200.0/3+75)/3)/2)
		checkValue(t, "overall (decimal)", all.Overall.Value, 66.73611111111111)
	})

	if len(groups) != 2 || groups[0].Key != "A" || groups[1].Key != "B" {
		t.Fatalf("groups = %+v, want A and B", groups)
	}

	t.Run("agency A", func(t *testing.T) {
		a := groups[0]
		if a.Label != "agency:A" || a.Respondents != 6 || a.Overall.N != 6 {
			t.Errorf("A: label %q respondents %d overall n %d", a.Label, a.Respondents, a.Overall.N)
		}
		checkCriteria(t, "A", a.Breakdown, []criterionWant{{"a1", 3, 5}, {"a2", 2, 3}, {"b1", 2, 3}, {"b2", 1, 2}, {"report_rating", 3, 4}}, false)
		checkValue(t, "A e1", a.Elements[0].Value, 190.0/3) // 63.333…
		checkValue(t, "A e2", a.Elements[1].Value, 575.0/9) // (200/3 + 50 + 75) / 3 = 63.888…
		checkValue(t, "A overall", a.Overall.Value, (190.0/3+575.0/9)/2)
		if a.Elements[0].N != 5 || a.Elements[1].N != 7 {
			t.Errorf("A element n = %d, %d; want 5, 7", a.Elements[0].N, a.Elements[1].N)
		}
	})

	t.Run("agency B is suppressed", func(t *testing.T) {
		b := groups[1]
		if b.Respondents != 3 || b.Overall.N != 3 || !b.Overall.Suppressed {
			t.Errorf("B: respondents %d overall %+v; want 3, suppressed", b.Respondents, b.Overall)
		}
		checkNil(t, "B overall", b.Overall.Value)
		checkCriteria(t, "B", b.Breakdown, []criterionWant{{"a1", 2, 3}, {"a2", 1, 2}, {"b1", 1, 1}, {"b2", 1, 1}, {"report_rating", 0, 0}}, true)
		for i, wantN := range []int64{3, 1} {
			e := b.Elements[i]
			if e.Value != nil || !e.Suppressed || e.N != wantN {
				t.Errorf("B element %s = %+v, want suppressed with n %d", e.Code, e.Figure, wantN)
			}
		}
	})

	t.Run("a smaller minimum publishes B", func(t *testing.T) {
		_, groups := SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByAgency, MinGroupSize: 3})
		b := groups[1]
		// e1: a1 2/3 = 66.667, a2 1/2 = 50 → 58.333; e2: b1 100, b2 100, no ratings → 100.
		checkValue(t, "B e1", b.Elements[0].Value, (200.0/3+50)/2)
		checkValue(t, "B e2", b.Elements[1].Value, 100)
		checkValue(t, "B overall", b.Overall.Value, ((200.0/3+50)/2+100)/2)
		if b.Criteria[4].Value != nil || b.Criteria[4].Suppressed {
			t.Errorf("B report_rating = %+v, want no data, not suppressed", b.Criteria[4])
		}
		// Labels are Vietnamese by default.
		if b.Elements[1].Label != "Góp ý" || b.Criteria[4].Label != "Đánh giá của người phản ánh về kết quả xử lý" {
			t.Errorf("labels = %q, %q", b.Elements[1].Label, b.Criteria[4].Label)
		}
		if b.Label != "" {
			t.Errorf("label without a Labels func = %q", b.Label)
		}
	})

	t.Run("by month and quarter", func(t *testing.T) {
		_, months := SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByMonth})
		if len(months) != 2 || months[0].Key != "2026-11" || months[1].Key != "2026-12" {
			t.Fatalf("month groups = %v", keys(months))
		}
		// November is agency A exactly (its ratings are of November).
		checkValue(t, "November overall", months[0].Overall.Value, (190.0/3+575.0/9)/2)
		_, quarters := SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByQuarter})
		if len(quarters) != 1 || quarters[0].Key != "2026-Q4" {
			t.Fatalf("quarter groups = %v", keys(quarters))
		}
		checkValue(t, "Q4 overall", quarters[0].Overall.Value, 66.73611111111111)
		if quarters[0].Respondents != 9 {
			t.Errorf("Q4 respondents = %d", quarters[0].Respondents)
		}
	})

	t.Run("by area matches ratings by area", func(t *testing.T) {
		_, areas := SIPAS(&q, counts, ratings, IndicatorOptions{GroupBy: GroupByArea})
		if len(areas) != 2 || areas[0].Key != "X" || areas[0].Criteria[4].N != 4 || areas[1].Criteria[4].N != 0 {
			t.Errorf("area groups = %+v", areas)
		}
	})

	t.Run("ungrouped has no groups", func(t *testing.T) {
		_, g := SIPAS(&q, counts, ratings, IndicatorOptions{})
		if g == nil || len(g) != 0 {
			t.Errorf("groups = %v, want an empty list", g)
		}
	})

	t.Run("no data", func(t *testing.T) {
		b, _ := SIPAS(&q, nil, nil, IndicatorOptions{})
		if b.Respondents != 0 || b.Overall.Value != nil || b.Overall.Suppressed || len(b.Criteria) != 5 || len(b.Elements) != 2 {
			t.Errorf("empty breakdown = %+v", b)
		}
	})

	t.Run("only ratings", func(t *testing.T) {
		b, _ := SIPAS(&q, nil, ratings, IndicatorOptions{})
		// 4 ratings < 5: suppressed.
		if !b.Overall.Suppressed || b.Criteria[4].N != 4 || b.Elements[1].N != 4 {
			t.Errorf("ratings-only breakdown = %+v", b)
		}
	})
}

func keys(gs []Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Key)
	}
	return out
}

// TestPAPI works a small PAPI survey through by hand (scale 1–10).
// d1 has s11 (x1 likert5, x2 yes_no reversed) and s12 (x3 single choice:
// a 1, b 0.5, c 0, dk unscored); d2 has s21 (x4 yes_no).
//
// Agency A, 5 responses:
//
//	     x1  x2   x3  x4
//	p1   5   no   a   yes
//	p2   3   yes  b   no
//	p3   na  no   dk  yes
//	p4   1   no   c   yes
//	p5   4   yes  a   -
//
//	x1: (5−1)/4=1, .5, na left out, 0, .75 → .5625
//	x2 reversed: no → 1, yes → 0: 1, 0, 1, 1, 0 → .6 (unreversed it would be .4)
//	d1 has two sub-dimensions, each on half of 1–10: 0.5–5.
//	s11 = (.5625 + .6)/2 = .58125 → 0.5 + 4.5 × .58125 = 3.115625; n 5
//	x3: 1, .5, dk left out, 0, 1 → .625 → s12 = 0.5 + 4.5 × .625 = 3.3125; n 4 (p3's dk scores nothing)
//	d1 = s11 + s12 = 6.428125 (= 1 + 9 × (.58125 + .625)/2); n 5
//	x4: 1, 0, 1, 1 → .75 → s21 = d2 = 1 + 9 × .75 = 7.75; n 4
//	total = 6.428125 + 7.75 = 14.178125; n 5
//
// Agency B, 2 responses (suppressed): p6 x1 5, x3 a; p7 x1 4, x3 b — d2
// has no data there, so B's total would be nil even unsuppressed.
func TestPAPI(t *testing.T) {
	q := smallPAPI()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	counts := respond(t, &q, 1, "A", "X", at,
		`{"x1": 5, "x2": "no", "x3": "a", "x4": "yes"}`,
		`{"x1": 3, "x2": "yes", "x3": "b", "x4": "no"}`,
		`{"x1": "na", "x2": false, "x3": "dk", "x4": true}`,
		`{"x1": 1, "x2": "no", "x3": "c", "x4": "yes"}`,
		`{"x1": 4, "x2": "yes", "x3": "a"}`,
	)
	counts = append(counts, respond(t, &q, 1, "B", "X", at,
		`{"x1": 5, "x3": "a"}`,
		`{"x1": 4, "x3": "b"}`,
	)...)

	_, groups := PAPI(&q, counts, IndicatorOptions{GroupBy: GroupByAgency, Lang: i18n.EN})
	if len(groups) != 2 || groups[0].Key != "A" || groups[1].Key != "B" {
		t.Fatalf("groups = %+v", groups)
	}
	a := groups[0]
	if a.Respondents != 5 || a.Total.N != 5 || len(a.Dimensions) != 2 {
		t.Fatalf("A = %+v", a.PAPIBreakdown)
	}
	d1, d2 := a.Dimensions[0], a.Dimensions[1]
	if d1.Code != "d1" || d1.Label != "Dimension 1" || len(d1.Subdimensions) != 2 || d2.Code != "d2" || len(d2.Subdimensions) != 1 {
		t.Fatalf("dimensions = %+v", a.Dimensions)
	}
	checkValue(t, "s11", d1.Subdimensions[0].Value, 3.115625)
	checkValue(t, "s12", d1.Subdimensions[1].Value, 3.3125)
	if d1.Scale != (Scale{1, 10}) || d1.Subdimensions[0].Scale != (Scale{0.5, 5}) || d2.Subdimensions[0].Scale != (Scale{1, 10}) || a.TotalScale != (Scale{2, 20}) {
		t.Errorf("scales: d1 %v, s11 %v, s21 %v, total %v; want 1–10, 0.5–5, 1–10, 2–20", d1.Scale, d1.Subdimensions[0].Scale, d2.Subdimensions[0].Scale, a.TotalScale)
	}
	checkValue(t, "d1", d1.Value, 6.428125)
	checkValue(t, "s21", d2.Subdimensions[0].Value, 7.75)
	checkValue(t, "d2", d2.Value, 7.75)
	checkValue(t, "total", a.Total.Value, 14.178125)
	for _, c := range []struct {
		what string
		got  int64
		want int64
	}{{"d1", d1.N, 5}, {"s11", d1.Subdimensions[0].N, 5}, {"s12", d1.Subdimensions[1].N, 4}, {"d2", d2.N, 4}, {"s21", d2.Subdimensions[0].N, 4}} {
		if c.got != c.want {
			t.Errorf("%s n = %d, want %d", c.what, c.got, c.want)
		}
	}

	b := groups[1]
	if !b.Total.Suppressed || b.Total.Value != nil || b.Total.N != 2 || !b.Dimensions[0].Suppressed || b.Dimensions[0].Value != nil ||
		!b.Dimensions[0].Subdimensions[0].Suppressed || b.Dimensions[0].N != 2 {
		t.Errorf("B = %+v, want suppressed with n kept", b.PAPIBreakdown)
	}

	t.Run("a missing dimension leaves the total empty", func(t *testing.T) {
		_, groups := PAPI(&q, counts, IndicatorOptions{GroupBy: GroupByAgency, MinGroupSize: 1})
		b := groups[1]
		// x1: 1, .75 → .875; s11 = 0.5 + 4.5 × .875 = 4.4375; x3: 1, .5 → s12 = 3.875; d1 = s11 + s12 = 8.3125.
		checkValue(t, "B d1", b.Dimensions[0].Value, 8.3125)
		checkValue(t, "B s11", b.Dimensions[0].Subdimensions[0].Value, 4.4375)
		checkValue(t, "B s12", b.Dimensions[0].Subdimensions[1].Value, 3.875)
		checkNil(t, "B d2", b.Dimensions[1].Value)
		checkNil(t, "B total", b.Total.Value)
		if b.Total.Suppressed {
			t.Error("B total marked suppressed with a minimum of 1")
		}
	})

	t.Run("everyone, another scale", func(t *testing.T) {
		q := q
		q.Scoring.ScaleMin, q.Scoring.ScaleMax = 0, 100
		all, _ := PAPI(&q, counts, IndicatorOptions{})
		// x1 over 6 non-na answers: (1 + .5 + 0 + .75 + 1 + .75)/6 = 2/3; x2 .6 → s11 = (2/3 + .6)/2 = 19/30.
		// x3: (1 + .5 + 0 + 1 + 1 + .5)/6 = 2/3 → s12 = 2/3. d1 = 100 × (19/30 + 2/3)/2 = 65. d2 = 75.
		checkValue(t, "d1", all.Dimensions[0].Value, 65)
		checkValue(t, "d2", all.Dimensions[1].Value, 75)
		checkValue(t, "total", all.Total.Value, 140)
		if all.Respondents != 7 {
			t.Errorf("respondents = %d", all.Respondents)
		}
	})
}

func TestRank(t *testing.T) {
	f := func(v float64) Figure { return Figure{Value: &v, N: 10} }
	groups := []Group{
		{Key: "D", Label: "Sở D", Breakdown: Breakdown{Overall: f(70)}},
		{Key: "A", Breakdown: Breakdown{Overall: Figure{N: 3, Suppressed: true}}},
		{Key: "C", Breakdown: Breakdown{Overall: f(90)}},
		{Key: "B", Breakdown: Breakdown{Overall: f(70)}},
		{Key: "E", Breakdown: Breakdown{Overall: f(95)}},
		{Key: "F", Breakdown: Breakdown{Overall: Figure{}}},
		{Key: "", Breakdown: Breakdown{Overall: Figure{N: 4, Suppressed: true}}}, // answers for no agency: not ranked
	}
	previous := []Group{
		{Key: "D", Breakdown: Breakdown{Overall: f(75.5)}},
		{Key: "A", Breakdown: Breakdown{Overall: f(50)}},
		{Key: "C", Breakdown: Breakdown{Overall: Figure{N: 2, Suppressed: true}}},
		{Key: "Z", Breakdown: Breakdown{Overall: f(10)}},
	}
	items := Rank(groups, previous)
	want := []struct {
		code   string
		rank   int
		change *float64
		prev   *float64
	}{
		{"E", 1, nil, nil},
		{"C", 2, nil, nil},
		{"B", 3, nil, nil},
		{"D", 3, ptr(-5.5), ptr(75.5)},
		{"A", 0, nil, ptr(50)},
		{"F", 0, nil, nil},
	}
	if len(items) != len(want) {
		t.Fatalf("got %d items, want %d", len(items), len(want))
	}
	for i, w := range want {
		it := items[i]
		if it.AgencyCode != w.code || it.Rank != w.rank {
			t.Errorf("item %d = %s rank %d, want %s rank %d", i, it.AgencyCode, it.Rank, w.code, w.rank)
		}
		switch {
		case w.change == nil && it.Change != nil:
			t.Errorf("%s change = %v, want nil", w.code, *it.Change)
		case w.change != nil:
			checkValue(t, w.code+" change", it.Change, *w.change)
		}
		switch {
		case w.prev == nil && it.Previous != nil:
			t.Errorf("%s previous = %+v, want nil", w.code, *it.Previous)
		case w.prev != nil && it.Previous == nil:
			t.Errorf("%s previous = nil, want %v", w.code, *w.prev)
		case w.prev != nil:
			checkValue(t, w.code+" previous", it.Previous.Value, *w.prev)
		}
	}
	if items[3].AgencyName != "Sở D" || items[3].Overall.N != 10 {
		t.Errorf("D = %+v", items[3])
	}
	if got := Rank(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("Rank(nil) = %v, want an empty list", got)
	}
}
