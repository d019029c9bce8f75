package survey

import (
	"cmp"
	"slices"
	"strings"
)

// CountResponses is the counter question that holds the number of
// responses (Answer "").
const CountResponses = "_responses"

// CountEligible is the counter question that holds the number of
// responses meeting the questionnaire's scoring.eligible condition (Answer
// "yes"); questionnaires without one have no such counter.
const CountEligible = "_eligible"

const (
	countElement   = "_element:" // + element code
	countPart      = "_part:"    // + part code
	answeredAnswer = "answered"  // the Answer of element counters
	eligibleAnswer = "yes"       // the Answer of the eligibility counter
)

// ElementCountQuestion is the counter question that holds how many
// responses answered at least one scored question of element code.
func ElementCountQuestion(code string) string { return countElement + code }

// PartCountQuestion is the counter question that holds how many responses
// answered at least one scored question of an element of SIPAS part code.
func PartCountQuestion(code string) string { return countPart + code }

// appCountPrefix starts the questions of the counters that app responses
// add apart from the counters of every response; verifiedCountPrefix those
// of verified-identity responses.
const (
	appCountPrefix      = "_app:"
	verifiedCountPrefix = "_verified:"
)

// The channel selections of indicators. The official figure counts the
// responses given with an invitation (PRODUCT.md §8: "Official figures
// count invitation-token responses; app responses are shown apart as
// self-selected"): a sample the province drew, not one anybody can join.
const (
	ChannelsOfficial = "invitation" // invitation responses only (the default)
	ChannelsApp      = "app"        // app responses only: self-selected
	ChannelsAll      = "all"        // every response: partly self-selected
	// ChannelsVerified counts the app responses of accounts whose identity
	// the province's provider verified: real people, one answer each, but
	// still self-selected, so never the official figure (PRODUCT.md §8).
	ChannelsVerified = "verified"
)

// ValidChannels reports whether ch selects channels ("" is the default,
// ChannelsOfficial).
func ValidChannels(ch string) bool {
	switch ch {
	case "", ChannelsOfficial, ChannelsApp, ChannelsVerified, ChannelsAll:
		return true
	}
	return false
}

// SelfSelected reports whether figures of the selection include app
// responses (verified or not), whose respondents chose themselves.
func SelfSelected(ch string) bool {
	return ch == ChannelsApp || ch == ChannelsVerified || ch == ChannelsAll
}

// ForChannel returns the counters of the responses of a channel selection
// from counters as stored (each response's, plus app responses' again
// under appCountPrefix and verified responses' again under
// verifiedCountPrefix): "all" keeps the first, "app" the second, "verified"
// the third, and the official selection is the first less the others.
func ForChannel(counts []Count, ch string) []Count {
	type key struct {
		surveyID, agency, area, period, question, answer string
		version                                          int
	}
	keyOf := func(c Count) key {
		return key{c.SurveyID, c.AgencyCode, c.AreaCode, c.Period, c.Question, c.Answer, c.Version}
	}
	out := make([]Count, 0, len(counts))
	app := map[key]int64{}
	for _, c := range counts {
		q, isApp := strings.CutPrefix(c.Question, appCountPrefix)
		vq, isVerified := strings.CutPrefix(c.Question, verifiedCountPrefix)
		switch {
		case isApp && ch == ChannelsApp:
			c.Question = q
			out = append(out, c)
		case isVerified && ch == ChannelsVerified:
			c.Question = vq
			out = append(out, c)
		case isApp:
			c.Question = q
			app[keyOf(c)] += c.N
		case isVerified:
			c.Question = vq
			app[keyOf(c)] += c.N
		case ch != ChannelsApp && ch != ChannelsVerified:
			out = append(out, c)
		}
	}
	if ch != ChannelsAll && ch != ChannelsApp && ch != ChannelsVerified {
		kept := out[:0]
		for _, c := range out {
			c.N -= app[keyOf(c)]
			if c.N > 0 {
				kept = append(kept, c)
			}
		}
		out = kept
	}
	return out
}

