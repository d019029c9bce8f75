package survey

import (
	"cmp"
	"maps"
	"slices"

	"camaug/feedback"
	"camaug/internal/i18n"
)

// The ways indicator results can be grouped.
const (
	GroupByNone    = ""
	GroupByAgency  = "agency"
	GroupByArea    = "area"
	GroupByMonth   = "month"
	GroupByQuarter = "quarter"
)

// ValidGroupBy reports whether s is one of the GroupBy values.
func ValidGroupBy(s string) bool {
	switch s {
	case GroupByNone, GroupByAgency, GroupByArea, GroupByMonth, GroupByQuarter:
		return true
	}
	return false
}

// DefaultMinGroupSize is the smallest group published when neither the
// query nor the questionnaire says otherwise.
const DefaultMinGroupSize = 5

// IndicatorOptions says how to cut and present indicator results.
type IndicatorOptions struct {
	// GroupBy is "", "agency", "area", "month" or "quarter"; anything else
	// gives no groups.
	GroupBy string
	// MinGroupSize is the smallest number of respondents a published
	// figure rests on; 0 takes the questionnaire's scoring.min_group_size,
	// or DefaultMinGroupSize when that is 0 too.
	MinGroupSize int
	// Lang is the language of the labels.
	Lang i18n.Lang
	// Labels names a group key (an agency or area code); nil, or an empty
	// result, leaves the label empty.
	Labels func(groupBy, key string) string
}

func (o IndicatorOptions) minGroup(q *Questionnaire) int64 {
	switch {
	case o.MinGroupSize > 0:
		return int64(o.MinGroupSize)
	case q.Scoring.MinGroupSize > 0:
		return int64(q.Scoring.MinGroupSize)
	}
	return DefaultMinGroupSize
}

func (o IndicatorOptions) label(key string) string {
	if o.Labels == nil {
		return ""
	}
	return o.Labels(o.GroupBy, key)
}

func groupKey(by, agency, area, period string) (string, bool) {
	switch by {
	case GroupByAgency:
		return agency, true
	case GroupByArea:
		return area, true
	case GroupByMonth:
		return period, true
	case GroupByQuarter:
		return QuarterOf(period), true
	}
	return "", false
}

// tally is the counters of one selection, summed over survey versions.
type tally struct {
	responses int64
	answers   map[string]map[string]int64 // question → answer → n
	ratings   [6]int64                    // score 1–5 → n
	nRatings  int64
}

func newTally() *tally { return &tally{answers: map[string]map[string]int64{}} }

func (t *tally) addCount(c Count) {
	if c.Question == CountResponses {
		t.responses += c.N
		return
	}
	m := t.answers[c.Question]
	if m == nil {
		m = map[string]int64{}
		t.answers[c.Question] = m
	}
	m[c.Answer] += c.N
}

func (t *tally) addRating(r feedback.RatingCount) {
	if r.Score < 1 || r.Score > 5 {
		return
	}
	t.ratings[r.Score] += r.N
	t.nRatings += r.N
}

func (t *tally) elementN(code string) int64 {
	return t.answers[ElementCountQuestion(code)][answeredAnswer]
}

// tallies splits counts (and ratings) into the whole selection and its
// groups, keyed and sorted by group key.
type tallies struct {
	all    *tally
	keys   []string
	groups map[string]*tally
}

func split(by string, counts []Count, ratings []feedback.RatingCount) tallies {
	ts := tallies{all: newTally(), groups: map[string]*tally{}}
	group := func(key string) *tally {
		t := ts.groups[key]
		if t == nil {
			t = newTally()
			ts.groups[key] = t
			ts.keys = append(ts.keys, key)
		}
		return t
	}
	for _, c := range counts {
		ts.all.addCount(c)
		if key, ok := groupKey(by, c.AgencyCode, c.AreaCode, c.Period); ok {
			group(key).addCount(c)
		}
	}
	for _, r := range ratings {
		ts.all.addRating(r)
		if key, ok := groupKey(by, r.AgencyCode, r.AreaCode, r.Period); ok {
			group(key).addRating(r)
		}
	}
	slices.Sort(ts.keys)
	return ts
}

