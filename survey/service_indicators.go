package survey

import (
	"context"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// IndicatorQuery selects indicators: a survey, an inclusive range of
// months (a month "2026-11" or a date standing for its month), a grouping,
// and whether to add the period before for comparison.
type IndicatorQuery struct {
	SurveyID string
	From, To string
	GroupBy  string
	Compare  bool
	Lang     i18n.Lang
	// Channels selects responses by channel: ChannelsOfficial (the
	// default), ChannelsApp or ChannelsAll.
	Channels string
}

// selection is what an indicator request resolved to.
type selection struct {
	survey   *Survey
	q        *Questionnaire
	from, to string
	opt      IndicatorOptions
	channels string
}

func (s *Service) selectFor(ctx context.Context, p identity.Principal, in IndicatorQuery, kind Kind) (*selection, error) {
	if err := p.Require(identity.PermIndicatorsRead); err != nil {
		return nil, err
	}
	var fs []apperr.FieldError
	if in.SurveyID == "" {
		fs = append(fs, fieldErr("survey_id", "Bắt buộc", "is required"))
	}
	if !ValidGroupBy(in.GroupBy) {
		fs = append(fs, fieldErr("group_by", "Chỉ nhận agency, area, month hoặc quarter", "must be agency, area, month or quarter"))
	}
	if !ValidChannels(in.Channels) {
		fs = append(fs, fieldErr("channel", "Chỉ nhận invitation, app, verified hoặc all", "must be invitation, app, verified or all"))
	}
	if in.Channels == "" {
		in.Channels = ChannelsOfficial
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	from, to, err := ParseMonthRange(in.From, in.To, s.now())
	if err != nil {
		return nil, err
	}
	sv, err := s.cachedSurvey(ctx, in.SurveyID)
	if err != nil {
		return nil, err
	}
	if sv.Kind != kind {
		return nil, invalid(fieldErr("survey_id", "Khảo sát không thuộc loại "+string(kind), "is not a "+string(kind)+" survey"))
	}
	// The structure comes from the newest published version (the working
	// copy before any is published); answers of every version count by
	// question code.
	q := &sv.Questionnaire
	if sv.PublishedVersion > 0 {
		v, err := s.version(ctx, sv.ID, sv.PublishedVersion)
		if err != nil {
			return nil, err
		}
		q = &v.Questionnaire
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	labels := func(groupBy, key string) string {
		switch groupBy {
		case GroupByAgency:
			for _, a := range ref.Agencies {
				if a.Code == key {
					return a.Name.In(in.Lang)
				}
			}
		case GroupByArea:
			for _, a := range ref.Areas {
				if a.Code == key {
					return a.Name.In(in.Lang)
				}
			}
		}
		return ""
	}
	return &selection{survey: sv, q: q, from: from, to: to, opt: IndicatorOptions{GroupBy: in.GroupBy, Lang: in.Lang, Labels: labels},
		channels: in.Channels}, nil
}

// inputs reads the counters and, when the questionnaire takes them, the
// report ratings of the agencies that have responses in the selection.
func (s *Service) inputs(ctx context.Context, sel *selection, from, to string) ([]Count, []feedback.RatingCount, error) {
	takesRatings := false
	for _, e := range sel.q.Elements {
		takesRatings = takesRatings || e.ReportRatings
	}
	counts, err := s.store.Counts(ctx, collapsed(sel.survey.ID, from, to, sel.opt.GroupBy, takesRatings))
	if err != nil {
		return nil, nil, err
	}
	counts = ForChannel(counts, sel.channels)
	if !takesRatings || s.ratings == nil {
		return counts, nil, nil
	}
	agencies := map[string]bool{}
	for _, c := range counts {
		if c.AgencyCode != "" {
			agencies[c.AgencyCode] = true
		}
	}
	all, err := s.ratings.RatingCounts(ctx, from, to)
	if err != nil {
		return nil, nil, err
	}
	var ratings []feedback.RatingCount
	for _, r := range all {
		if agencies[r.AgencyCode] {
			ratings = append(ratings, r)
		}
	}
	return counts, ratings, nil
}

// collapsed asks the store for the counters summed down to what the
// grouping needs: the agency is also kept when report ratings join (they
// count only for agencies with responses in the selection).
func collapsed(surveyID, from, to, groupBy string, keepAgency bool) CountQuery {
	return CountQuery{SurveyID: surveyID, FromPeriod: from, ToPeriod: to, Collapse: true,
		KeepAgency: keepAgency || groupBy == GroupByAgency, KeepArea: groupBy == GroupByArea,
		KeepPeriod: groupBy == GroupByMonth || groupBy == GroupByQuarter}
}

// SIPASIndicators computes a SIPAS survey's indicators from its counters.
func (s *Service) SIPASIndicators(ctx context.Context, p identity.Principal, in IndicatorQuery) (*SIPASResult, error) {
	sel, err := s.selectFor(ctx, p, in, KindSIPAS)
	if err != nil {
		return nil, err
	}
	counts, ratings, err := s.inputs(ctx, sel, sel.from, sel.to)
	if err != nil {
		return nil, err
	}
	b, groups := SIPAS(sel.q, counts, ratings, sel.opt)
	out := &SIPASResult{SurveyID: sel.survey.ID, From: sel.from, To: sel.to, GroupBy: in.GroupBy, Breakdown: b, Groups: groups,
		Channel: sel.channels, SelfSelected: SelfSelected(sel.channels)}
	if out.Groups == nil {
		out.Groups = []Group{}
	}
	if in.Compare {
		pf, pt := PreviousRange(sel.from, sel.to)
		if pf != "" {
			counts, ratings, err := s.inputs(ctx, sel, pf, pt)
			if err != nil {
				return nil, err
			}
			opt := sel.opt
			opt.GroupBy = GroupByNone
			prev, _ := SIPAS(sel.q, counts, ratings, opt)
			out.Previous = &prev
		}
	}
	return out, nil
}

// Ranking ranks the agencies of a SIPAS survey by their overall index,
// with the change since the period before.
func (s *Service) Ranking(ctx context.Context, p identity.Principal, in IndicatorQuery) (*Ranking, error) {
	in.GroupBy = GroupByAgency
	sel, err := s.selectFor(ctx, p, in, KindSIPAS)
	if err != nil {
		return nil, err
	}
	counts, ratings, err := s.inputs(ctx, sel, sel.from, sel.to)
	if err != nil {
		return nil, err
	}
	_, groups := SIPAS(sel.q, counts, ratings, sel.opt)
	var prev []Group
	if pf, pt := PreviousRange(sel.from, sel.to); pf != "" {
		counts, ratings, err := s.inputs(ctx, sel, pf, pt)
		if err != nil {
			return nil, err
		}
		_, prev = SIPAS(sel.q, counts, ratings, sel.opt)
	}
	items := Rank(groups, prev)
	if items == nil {
		items = []RankItem{}
	}
	return &Ranking{SurveyID: sel.survey.ID, From: sel.from, To: sel.to, Items: items,
		Channel: sel.channels, SelfSelected: SelfSelected(sel.channels)}, nil
}

// PAPIIndicators computes a PAPI survey's scores from its counters.
func (s *Service) PAPIIndicators(ctx context.Context, p identity.Principal, in IndicatorQuery) (*PAPIResult, error) {
	sel, err := s.selectFor(ctx, p, in, KindPAPI)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.Counts(ctx, collapsed(sel.survey.ID, sel.from, sel.to, sel.opt.GroupBy, false))
	if err != nil {
		return nil, err
	}
	b, groups := PAPI(sel.q, ForChannel(counts, sel.channels), sel.opt)
	out := &PAPIResult{SurveyID: sel.survey.ID, From: sel.from, To: sel.to, GroupBy: in.GroupBy, PAPIBreakdown: b, Groups: groups,
		Channel: sel.channels, SelfSelected: SelfSelected(sel.channels)}
	if out.Groups == nil {
		out.Groups = []PAPIGroup{}
	}
	if in.Compare {
		if pf, pt := PreviousRange(sel.from, sel.to); pf != "" {
			counts, err := s.store.Counts(ctx, collapsed(sel.survey.ID, pf, pt, GroupByNone, false))
			if err != nil {
				return nil, err
			}
			opt := sel.opt
			opt.GroupBy = GroupByNone
			prev, _ := PAPI(sel.q, ForChannel(counts, sel.channels), opt)
			out.Previous = &prev
		}
	}
	return out, nil
}

// Reindex rebuilds every survey's counters from its stored responses and
// reports how many surveys and responses it read.
func (s *Service) Reindex(ctx context.Context) (surveys, responses int, err error) {
	before := ""
	for {
		page, err := s.store.ListSurveys(ctx, before, 100)
		if err != nil {
			return surveys, responses, err
		}
		if len(page) == 0 {
			return surveys, responses, nil
		}
		for i := range page {
			n, err := s.reindexSurvey(ctx, &page[i])
			if err != nil {
				return surveys, responses, err
			}
			surveys++
			responses += n
		}
		before = page[len(page)-1].ID
	}
}

// RecountSurvey computes a survey's counters from its stored responses.
func (s *Service) RecountSurvey(ctx context.Context, surveyID string) ([]Count, int, error) {
	versions := map[int]*Questionnaire{}
	var counts []Count
	n, after := 0, ""
	for {
		page, err := s.store.Responses(ctx, surveyID, after, 1000)
		if err != nil {
			return nil, n, err
		}
		if len(page) == 0 {
			return MergeCounts(counts), n, nil
		}
		for _, r := range page {
			q, ok := versions[r.Version]
			if !ok {
				v, err := s.version(ctx, surveyID, r.Version)
				if err != nil {
					return nil, n, err
				}
				q = &v.Questionnaire
				versions[r.Version] = q
			}
			counts = append(counts, CountsFor(q, r)...)
			n++
		}
		counts = MergeCounts(counts)
		after = page[len(page)-1].ID
	}
}

func (s *Service) reindexSurvey(ctx context.Context, sv *Survey) (int, error) {
	counts, n, err := s.RecountSurvey(ctx, sv.ID)
	if err != nil {
		return n, err
	}
	return n, s.store.ReplaceCounts(ctx, sv.ID, counts)
}
