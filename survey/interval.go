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
	overall, _ := Intervals(q, rs, ratings)
	return overall
}

// Intervals returns OverallInterval and, by element code, the same 95%
// interval for each element's index (the mean of its criteria's
// proportions), computed the same way: respondent i's influence on
// element e is
//
//	z_ie = (1/C_e) Σ_c (s_ic − p_c·a_ic) / N_c
//
// (the overall z_i is the mean of the z_ie over the E elements).
// Var ≈ n/(n−1) Σ_i z_ie², index ± 1.96·√Var (×100), clipped to 0..100.
// An element's n counts the responses of the selection, plus the report
// ratings when the element takes them. Elements without data, parts
// (left out of the index) and elements with fewer than 2 units get none.
func Intervals(q *Questionnaire, rs []Response, ratings []feedback.RatingCount) (*OverallCI, map[string]*OverallCI) {
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
	var elemCrits []int    // criteria with data per element that has data
	var elemCodes []string // their codes
	var elemRatings []bool // whether their criteria include the report ratings
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
		withRatings := e.ReportRatings && ratingN > 0
		if withRatings {
			crits = append(crits, crit{k: ratingK, n: ratingN, element: len(elemCrits)})
		}
		if len(crits) > start {
			elemCrits = append(elemCrits, len(crits)-start)
			elemCodes = append(elemCodes, e.Code)
			elemRatings = append(elemRatings, withRatings)
		}
	}
	E := float64(len(elemCrits))
	if E == 0 {
		return nil, nil
	}
	// Each element's index, and the overall index as their mean.
	elemIndex := make([]float64, len(elemCrits))
	for _, c := range crits {
		elemIndex[c.element] += (c.k / c.n) / float64(elemCrits[c.element])
	}
	index := 0.0
	for _, v := range elemIndex {
		index += v / E
	}
	var sumZ2 float64
	elemZ2 := make([]float64, len(elemCrits))
	ze := make([]float64, len(elemCrits))
	for _, m := range answers {
		clear(ze)
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
			ze[c.element] += (s - c.k/c.n) / c.n / float64(elemCrits[c.element])
		}
		var z float64
		for e, v := range ze {
			z += v / E
			elemZ2[e] += v * v
		}
		sumZ2 += z * z
	}
	// Each report rating: its own unit, in the ratings' criterion only.
	for _, c := range crits {
		if c.question != "" {
			continue
		}
		p, w := c.k/c.n, 1/c.n/float64(elemCrits[c.element])
		unit := c.k*math.Pow(1-p, 2) + (c.n-c.k)*math.Pow(p, 2)
		elemZ2[c.element] += unit * w * w
		sumZ2 += unit * (w / E) * (w / E)
	}
	interval := func(index, sumZ2, n float64) *OverallCI {
		if n < 2 {
			return nil
		}
		half := 1.96 * math.Sqrt(n/(n-1)*sumZ2)
		return &OverallCI{Value: 100 * index, Low: 100 * max(0, index-half), High: 100 * min(1, index+half),
			N: int64(n), Method: OverallCIMethod}
	}
	elements := map[string]*OverallCI{}
	for e, code := range elemCodes {
		n := float64(len(rs))
		if elemRatings[e] {
			n += ratingN
		}
		if ci := interval(elemIndex[e], elemZ2[e], n); ci != nil {
			elements[code] = ci
		}
	}
	return interval(index, sumZ2, float64(len(rs))+ratingN), elements
}

// SIPASOverallInterval is OverallInterval for a selection (survey, months,
// channel; GroupBy is ignored): read from the stored responses of the
// survey, with the report ratings the indicators use. Nil when the
// overall index is withheld or missing.
func (s *Service) SIPASOverallInterval(ctx context.Context, p identity.Principal, in IndicatorQuery) (*OverallCI, error) {
	overall, _, err := s.SIPASIntervals(ctx, p, in)
	return overall, err
}