// SIPAS computes the satisfaction indexes of PRODUCT.md §8 from counters,
// for the whole selection and, with opt.GroupBy, for each group (sorted by
// key). Counts may come from several versions of the survey: answers are
// summed by question code, and the structure (elements, criteria, labels,
// order) is q's.
//
// A criterion's index is 100 × (answers in scoring.satisfied) / (answers
// other than "na"), with that denominator as n and a 95% Wilson interval.
// An element's index is the mean of its criteria's indexes that have data,
// its n the respondents who answered at least one of its criteria. The
// overall index is the mean of the elements' indexes that have data, its n
// the respondents. An element with report_ratings gets one more criterion,
// "report_rating", from the reporters' ratings (4 or 5 is satisfied), whose
// n also adds to the element's. Ratings are grouped by their agency, area
// or month; ungrouped, all of them count.
//
// With scoring.eligible, only the respondents who meet it (who used the
// service in the period) count: the overall n is theirs, and the
// suppression below counts them instead of all responses. Elements of a
// part (q.Parts, e.g. the online public service) are scored apart: each
// part's index is the mean of its elements' and stays out of the overall
// index.
//
// A selection with fewer respondents (responses plus ratings) than the
// minimum group size is suppressed: every value and interval is nil and
// marked Suppressed, while the n stay. An empty selection has no values
// and is not marked suppressed.
func SIPAS(q *Questionnaire, counts []Count, ratings []feedback.RatingCount, opt IndicatorOptions) (Breakdown, []Group) {
	useRatings := false
	for _, e := range q.Elements {
		useRatings = useRatings || e.ReportRatings
	}
	if !useRatings {
		ratings = nil
	}
	ts := split(opt.GroupBy, counts, ratings)
	floor := opt.minGroup(q)
	groups := make([]Group, 0, len(ts.keys))
	for _, k := range ts.keys {
		groups = append(groups, Group{Key: k, Label: opt.label(k), Breakdown: sipasBreakdown(q, ts.groups[k], opt.Lang, floor)})
	}
	return sipasBreakdown(q, ts.all, opt.Lang, floor), groups
}

func sipasBreakdown(q *Questionnaire, t *tally, lang i18n.Lang, floor int64) Breakdown {
	satisfied := map[string]bool{"4": true, "5": true}
	if len(q.Scoring.Satisfied) > 0 {
		satisfied = map[string]bool{}
		for _, v := range q.Scoring.Satisfied {
			satisfied[v] = true
		}
	}
	b := Breakdown{Respondents: t.responses, Elements: []ElementFigure{}, Criteria: []CriterionFigure{}}
	var elementValues []float64
	partValues := map[string][]float64{}
	for _, e := range q.Elements {
		var values []float64
		criterion := func(code, label string, k, n int64) {
			cf := CriterionFigure{Code: code, ElementCode: e.Code, Label: label, Figure: Figure{N: n}}
			if n > 0 {
				v := 100 * float64(k) / float64(n)
				lo, hi := Wilson(k, n)
				lo, hi = 100*lo, 100*hi
				cf.Value, cf.CILow, cf.CIHigh = &v, &lo, &hi
				values = append(values, v)
			}
			b.Criteria = append(b.Criteria, cf)
		}
		for _, s := range q.Sections {
			for _, qu := range s.Questions {
				if qu.ElementCode != e.Code || (qu.Type != TypeLikert5 && qu.Type != TypeRating) {
					continue
				}
				var k, n int64
				for a, c := range t.answers[qu.Code] {
					if !qu.Scored(a) {
						continue // "na", or nothing a criterion counts
					}
					n += c
					if satisfied[a] {
						k += c
					}
				}
				criterion(qu.Code, qu.Label.In(lang), k, n)
			}
		}
		en := t.elementN(e.Code)
		if e.ReportRatings {
			b.ReportRatings = true
			criterion(ReportRatingCode, i18n.T("Đánh giá của người phản ánh về kết quả xử lý",
				"Reporters' ratings of the answers").In(lang), t.ratings[4]+t.ratings[5], t.nRatings)
			en += t.nRatings
		}
		ef := ElementFigure{Code: e.Code, Label: e.Label.In(lang), Part: e.Part, Figure: Figure{N: en}}
		if len(values) > 0 {
			v := mean(values)
			ef.Value = &v
			if e.Part == "" {
				elementValues = append(elementValues, v)
			} else {
				partValues[e.Part] = append(partValues[e.Part], v)
			}
		}
		b.Elements = append(b.Elements, ef)
	}
	for _, p := range q.Parts {
		pf := PartFigure{Code: p.Code, Label: p.Label.In(lang), Figure: Figure{N: t.answers[PartCountQuestion(p.Code)][answeredAnswer]}}
		if vs := partValues[p.Code]; len(vs) > 0 {
			v := mean(vs)
			pf.Value = &v
		}
		b.Parts = append(b.Parts, pf)
	}
	b.Overall.N = t.responses
	if q.Scoring.Eligible != "" {
		b.Overall.N = t.answers[CountEligible][eligibleAnswer]
	}
	if len(elementValues) > 0 {
		v := mean(elementValues)
		b.Overall.Value = &v
	}
	if total := b.Overall.N + t.nRatings; total > 0 && total < floor {
		suppress(&b.Overall)
		for i := range b.Parts {
			suppress(&b.Parts[i].Figure)
		}
		for i := range b.Elements {
			suppress(&b.Elements[i].Figure)
		}
		for i := range b.Criteria {
			c := &b.Criteria[i]
			suppress(&c.Figure)
			c.CILow, c.CIHigh = nil, nil
		}
	}
	return b
}

