package survey

import (
	"context"
	"math"
	"strings"

	"camaug/feedback"
	"camaug/internal/identity"
)

// OverallCI is the 95% interval of the overall SIPAS index, in percent.
type OverallCI struct {
	Value  float64 // the overall index it is computed around
	Low    float64
	High   float64
	N      int64 // the units: responses of the selection plus report ratings
	Method string
}

// OverallCIMethod names the method, for the page and the downloads.
const OverallCIMethod = "taylor-linearization"

// OverallInterval returns the 95% interval of the overall SIPAS index
// (PRODUCT.md §8 defines Wilson intervals per criterion only; the overall
// index is a mean of element means of criterion proportions, so it gets
// its own).
//
// Method: Taylor linearization (the delta method) over respondents. With
// E elements that have data (parts left out, as in the index), C_e
// criteria with data in element e, N_c the answers counted for criterion c
// and p_c = K_c/N_c its satisfied share, respondent i's influence on the
// index is
//
//	z_i = (1/E) Σ_e (1/C_e) Σ_c (s_ic − p_c·a_ic) / N_c
//
// with a_ic 1 when i gave c a scored answer and s_ic 1 when that answer is
// satisfied. Var ≈ n/(n−1) Σ_i z_i², and the interval is index ± 1.96·√Var
// (×100), clipped to 0..100. Responses count as the indicators count them
// (CountsFor: respondents who do not meet scoring.eligible add nothing);
// each report rating of an element with report_ratings is a unit of its
// own. It returns nil with fewer than 2 units or no index.
func OverallInterval(q *Questionnaire, rs []Response, ratings []feedback.RatingCount) *OverallCI {
	satisfied := map[string]bool{"4": true, "5": true}
	if len(q.Scoring.Satisfied) > 0 {
		satisfied = map[string]bool{}
		for _, v := range q.Scoring.Satisfied {
			satisfied[v] = true
		}
	}
	// Each response's counted answers, as the counters hold them.
	answers := make([]map[string]string, len(rs))
	for i, r := range rs {
		m := map[string]string{}
		for _, c := range CountsFor(q, r) {
			if !strings.HasPrefix(c.Question, "_") {
				m[c.Question] = c.Answer
			}
		}
		answers[i] = m
	}
	type crit struct {
		question string // "" for the report ratings
		k, n     float64
		element  int
	}
	var crits []crit
	var ratingK, ratingN float64
	for _, r := range ratings {
		if r.Score >= 1 && r.Score <= 5 {
			ratingN += float64(r.N)
			if r.Score >= 4 {
				ratingK += float64(r.N)
			}
		}
	}
	score := func(qu *Question, a string) (answered, sat bool) {
		return qu.Scored(a), qu.Scored(a) && satisfied[a]
	}
	questions := map[string]*Question{}
	for si := range q.Sections {
		for qi := range q.Sections[si].Questions {
			qu := &q.Sections[si].Questions[qi]
			questions[qu.Code] = qu
		}
	}
	var elemCrits []int // criteria with data per element that has data
	for _, e := range q.Elements {
		if e.Part != "" {
			continue
		}
		start := len(crits)
		for _, s := range q.Sections {
			for _, qu := range s.Questions {
				if qu.ElementCode != e.Code || (qu.Type != TypeLikert5 && qu.Type != TypeRating) {
					continue
				}
				c := crit{question: qu.Code, element: len(elemCrits)}
				for _, m := range answers {
					if a, ok := m[qu.Code]; ok {
						ans, sat := score(questions[qu.Code], a)
						if ans {
							c.n++
						}
						if sat {
							c.k++
						}
					}
				}
				if c.n > 0 {
					crits = append(crits, c)
				}
			}
		}
		if e.ReportRatings && ratingN > 0 {
			crits = append(crits, crit{k: ratingK, n: ratingN, element: len(elemCrits)})
		}
		if len(crits) > start {
			elemCrits = append(elemCrits, len(crits)-start)
		}
	}
	E := float64(len(elemCrits))
	if E == 0 {
		return nil
	}
	index := 0.0
	for _, c := range crits {
		index += (c.k / c.n) / float64(elemCrits[c.element]) / E
	}
	var sumZ2 float64
	for _, m := range answers {
		var z float64
		for _, c := range crits {
			a, ok := m[c.question]
			if c.question == "" || !ok {
				continue
			}
			ans, sat := score(questions[c.question], a)
			if !ans {
				continue
			}
			s := 0.0
			if sat {
				s = 1
			}
			z += (s - c.k/c.n) / c.n / float64(elemCrits[c.element]) / E
		}
		sumZ2 += z * z
	}
	// Each report rating: its own unit, in the ratings' criterion only.
	for _, c := range crits {
		if c.question != "" {
			continue
		}
		p, w := c.k/c.n, 1/c.n/float64(elemCrits[c.element])/E
		sumZ2 += c.k*math.Pow((1-p)*w, 2) + (c.n-c.k)*math.Pow(p*w, 2)
	}
	n := float64(len(rs)) + ratingN
	if n < 2 {
		return nil
	}
	half := 1.96 * math.Sqrt(n/(n-1)*sumZ2)
	return &OverallCI{Value: 100 * index, Low: 100 * max(0, index-half), High: 100 * min(1, index+half),
		N: int64(n), Method: OverallCIMethod}
}

// SIPASOverallInterval is OverallInterval for a selection (survey, months,
// channel; GroupBy is ignored): read from the stored responses of the
// survey, with the report ratings the indicators use. Nil when the
// overall index is withheld or missing.
func (s *Service) SIPASOverallInterval(ctx context.Context, p identity.Principal, in IndicatorQuery) (*OverallCI, error) {
	in.GroupBy, in.Compare = GroupByNone, false
	sel, err := s.selectFor(ctx, p, in, KindSIPAS)
	if err != nil {
		return nil, err
	}
	counts, ratings, err := s.inputs(ctx, sel, sel.from, sel.to)
	if err != nil {
		return nil, err
	}
	b, _ := SIPAS(sel.q, counts, ratings, sel.opt)
	if b.Overall.Value == nil {
		return nil, nil
	}
	var rs []Response
	for after := ""; ; {
		page, err := s.store.Responses(ctx, sel.survey.ID, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			month := PeriodOf(r.SubmittedAt)
			if month < sel.from || month > sel.to {
				continue
			}
			switch {
			case sel.channels == ChannelsApp && r.Channel != ChannelApp,
				sel.channels == ChannelsOfficial && r.Channel == ChannelApp:
				continue
			}
			rs = append(rs, r)
		}
		after = page[len(page)-1].ID
	}
	return OverallInterval(sel.q, rs, ratings), nil
}
