package survey

import (
	"context"
	"sort"

	"camaug/internal/apperr"
	"camaug/internal/export"
	"camaug/internal/identity"
)

// IndicatorTables lays a SIPAS result out as tables: one row per figure
// (overall, separately scored part, element, criterion) for the whole selection and for each
// group, with n, the Wilson bounds and whether it was suppressed.
func IndicatorTables(r *SIPASResult, lang string) []export.Table {
	cols := []string{"group_by", "group", "group_label", "level", "code", "element_code", "label", "value_percent", "n", "ci_low", "ci_high", "suppressed"}
	if lang == "vi" {
		cols = []string{"nhom_theo", "nhom", "ten_nhom", "cap", "ma", "ma_yeu_to", "noi_dung", "chi_so_phan_tram", "n", "can_duoi", "can_tren", "an_do_mau_nho"}
	}
	rows := func(groupBy, key, label string, b Breakdown) [][]any {
		out := [][]any{{groupBy, key, label, "overall", "", "", "", b.Overall.Value, b.Overall.N, nil, nil, b.Overall.Suppressed}}
		for _, p := range b.Parts { // scored apart from the overall index
			out = append(out, []any{groupBy, key, label, "part", p.Code, "", p.Label, p.Value, p.N, nil, nil, p.Suppressed})
		}
		for _, e := range b.Elements {
			out = append(out, []any{groupBy, key, label, "element", e.Code, e.Code, e.Label, e.Value, e.N, nil, nil, e.Suppressed})
		}
		for _, c := range b.Criteria {
			out = append(out, []any{groupBy, key, label, "criterion", c.Code, c.ElementCode, c.Label, c.Value, c.N, c.CILow, c.CIHigh, c.Suppressed})
		}
		return out
	}
	summary := export.Table{Name: "overall", Columns: cols, Rows: rows("", "", "", r.Breakdown)}
	groups := export.Table{Name: "groups", Columns: cols}
	for _, g := range r.Groups {
		groups.Rows = append(groups.Rows, rows(r.GroupBy, g.Key, g.Label, g.Breakdown)...)
	}
	if lang == "vi" {
		summary.Name, groups.Name = "Tổng hợp", "Theo nhóm"
	}
	return []export.Table{summary, groups}
}

// RawResponses is the anonymised raw-responses table of a survey for the
// months from..to: one row per response with a sequence number instead of
// its ID, its month instead of its time, the agency and area served, and
// one column per question. Free-text answers are left out: people write
// names and phone numbers in them.
func (s *Service) RawResponses(ctx context.Context, p identity.Principal, in IndicatorQuery) (*export.Table, error) {
	if err := p.Require(identity.PermIndicatorsRead); err != nil {
		return nil, err
	}
	if in.SurveyID == "" {
		return nil, invalid(fieldErr("survey_id", "Bắt buộc", "is required"))
	}
	from, to, err := ParseMonthRange(in.From, in.To, s.now())
	if err != nil {
		return nil, err
	}
	sv, err := s.store.GetSurvey(ctx, in.SurveyID)
	if err != nil {
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			return nil, errSurveyNotFound()
		}
		return nil, err
	}
	// Columns: every non-text question of every version, in the order of
	// the working copy, then any only older versions had. A response shows
	// only the answers its own version asked as non-text questions, so a
	// code that was free text in some version never leaks through.
	var codes []string
	seen := map[string]bool{}
	addCodes := func(q *Questionnaire) map[string]bool {
		shown := map[string]bool{}
		for _, sec := range q.Sections {
			for _, qu := range sec.Questions {
				if qu.Type == TypeText {
					continue
				}
				shown[qu.Code] = true
				if !seen[qu.Code] {
					seen[qu.Code] = true
					codes = append(codes, qu.Code)
				}
			}
		}
		return shown
	}
	addCodes(&sv.Questionnaire)
	shownIn := map[int]map[string]bool{}
	scored := &sv.Questionnaire // the published version's rules, once there is one
	for v := sv.PublishedVersion; v >= 1; v-- {
		ver, err := s.version(ctx, sv.ID, v) // frozen, so the cache serves them
		if err != nil {
			return nil, err
		}
		if v == sv.PublishedVersion {
			scored = &ver.Questionnaire
		}
		shownIn[v] = addCodes(&ver.Questionnaire)
	}
	// Rows are published only for (agency, area, month) cells with at least
	// the minimum group size, as the indicators are: a lone respondent at a
	// small counter is not singled out by the rest of their answers.
	type rawRow struct {
		cell string
		row  []any
	}
	var rows []rawRow
	perCell := map[string]int64{}
	after := ""
	for {
		page, err := s.store.Responses(ctx, sv.ID, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			month := PeriodOf(r.SubmittedAt)
			if month < from || month > to {
				continue
			}
			row := []any{0, r.Version, string(r.Channel), r.AgencyCode, r.AreaCode, month}
			shown := shownIn[r.Version]
			for _, c := range codes {
				if shown[c] {
					row = append(row, cell(r.Answers[c]))
				} else {
					row = append(row, nil)
				}
			}
			key := r.AgencyCode + "\x00" + r.AreaCode + "\x00" + month
			perCell[key]++
			rows = append(rows, rawRow{cell: key, row: row})
		}
		after = page[len(page)-1].ID
	}
	// Row-level data never goes below the default floor, whatever the
	// questionnaire sets for its aggregates.
	min := max(IndicatorOptions{}.minGroup(scored), DefaultMinGroupSize)
	t := &export.Table{Name: "responses", Columns: append([]string{"n", "version", "channel", "agency_code", "area_code", "month"}, codes...)}
	for _, r := range rows {
		if perCell[r.cell] < min {
			continue
		}
		r.row[0] = len(t.Rows) + 1
		t.Rows = append(t.Rows, r.row)
	}
	return t, nil
}

func cell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []string:
		s := append([]string(nil), x...)
		sort.Strings(s)
		out := ""
		for i, e := range s {
			if i > 0 {
				out += ";"
			}
			out += e
		}
		return out
	case []any:
		out := ""
		for i, e := range x {
			if i > 0 {
				out += ";"
			}
			if s, ok := e.(string); ok {
				out += s
			}
		}
		return out
	default:
		return x
	}
}