func suppress(f *Figure) {
	f.Value = nil
	f.Suppressed = true
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Wilson returns the 95% Wilson score interval of k successes in n trials,
// as proportions 0–1 (feedback.Wilson, shared with the field-report
// satisfaction indicator).
func Wilson(k, n int64) (lo, hi float64) { return feedback.Wilson(k, n) }

// PAPI computes PAPI-style governance scores from counters, for the whole
// selection and, with opt.GroupBy, for each group (sorted by key).
//
// Each answer to an indicator is worth 0–1: a likert5 or rating level v
// (v−1)/4 ("na" left out), yes 1 and no 0, a single_choice option its
// score (options without one left out), and 1 minus that when the
// question is reversed. An indicator's value is the mean over its answers;
// a sub-dimension's the mean of its indicators'; a dimension's the mean of
// its sub-dimensions', mapped onto scoring.scale_min..scale_max (1–10 by
// default). As in PAPI, each of a dimension's k sub-dimensions is
// published on its share of that range (scale_min/k..scale_max/k, e.g.
// 0.33–3.33 for one of three), so a dimension whose sub-dimensions all have
// data scores the sum of theirs; one with a sub-dimension missing scores
// the mean of the others' mapped onto the whole range. Every figure says
// its scale. The total is
// the sum of the dimensions' scores (8–80 with eight dimensions), nil when
// any dimension has no data. A dimension's or sub-dimension's n is the
// respondents who gave it a scored answer; the total's n is the
// respondents. Suppression is as in SIPAS.
func PAPI(q *Questionnaire, counts []Count, opt IndicatorOptions) (PAPIBreakdown, []PAPIGroup) {
	ts := split(opt.GroupBy, counts, nil)
	floor := opt.minGroup(q)
	groups := make([]PAPIGroup, 0, len(ts.keys))
	for _, k := range ts.keys {
		groups = append(groups, PAPIGroup{Key: k, Label: opt.label(k), PAPIBreakdown: papiBreakdown(q, ts.groups[k], opt.Lang, floor)})
	}
	return papiBreakdown(q, ts.all, opt.Lang, floor), groups
}

func papiBreakdown(q *Questionnaire, t *tally, lang i18n.Lang, floor int64) PAPIBreakdown {
	lo, hi := q.Scoring.ScaleMin, q.Scoring.ScaleMax
	if lo == 0 && hi == 0 {
		lo, hi = 1, 10
	}
	b := PAPIBreakdown{Respondents: t.responses, Dimensions: []DimensionFigure{}}
	total, complete := 0.0, true
	for _, d := range q.Elements {
		if d.ParentCode != "" {
			continue
		}
		df := DimensionFigure{Code: d.Code, Label: d.Label.In(lang), Figure: Figure{N: t.elementN(d.Code)}, Scale: Scale{Min: lo, Max: hi}}
		// Each of the k sub-dimensions is on its share of the dimension's
		// range, so that the dimension is the sum of its sub-dimensions.
		k := 0
		for _, sd := range q.Elements {
			if sd.ParentCode == d.Code {
				k++
			}
		}
		k = max(k, 1) // Validate gives every dimension a sub-dimension

		sub := Scale{Min: lo / float64(k), Max: hi / float64(k)}
		var subScores []float64
		for _, sd := range q.Elements {
			if sd.ParentCode != d.Code {
				continue
			}
			sf := DimensionFigure{Code: sd.Code, Label: sd.Label.In(lang), Figure: Figure{N: t.elementN(sd.Code)}, Scale: sub}
			var means []float64
			for _, s := range q.Sections {
				for i := range s.Questions {
					qu := &s.Questions[i]
					if qu.ElementCode != sd.Code {
						continue
					}
					var sum float64
					var n int64
					answers := t.answers[qu.Code]
					for _, a := range slices.Sorted(maps.Keys(answers)) { // a fixed order keeps the sum reproducible
						c := answers[a]
						x, ok := qu.score(a)
						if !ok {
							continue
						}
						if qu.Reverse {
							x = 1 - x
						}
						sum += x * float64(c)
						n += c
					}
					if n > 0 {
						means = append(means, sum/float64(n))
					}
				}
			}
			if len(means) > 0 {
				m := mean(means)
				subScores = append(subScores, m)
				v := sub.Min + (sub.Max-sub.Min)*m
				sf.Value = &v
			}
			df.Subdimensions = append(df.Subdimensions, sf)
		}
		if len(subScores) > 0 {
			v := lo + (hi-lo)*mean(subScores)
			df.Value = &v
			total += v
		} else {
			complete = false
		}
		b.Dimensions = append(b.Dimensions, df)
	}
	b.Total.N = t.responses
	b.TotalScale = Scale{Min: lo * float64(len(b.Dimensions)), Max: hi * float64(len(b.Dimensions))}
	if complete && len(b.Dimensions) > 0 {
		b.Total.Value = &total
	}
	if t.responses > 0 && t.responses < floor {
		suppress(&b.Total)
		for i := range b.Dimensions {
			d := &b.Dimensions[i]
			suppress(&d.Figure)
			for j := range d.Subdimensions {
				suppress(&d.Subdimensions[j].Figure)
			}
		}
	}
	return b
}

// Rank orders agencies (groups of a SIPAS result grouped by agency) by
// overall index, highest first, ties by agency code, and numbers them
// 1, 2, 2, 4… (equal indexes share a rank). Agencies without a published
// index (suppressed or without data) follow with rank 0, by code. Previous
// and Change (percentage points) are set where previous, the same ranking
// over an earlier period, has a published index for the agency.
func Rank(groups []Group, previous []Group) []RankItem {
	prev := map[string]Figure{}
	for _, g := range previous {
		if g.Overall.Value != nil {
			prev[g.Key] = copyFigure(g.Overall)
		}
	}
	items := make([]RankItem, 0, len(groups))
	for _, g := range groups {
		if g.Key == "" { // answers given for no agency: nothing to rank
			continue
		}
		it := RankItem{AgencyCode: g.Key, AgencyName: g.Label, Overall: copyFigure(g.Overall)}
		if p, ok := prev[g.Key]; ok {
			it.Previous = &p
			if it.Overall.Value != nil {
				ch := *it.Overall.Value - *p.Value
				it.Change = &ch
			}
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b RankItem) int {
		av, bv := a.Overall.Value, b.Overall.Value
		switch {
		case av != nil && bv == nil:
			return -1
		case av == nil && bv != nil:
			return 1
		case av != nil && *av != *bv:
			return cmp.Compare(*bv, *av)
		}
		return cmp.Compare(a.AgencyCode, b.AgencyCode)
	})
	for i := range items {
		switch {
		case items[i].Overall.Value == nil:
		case i > 0 && items[i-1].Overall.Value != nil && *items[i-1].Overall.Value == *items[i].Overall.Value:
			items[i].Rank = items[i-1].Rank
		default:
			items[i].Rank = i + 1
		}
	}
	return items
}

func copyFigure(f Figure) Figure {
	f.Value = copyFloat(f.Value)
	return f
}