// SIPASIntervals is Intervals for a selection, as SIPASOverallInterval
// reads it: the overall interval and each element's, by element code.
// Both are nil when the overall index is withheld or missing.
func (s *Service) SIPASIntervals(ctx context.Context, p identity.Principal, in IndicatorQuery) (*OverallCI, map[string]*OverallCI, error) {
	in.GroupBy, in.Compare = GroupByNone, false
	sel, err := s.selectFor(ctx, p, in, KindSIPAS)
	if err != nil {
		return nil, nil, err
	}
	counts, ratings, err := s.inputs(ctx, sel, sel.from, sel.to)
	if err != nil {
		return nil, nil, err
	}
	b, _ := SIPAS(sel.q, counts, ratings, sel.opt)
	if b.Overall.Value == nil {
		return nil, nil, nil
	}
	rs, err := s.selectedResponses(ctx, sel)
	if err != nil {
		return nil, nil, err
	}
	overall, elements := Intervals(sel.q, rs, ratings)
	return overall, elements, nil
}

// selectedResponses are the stored responses of a selection: its survey,
// months and channels.
func (s *Service) selectedResponses(ctx context.Context, sel *selection) ([]Response, error) {
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
				sel.channels == ChannelsVerified && r.Channel != ChannelVerified,
				sel.channels == ChannelsOfficial && r.Channel != ChannelInvitation:
				continue
			}
			rs = append(rs, r)
		}
		after = page[len(page)-1].ID
	}
	return rs, nil
}

// SIPASAgencyIntervals is the overall index's 95% interval of each
// agency of a selection (Intervals over the agency's responses and its
// report ratings), by agency code, for the agency ranking. An agency
// whose index is withheld or missing gets none.
func (s *Service) SIPASAgencyIntervals(ctx context.Context, p identity.Principal, in IndicatorQuery) (map[string]*OverallCI, error) {
	return s.sipasGroupIntervals(ctx, p, in, GroupByAgency)
}

// SIPASAreaIntervals is SIPASAgencyIntervals by area, for the areas'
// ranking.
func (s *Service) SIPASAreaIntervals(ctx context.Context, p identity.Principal, in IndicatorQuery) (map[string]*OverallCI, error) {
	return s.sipasGroupIntervals(ctx, p, in, GroupByArea)
}

// sipasGroupIntervals is the overall index's interval of each agency or
// area (by) whose index the grouped indicators publish.
func (s *Service) sipasGroupIntervals(ctx context.Context, p identity.Principal, in IndicatorQuery, by string) (map[string]*OverallCI, error) {
	in.GroupBy, in.Compare = by, false
	sel, err := s.selectFor(ctx, p, in, KindSIPAS)
	if err != nil {
		return nil, err
	}
	rs, err := s.selectedResponses(ctx, sel)
	if err != nil {
		return nil, err
	}
	counts, ratings, err := s.inputs(ctx, sel, sel.from, sel.to)
	if err != nil {
		return nil, err
	}
	// The groups whose index is published (not withheld).
	_, groups := SIPAS(sel.q, counts, ratings, sel.opt)
	published := map[string]bool{}
	for _, g := range groups {
		published[g.Key] = g.Breakdown.Overall.Value != nil
	}
	responseKey := func(r Response) string { return r.AgencyCode }
	ratingKey := func(r feedback.RatingCount) string { return r.AgencyCode }
	if by == GroupByArea {
		responseKey = func(r Response) string { return r.AreaCode }
		ratingKey = func(r feedback.RatingCount) string { return r.AreaCode }
	}
	byGroup := map[string][]Response{}
	for _, r := range rs {
		byGroup[responseKey(r)] = append(byGroup[responseKey(r)], r)
	}
	ratingsOf := map[string][]feedback.RatingCount{}
	for _, r := range ratings {
		ratingsOf[ratingKey(r)] = append(ratingsOf[ratingKey(r)], r)
	}
	out := map[string]*OverallCI{}
	for code, grs := range byGroup {
		if !published[code] {
			continue
		}
		if ci := OverallInterval(sel.q, grs, ratingsOf[code]); ci != nil {
			out[code] = ci
		}
	}
	return out, nil
}