// CountsFor returns the counters one response adds, each with N 1, for
// its survey version, agency, area and month: one "_responses"; one per
// answer of a likert5, rating, yes_no or single_choice question (likert
// "na" included); one per value chosen in a multiple_choice question; one
// "_eligible" when the questionnaire has scoring.eligible and the answers
// meet it (a respondent who does not meet it adds nothing for the scored
// questions, even where the form failed to skip them); one
// "_element:CODE" for each element where the response gave a scored
// answer — a likert5 level other than "na", a rating, a yes or no, or a
// single_choice option that has a score — to a question of that element or
// of a sub-element of it; and one "_part:CODE" for each part of such
// elements. Numbers and texts are not counted. An app response adds each
// of those again under appCountPrefix. r's answers may be normalized ones
// or ones decoded back from storage.
func CountsFor(q *Questionnaire, r Response) []Count {
	base := Count{
		SurveyID: r.SurveyID, Version: r.Version, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode,
		Period: PeriodOf(r.SubmittedAt), N: 1,
	}
	with := func(question, answer string) Count {
		c := base
		c.Question, c.Answer = question, answer
		return c
	}
	out := []Count{with(CountResponses, "")}
	eligible := true
	if q.Scoring.Eligible != "" {
		// Validate rejects a condition that does not parse; such a
		// questionnaire counts nobody as eligible.
		cond, err := ParseCondition(q.Scoring.Eligible)
		eligible = err == nil && cond.Eval(r.Answers)
		if eligible {
			out = append(out, with(CountEligible, eligibleAnswer))
		}
	}

	parents := map[string]string{}
	for _, e := range q.Elements {
		parents[e.Code] = e.ParentCode
	}
	answered := map[string]bool{}
	for _, s := range q.Sections {
		for i := range s.Questions {
			qu := &s.Questions[i]
			v, ok := r.Answers[qu.Code]
			if !ok || v == nil || !eligible && qu.ElementCode != "" {
				continue // only eligible respondents' scored answers count
			}
			switch qu.Type {
			case TypeLikert5, TypeRating, TypeYesNo, TypeSingleChoice:
				a, ok := v.(string)
				if !ok {
					continue
				}
				out = append(out, with(qu.Code, a))
				if _, isElement := parents[qu.ElementCode]; isElement && qu.Scored(a) {
					answered[qu.ElementCode] = true
					if p := parents[qu.ElementCode]; p != "" {
						answered[p] = true
					}
				}
			case TypeMultipleChoice:
				list, _ := answerList(v)
				for _, a := range list {
					out = append(out, with(qu.Code, a))
				}
			}
		}
	}
	partAnswered := map[string]bool{}
	for _, e := range q.Elements {
		if answered[e.Code] {
			out = append(out, with(ElementCountQuestion(e.Code), answeredAnswer))
			if e.Part != "" && !partAnswered[e.Part] {
				partAnswered[e.Part] = true
				out = append(out, with(PartCountQuestion(e.Part), answeredAnswer))
			}
		}
	}
	if prefix := channelCountPrefix(r.Channel); prefix != "" {
		// App answers (verified or not) are counted a second time apart,
		// so official figures can leave them out (see ForChannel).
		for _, c := range out[:len(out):len(out)] {
			c.Question = prefix + c.Question
			out = append(out, c)
		}
	}
	return out
}

// channelCountPrefix is where a response's channel counts it again.
func channelCountPrefix(ch Channel) string {
	switch ch {
	case ChannelApp:
		return appCountPrefix
	case ChannelVerified:
		return verifiedCountPrefix
	}
	return ""
}

// Scored reports whether answer a of the question enters an index: a
// likert5 level other than "na", a rating, yes or no, or a single_choice
// option with a score.
func (qu *Question) Scored(a string) bool {
	_, ok := qu.score(a)
	return ok
}

// score is what answer a is worth in 0–1 (before reversal): likert5 and
// rating levels (v−1)/4, yes 1 and no 0, a single_choice option its score.
func (qu *Question) score(a string) (float64, bool) {
	switch qu.Type {
	case TypeLikert5, TypeRating:
		if len(a) == 1 && a[0] >= '1' && a[0] <= '5' {
			return float64(a[0]-'1') / 4, true
		}
	case TypeYesNo:
		switch a {
		case "yes":
			return 1, true
		case "no":
			return 0, true
		}
	case TypeSingleChoice:
		for _, o := range qu.Options {
			if o.Value == a && o.Score != nil {
				return *o.Score, true
			}
		}
	}
	return 0, false
}

type countKey struct {
	surveyID, agency, area, period, question, answer string
	version                                          int
}

// MergeCounts sums the counters that share survey, version, agency, area,
// period, question and answer, and returns them sorted by those fields (in
// that order), so that the same responses always give the same list.
func MergeCounts(cs []Count) []Count {
	idx := map[countKey]int{}
	var out []Count
	for _, c := range cs {
		k := countKey{c.SurveyID, c.AgencyCode, c.AreaCode, c.Period, c.Question, c.Answer, c.Version}
		if i, ok := idx[k]; ok {
			out[i].N += c.N
			continue
		}
		idx[k] = len(out)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(
			cmp.Compare(a.SurveyID, b.SurveyID),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.AgencyCode, b.AgencyCode),
			cmp.Compare(a.AreaCode, b.AreaCode),
			cmp.Compare(a.Period, b.Period),
			cmp.Compare(a.Question, b.Question),
			cmp.Compare(a.Answer, b.Answer),
		)
	})
	return out
}
