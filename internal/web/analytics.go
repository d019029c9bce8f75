package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/survey"
)

// The analyst dashboard (/console/analytics) reads every figure through the
// same domain calls as the API (survey.Service's SIPASIndicators, Ranking and
// PAPIIndicators, feedback.ReportService's HandlingFigures), so a number on
// the page is the number the API gives for the same filters. Each section is
// one or more tables built by a function below; the page, its charts and its
// CSV/XLSX downloads are drawn from those same tables. A new indicator is
// one more builder; a response-channel selector is one more field of
// aFilters passed into survey.IndicatorQuery.

// aCol is one column of a dashboard table. Key is stable (charts and
// sorting refer to it); Label is the header in the page's language.
type aCol struct {
	Key   string
	Label string
	Kind  string // "text", "int", "pct" (0–100), "pp" (change in points), "score", "hours", "rating"
}

// aCell is one cell: Text for text columns, Int or Num for figures. Hidden
// marks a figure withheld because its group has fewer answers than the
// anonymity minimum: it is shown as "too few answers", never as a value.
type aCell struct {
	Text   string
	Int    int64
	Num    *float64
	Hidden bool
}

// aTable is one table of the dashboard, with the chart drawn from it.
type aTable struct {
	ID    string
	Title string
	Note  string
	Cols  []aCol
	Rows  [][]aCell
	// Chart is "", "hbar" (horizontal bars, with intervals when ChartLo and
	// ChartHi name columns), "line" or "bar"; ChartLabel and ChartValue
	// name the columns it plots.
	Chart                                    string
	ChartLabel, ChartValue, ChartLo, ChartHi string
	// ChartMax is the value axis' end (0: from the data).
	ChartMax float64
	// TotalFirst says the first row is the total: it stays first when the
	// table is sorted and is left out of the chart.
	TotalFirst bool
	// Sortable tables sort by any column through ?sort_<ID>=key or -key.
	Sortable bool
	Sort     string
	Error    string // why this table could not be computed (bad filter)
	// Channel labels the responses a survey table counts (survey tables
	// only): its downloads carry it as a last column on every row, so a
	// self-selected figure stays labelled wherever the file goes.
	Channel string

	// Head and Body are the table as shown, filled by show.
	Head      []aHead
	Body      [][]aShown
	CSV, XLSX string // the table's downloads, with the filters
}

// aHead is a column header as shown: its sort link when sortable.
type aHead struct {
	Key, Label, SortLink, AriaSort string
	Num                            bool
}

// aShown is a cell as shown: its text, and the raw number the chart reads.
type aShown struct {
	Text, V string
	Hidden  bool
	Num     bool
}

// show lays the table out for the page in lang.
func (t *aTable) show(lang i18n.Lang, f aFilters) {
	q := f.query()
	t.CSV = "/console/analytics/download/" + t.ID + ".csv?" + q
	t.XLSX = "/console/analytics/download/" + t.ID + ".xlsx?" + q
	t.Head = make([]aHead, len(t.Cols))
	for i, c := range t.Cols {
		h := aHead{Key: c.Key, Label: c.Label, Num: c.Kind != "text"}
		if t.Sortable {
			next := "-" + c.Key
			if c.Kind == "text" || c.Kind == "rank" {
				next = c.Key
			}
			switch t.Sort {
			case c.Key:
				h.AriaSort, next = "ascending", "-"+c.Key
			case "-" + c.Key:
				h.AriaSort, next = "descending", c.Key
			}
			h.SortLink = "?" + f.query("sort_"+t.ID, next) + "#t-" + t.ID
		}
		t.Head[i] = h
	}
	t.Body = make([][]aShown, len(t.Rows))
	for r, row := range t.Rows {
		out := make([]aShown, len(row))
		for i, c := range row {
			kind := t.Cols[i].Kind
			out[i] = aShown{Text: aFormat(lang, kind, c), Hidden: c.Hidden, Num: kind != "text"}
			if v, ok := c.value(kind); ok && kind != "text" {
				out[i].V = strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
		t.Body[r] = out
	}
}

func (t *aTable) col(key string) int {
	for i, c := range t.Cols {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// sortBy orders the rows by a column ("key" ascending, "-key" descending);
// withheld and missing values go last either way.
func (t *aTable) sortBy(spec string) {
	desc := strings.HasPrefix(spec, "-")
	i := t.col(strings.TrimPrefix(spec, "-"))
	if i < 0 {
		return
	}
	t.Sort = spec
	kind := t.Cols[i].Kind
	rows := t.Rows
	if t.TotalFirst && len(rows) > 0 {
		rows = rows[1:]
	}
	slices.SortStableFunc(rows, func(a, b []aCell) int {
		x, y := a[i], b[i]
		if kind == "text" {
			r := strings.Compare(strings.ToLower(x.Text), strings.ToLower(y.Text))
			if desc {
				return -r
			}
			return r
		}
		xv, xok := x.value(kind)
		yv, yok := y.value(kind)
		switch {
		case xok && !yok:
			return -1
		case !xok && yok:
			return 1
		case !xok && !yok:
			return 0
		}
		if desc {
			return cmp.Compare(yv, xv)
		}
		return cmp.Compare(xv, yv)
	})
}

func (c aCell) value(kind string) (float64, bool) {
	if c.Hidden {
		return 0, false
	}
	if kind == "int" {
		return float64(c.Int), true
	}
	if kind == "rank" {
		return float64(c.Int), c.Int > 0
	}
	if c.Num == nil {
		return 0, false
	}
	return *c.Num, true
}

func aText(s string) aCell  { return aCell{Text: s} }
func aInt(n int64) aCell    { return aCell{Int: n} }
func aNum(v *float64) aCell { return aCell{Num: v} }
func aFigure(f survey.Figure) aCell {
	return aCell{Num: f.Value, Hidden: f.Suppressed}
}

// aFilters are the dashboard's filters, all in the query string so a view
// can be bookmarked, shared and downloaded as it is.
type aFilters struct {
	Survey string // SIPAS survey ID
	PAPI   string // PAPI survey ID
	From   string // first month, "2026-01"
	To     string // last month
	Trend  string // "month" or "quarter"
	// Channel selects the survey responses counted (survey.ChannelsOfficial,
	// the default, ChannelsApp or ChannelsAll), as the API's channel.
	Channel string
	Sort    map[string]string
}

func aFiltersOf(c *fiber.Ctx) aFilters {
	f := aFilters{Survey: strings.TrimSpace(c.Query("survey")), PAPI: strings.TrimSpace(c.Query("papi")),
		From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to")), Trend: c.Query("trend"),
		Channel: strings.TrimSpace(c.Query("channel")), Sort: map[string]string{}}
	if f.Trend != survey.GroupByQuarter {
		f.Trend = survey.GroupByMonth
	}
	if f.Channel == "" {
		f.Channel = survey.ChannelsOfficial
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if id, ok := strings.CutPrefix(string(k), "sort_"); ok {
			f.Sort[id] = string(v)
		}
	})
	return f
}

// query is the filters as a query string, with the given overrides.
func (f aFilters) query(set ...string) string {
	v := url.Values{}
	put := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	put("survey", f.Survey)
	put("papi", f.PAPI)
	put("from", f.From)
	put("to", f.To)
	put("trend", f.Trend)
	put("channel", f.Channel)
	for id, s := range f.Sort {
		put("sort_"+id, s)
	}
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			v.Del(set[i])
		} else {
			v.Set(set[i], set[i+1])
		}
	}
	return v.Encode()
}

// aOption is one choice of a select.
type aOption struct{ Value, Label string }

// analyticsPage is the dashboard's view model.
type analyticsPage struct {
	page
	F        aFilters
	AllXLSX  string // every table in one workbook, with the filters
	Surveys  []aOption
	PAPIs    []aOption
	Channels []aOption
	// SelfSelected says the survey figures include app responses, whose
	// respondents chose themselves (PRODUCT.md §8).
	SelfSelected bool
	// Official and App are the overall index of invitation responses (the
	// official figure) and of app responses (self-selected), side by side.
	Official, App         *survey.Figure
	Verified              *survey.Figure // verified-identity app responses (issue 19), shown apart
	OfficialText, AppText string
	VerifiedText          string
	// OverallCI is the overall index's 95% interval (Taylor linearization,
	// survey.OverallInterval); CIText shows it.
	OverallCI *survey.OverallCI
	CIText    string
	FilterErr string
	From, To  string // the months the figures cover
	Overall   *survey.SIPASResult
	Change    *float64 // overall, in percentage points against Previous
	// OverallText, ChangeText and PAPIText are the headline figures as
	// shown.
	OverallText, ChangeText, PAPIText string
	PrevFrom                          string
	PrevTo                            string
	Survey                            string // the survey's title
	MinGroup                          int
	Satisfaction                      []*aTable
	Comparison                        []*aTable
	MapAreas                          bool // some area below the province has a boundary: draw the choropleth
	Trend                             *aTable
	Handling                          []*aTable
	HandlingN                         int64
	PAPI                              []*aTable
	PAPITotal                         *survey.PAPIBreakdown
}

// tables lists every table of the page, for the downloads.
func (p *analyticsPage) tables() []*aTable {
	var out []*aTable
	out = append(out, p.Satisfaction...)
	out = append(out, p.Comparison...)
	if p.Trend != nil {
		out = append(out, p.Trend)
	}
	out = append(out, p.Handling...)
	out = append(out, p.PAPI...)
	return out
}

// analyticsPage renders /console/analytics.
func (w *Console) analyticsPage(c *fiber.Ctx) error {
	p, err := w.analytics(c)
	if err != nil {
		return w.failErr(c, err)
	}
	for _, t := range p.tables() {
		t.show(p.Lang, p.F)
	}
	if p.Overall != nil {
		p.OverallText = aFormat(p.Lang, "pct", aFigure(p.Overall.Overall))
		p.ChangeText = aFormat(p.Lang, "pp", aNum(p.Change))
	}
	if ci := p.OverallCI; ci != nil {
		lo, hi := ci.Low, ci.High
		p.CIText = aFormat(p.Lang, "pct", aNum(&lo)) + " – " + aFormat(p.Lang, "pct", aNum(&hi))
	}
	if p.Official != nil && p.App != nil {
		p.OfficialText = aFormat(p.Lang, "pct", aFigure(*p.Official))
		p.AppText = aFormat(p.Lang, "pct", aFigure(*p.App))
	}
	if p.Verified != nil {
		p.VerifiedText = aFormat(p.Lang, "pct", aFigure(*p.Verified))
	}
	if p.PAPITotal != nil {
		p.PAPIText = aFormat(p.Lang, "score", aFigure(p.PAPITotal.Total))
	}
	status := fiber.StatusOK
	if p.FilterErr != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return w.render(c, status, "analytics", "", p)
}

// analytics computes the dashboard for the request's filters. Bad filters
// (a month that is not one, a survey that does not exist) are shown on the
// page next to the form; any other error is returned.
func (w *Console) analytics(c *fiber.Ctx) (*analyticsPage, error) {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	p := &analyticsPage{page: w.base(c, tr(lang, "an.title"), "analytics"), F: aFiltersOf(c)}
	if w.cfg.Surveys == nil {
		return nil, apperr.Internal(fmt.Errorf("web: the console has no survey service"))
	}

	// The surveys to choose from, newest first; the newest of each kind is
	// the default.
	before := ""
	for range 10 { // at most 1,000 surveys listed
		list, err := w.cfg.Surveys.List(ctx, u, before, 100)
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			o := aOption{Value: s.ID, Label: s.Title.In(lang)}
			switch s.Kind {
			case survey.KindSIPAS:
				p.Surveys = append(p.Surveys, o)
			case survey.KindPAPI:
				p.PAPIs = append(p.PAPIs, o)
			}
		}
		if len(list) < 100 {
			break
		}
		before = list[len(list)-1].ID
	}
	if p.F.Survey == "" && len(p.Surveys) > 0 {
		p.F.Survey = p.Surveys[0].Value
	}
	if p.F.PAPI == "" && len(p.PAPIs) > 0 {
		p.F.PAPI = p.PAPIs[0].Value
	}
	for _, o := range p.Surveys {
		if o.Value == p.F.Survey {
			p.Survey = o.Label
		}
	}
	p.MinGroup = survey.DefaultMinGroupSize
	for _, ch := range []string{survey.ChannelsOfficial, survey.ChannelsApp, survey.ChannelsVerified, survey.ChannelsAll} {
		p.Channels = append(p.Channels, aOption{Value: ch, Label: tr(lang, "an.channel."+ch)})
	}
	if !survey.ValidChannels(p.F.Channel) {
		p.FilterErr = tr(lang, "an.channel.bad")
		return p, nil
	}
	p.SelfSelected = survey.SelfSelected(p.F.Channel)

	// The months: checked once, here, so every section covers the same.
	from, to, err := survey.ParseMonthRange(p.F.From, p.F.To, w.analyticsNow())
	if err != nil {
		if apperr.CodeOf(err) != apperr.EINVALID {
			return nil, err
		}
		p.FilterErr = messageOf(err, lang) + ": " + aFieldList(err, lang)
		return p, nil
	}
	p.From, p.To = from, to
	p.F.From, p.F.To = from, to
	p.PrevFrom, p.PrevTo = survey.PreviousRange(from, to)
	p.AllXLSX = "/console/analytics/download/all.xlsx?" + p.F.query()

	sectionErr := func(err error) (string, error) {
		switch apperr.CodeOf(err) {
		case apperr.EINVALID, apperr.ENOTFOUND:
			if f := aFieldList(err, lang); f != "" {
				return messageOf(err, lang) + ": " + f, nil
			}
			return messageOf(err, lang), nil
		}
		return "", err
	}
	if p.F.Survey != "" {
		if err := w.anSatisfaction(ctx, u, lang, p); err != nil {
			msg, err := sectionErr(err)
			if err != nil {
				return nil, err
			}
			p.FilterErr = msg
		}
	}
	if err := w.anHandling(ctx, lang, p); err != nil {
		msg, err := sectionErr(err)
		if err != nil {
			return nil, err
		}
		p.Handling = []*aTable{{ID: "reports", Title: tr(lang, "an.reports"), Error: msg}}
	}
	if p.F.PAPI != "" {
		if err := w.anPAPI(ctx, u, lang, p); err != nil {
			msg, err := sectionErr(err)
			if err != nil {
				return nil, err
			}
			p.PAPI = []*aTable{{ID: "papi", Title: tr(lang, "an.papi"), Error: msg}}
		}
	}
	for _, t := range p.tables() {
		if s, ok := p.F.Sort[t.ID]; ok && t.Sortable {
			t.sortBy(s)
		}
	}
	// Survey tables are labelled with the responses they count; figures
	// that include app responses say they are self-selected.
	surveyTables := append(append(append([]*aTable{}, p.Satisfaction...), p.Comparison...), p.PAPI...)
	if p.Trend != nil {
		surveyTables = append(surveyTables, p.Trend)
	}
	for _, t := range surveyTables {
		t.Channel = tr(lang, "an.channel."+p.F.Channel)
		if p.SelfSelected && t.Error == "" {
			t.Note = strings.TrimSpace(tr(lang, "an.selfselected.note") + " " + t.Note)
		}
	}
	return p, nil
}

// aFieldList is a validation error's fields and messages on one line.
func aFieldList(err error, lang i18n.Lang) string {
	m := fieldErrors(err, lang)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + m[k]
	}
	return strings.Join(parts, "; ")
}

// analyticsNow is the clock the default months are counted from.
func (w *Console) analyticsNow() time.Time {
	if w.cfg.Now != nil {
		return w.cfg.Now()
	}
	return time.Now()
}

// anSatisfaction fills the SIPAS sections: the overview with the period
// before, elements and criteria, the agencies and areas compared, and the
// trend.
func (w *Console) anSatisfaction(ctx context.Context, u identity.Principal, lang i18n.Lang, p *analyticsPage) error {
	q := survey.IndicatorQuery{SurveyID: p.F.Survey, From: p.From, To: p.To, Compare: true, Lang: lang, Channels: p.F.Channel}
	res, err := w.cfg.Surveys.SIPASIndicators(ctx, u, q)
	if err != nil {
		return err
	}
	p.Overall = res
	var elementCI map[string]*survey.OverallCI
	if p.OverallCI, elementCI, err = w.cfg.Surveys.SIPASIntervals(ctx, u, q); err != nil {
		return err
	}
	// ciCells are an index's 95% interval (survey.Intervals), withheld
	// with the index.
	ciCells := func(ci *survey.OverallCI, f survey.Figure) []aCell {
		if ci == nil || f.Suppressed {
			return []aCell{{Hidden: f.Suppressed}, {Hidden: f.Suppressed}}
		}
		lo, hi := ci.Low, ci.High
		return []aCell{aNum(&lo), aNum(&hi)}
	}
	// The official (invitation) and the app (self-selected) overall index,
	// side by side, whatever the selection.
	for _, side := range []struct {
		ch  string
		out **survey.Figure
	}{{survey.ChannelsOfficial, &p.Official}, {survey.ChannelsApp, &p.App}, {survey.ChannelsVerified, &p.Verified}} {
		if side.ch == p.F.Channel {
			*side.out = &res.Overall
			continue
		}
		sq := q
		sq.Compare, sq.Channels = false, side.ch
		r, err := w.cfg.Surveys.SIPASIndicators(ctx, u, sq)
		if err != nil {
			return err
		}
		*side.out = &r.Overall
	}
	if res.Previous != nil && res.Overall.Value != nil && res.Previous.Overall.Value != nil {
		ch := *res.Overall.Value - *res.Previous.Overall.Value
		p.Change = &ch
	}
	prevElement := map[string]survey.Figure{}
	if res.Previous != nil {
		for _, e := range res.Previous.Elements {
			prevElement[e.Code] = e.Figure
		}
	}

	el := &aTable{ID: "elements", Title: tr(lang, "an.elements"), Chart: "hbar", ChartMax: 100, ChartLabel: "label", ChartValue: "value",
		ChartLo: "ci_low", ChartHi: "ci_high",
		Cols: []aCol{{"code", tr(lang, "an.col.code"), "text"}, {"label", tr(lang, "an.col.element"), "text"},
			{"value", tr(lang, "an.col.index"), "pct"}, {"n", "n", "int"},
			{"ci_low", tr(lang, "an.col.ci_low"), "pct"}, {"ci_high", tr(lang, "an.col.ci_high"), "pct"},
			{"previous", tr(lang, "an.col.previous"), "pct"}, {"change", tr(lang, "an.col.change"), "pp"}}}
	oci := ciCells(p.OverallCI, res.Overall)
	el.Rows = append(el.Rows, []aCell{aText(""), aText(tr(lang, "an.overall")), aFigure(res.Overall), aInt(res.Overall.N), oci[0], oci[1],
		aPrev(res.Previous, func(b *survey.Breakdown) survey.Figure { return b.Overall }), aChange(res.Overall, res.Previous, func(b *survey.Breakdown) survey.Figure { return b.Overall })})
	for _, e := range res.Elements {
		pf, ok := prevElement[e.Code]
		prev, ch := aCell{}, aCell{}
		if ok {
			prev = aFigure(pf)
			if e.Value != nil && pf.Value != nil {
				d := *e.Value - *pf.Value
				ch = aNum(&d)
			}
		}
		ci := ciCells(elementCI[e.Code], e.Figure)
		el.Rows = append(el.Rows, []aCell{aText(e.Code), aText(e.Label), aFigure(e.Figure), aInt(e.N), ci[0], ci[1], prev, ch})
	}

	cr := &aTable{ID: "criteria", Title: tr(lang, "an.criteria"), Note: tr(lang, "an.criteria.note"), Chart: "hbar", ChartMax: 100,
		ChartLabel: "label", ChartValue: "value", ChartLo: "ci_low", ChartHi: "ci_high",
		Cols: []aCol{{"element", tr(lang, "an.col.element"), "text"}, {"code", tr(lang, "an.col.code"), "text"},
			{"label", tr(lang, "an.col.criterion"), "text"}, {"value", tr(lang, "an.col.index"), "pct"}, {"n", "n", "int"},
			{"ci_low", tr(lang, "an.col.ci_low"), "pct"}, {"ci_high", tr(lang, "an.col.ci_high"), "pct"}}}
	for _, k := range res.Criteria {
		cr.Rows = append(cr.Rows, []aCell{aText(k.ElementCode), aText(k.Code), aText(k.Label), aFigure(k.Figure), aInt(k.N),
			{Num: k.CILow, Hidden: k.Suppressed}, {Num: k.CIHigh, Hidden: k.Suppressed}})
	}
	p.Satisfaction = []*aTable{el, cr}

	// Agencies: the API's ranking. Areas: the same arithmetic by area.
	rk, err := w.cfg.Surveys.Ranking(ctx, u, q)
	if err != nil {
		return err
	}
	// Both rankings show each index's 95% interval
	// (survey.SIPASAgencyIntervals, SIPASAreaIntervals).
	agencyCI, err := w.cfg.Surveys.SIPASAgencyIntervals(ctx, u, q)
	if err != nil {
		return err
	}
	areaCI, err := w.cfg.Surveys.SIPASAreaIntervals(ctx, u, q)
	if err != nil {
		return err
	}
	rankCols := func(what string, withCI bool) []aCol {
		cols := []aCol{{"rank", tr(lang, "an.col.rank"), "rank"}, {"code", tr(lang, "an.col.code"), "text"},
			{"name", tr(lang, what), "text"}, {"value", tr(lang, "an.col.index"), "pct"}, {"n", "n", "int"}}
		if withCI {
			cols = append(cols, aCol{"ci_low", tr(lang, "an.col.ci_low"), "pct"}, aCol{"ci_high", tr(lang, "an.col.ci_high"), "pct"})
		}
		return append(cols, aCol{"previous", tr(lang, "an.col.previous"), "pct"}, aCol{"change", tr(lang, "an.col.change"), "pp"})
	}
	rankRows := func(items []survey.RankItem, cis map[string]*survey.OverallCI) [][]aCell {
		var rows [][]aCell
		for _, it := range items {
			prev := aCell{}
			if it.Previous != nil {
				prev = aFigure(*it.Previous)
			}
			name := it.AgencyName
			if name == "" {
				name = it.AgencyCode
			}
			rank := aCell{Int: int64(it.Rank), Hidden: it.Overall.Suppressed}
			row := []aCell{rank, aText(it.AgencyCode), aText(name), aFigure(it.Overall), aInt(it.Overall.N)}
			if cis != nil {
				row = append(row, ciCells(cis[it.AgencyCode], it.Overall)...)
			}
			rows = append(rows, append(row, prev, aNum(it.Change)))
		}
		return rows
	}
	ag := &aTable{ID: "agencies", Title: tr(lang, "an.agencies"), Sortable: true, Chart: "hbar", ChartMax: 100, ChartLabel: "name", ChartValue: "value",
		ChartLo: "ci_low", ChartHi: "ci_high", Cols: rankCols("an.col.agency", true), Rows: rankRows(rk.Items, agencyCI)}

	q.Compare, q.GroupBy = false, survey.GroupByArea
	areas, err := w.cfg.Surveys.SIPASIndicators(ctx, u, q)
	if err != nil {
		return err
	}
	var prevAreas []survey.Group
	if p.PrevFrom != "" {
		pq := q
		pq.From, pq.To = p.PrevFrom, p.PrevTo
		prev, err := w.cfg.Surveys.SIPASIndicators(ctx, u, pq)
		if err != nil {
			return err
		}
		prevAreas = prev.Groups
	}
	ar := &aTable{ID: "areas", Title: tr(lang, "an.areas"), Sortable: true, Chart: "hbar", ChartMax: 100, ChartLabel: "name", ChartValue: "value",
		ChartLo: "ci_low", ChartHi: "ci_high", Cols: rankCols("an.col.area", true), Rows: rankRows(survey.Rank(areas.Groups, prevAreas), areaCI)}
	p.Comparison = []*aTable{ag, ar}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return err
	}
	for _, a := range ref.Areas {
		if a.Level != feedback.LevelProvince && len(a.Boundary) > 0 {
			p.MapAreas = true
			break
		}
	}

	q.GroupBy = p.F.Trend
	tr_, err := w.cfg.Surveys.SIPASIndicators(ctx, u, q)
	if err != nil {
		return err
	}
	trend := &aTable{ID: "trend", Title: tr(lang, "an.trend."+p.F.Trend), Chart: "line", ChartLabel: "period", ChartValue: "value", ChartMax: 100,
		Cols: []aCol{{"period", tr(lang, "an.col.period"), "text"}, {"value", tr(lang, "an.col.index"), "pct"}, {"n", "n", "int"}}}
	for _, g := range tr_.Groups {
		trend.Rows = append(trend.Rows, []aCell{aText(g.Key), aFigure(g.Overall), aInt(g.Overall.N)})
	}
	p.Trend = trend
	return nil
}

func aPrev(prev *survey.Breakdown, f func(*survey.Breakdown) survey.Figure) aCell {
	if prev == nil {
		return aCell{}
	}
	return aFigure(f(prev))
}

func aChange(now survey.Figure, prev *survey.Breakdown, f func(*survey.Breakdown) survey.Figure) aCell {
	if prev == nil || now.Value == nil || f(prev).Value == nil {
		return aCell{}
	}
	d := *now.Value - *f(prev).Value
	return aNum(&d)
}

// anHandling fills the field-report figures: the API's handling figures for
// the same months, by agency, category and area, and each month apart.
func (w *Console) anHandling(ctx context.Context, lang i18n.Lang, p *analyticsPage) error {
	first, last, err := aMonthDays(p.From, p.To)
	if err != nil {
		return err
	}
	cols := func(what string) []aCol {
		return []aCol{{"key", tr(lang, "an.col.code"), "text"}, {"name", tr(lang, what), "text"},
			{"reports", tr(lang, "an.col.received"), "int"},
			{"dispatched", tr(lang, "an.col.dispatched"), "int"}, {"dispatch_on_time", tr(lang, "an.col.dispatch_on_time"), "pct"},
			{"dispatched_late", tr(lang, "an.col.dispatched_late"), "int"}, {"median_dispatch_hours", tr(lang, "an.col.median_dispatch"), "hours"},
			{"responded", tr(lang, "an.col.responded"), "int"}, {"response_on_time", tr(lang, "an.col.response_on_time"), "pct"},
			{"responded_late", tr(lang, "an.col.responded_late"), "int"}, {"median_response_hours", tr(lang, "an.col.median_response"), "hours"},
			{"resolved", tr(lang, "an.col.resolved"), "int"}, {"median_hours", tr(lang, "an.col.median_hours"), "hours"},
			{"mean_rating", tr(lang, "an.col.mean_rating"), "rating"}, {"ratings", tr(lang, "an.col.ratings"), "int"}}
	}
	row := func(key, name string, s feedback.HandlingStats) []aCell {
		rate := func(r feedback.Rate) aCell { return aCell{Num: r.Value, Hidden: s.Suppressed} }
		// Late counts follow exactly from a rate and its n (rate = 100·k/n).
		late := func(r feedback.Rate) aCell {
			c := aCell{Hidden: s.Suppressed}
			if !s.Suppressed && r.Value != nil {
				c.Int = r.N - int64(math.Round(*r.Value*float64(r.N)/100))
			}
			return c
		}
		return []aCell{aText(key), aText(name), aInt(s.Reports),
			aInt(s.DispatchOnTime.N), rate(s.DispatchOnTime), late(s.DispatchOnTime), rate(s.MedianDispatchHours),
			aInt(s.ResponseOnTime.N), rate(s.ResponseOnTime), late(s.ResponseOnTime), rate(s.MedianResponseHours),
			aInt(s.MedianHandlingHours.N), rate(s.MedianHandlingHours), rate(s.MeanRating), aInt(s.MeanRating.N)}
	}
	var tables []*aTable
	for _, by := range []string{"agency", "category", "area"} {
		res, err := w.cfg.Reports.HandlingFigures(ctx, feedback.FiguresQuery{From: first, To: last, GroupBy: by, Lang: lang})
		if err != nil {
			return err
		}
		if by == "agency" {
			p.HandlingN = res.Overall.Reports
		}
		t := &aTable{ID: "reports_" + by, Title: tr(lang, "an.reports."+by), Sortable: true, Chart: "hbar", ChartLabel: "name", ChartValue: "reports", TotalFirst: true,
			Cols: cols("an.col." + by)}
		t.Rows = append(t.Rows, row("", tr(lang, "an.total"), res.Overall))
		for _, g := range res.Groups {
			t.Rows = append(t.Rows, row(g.Key, g.Label, g.HandlingStats))
		}
		tables = append(tables, t)
	}
	month := &aTable{ID: "reports_month", Title: tr(lang, "an.reports.month"), Chart: "bar", ChartLabel: "name", ChartValue: "reports",
		Cols: cols("an.col.month")}
	for m := range aMonths(p.From, p.To) {
		a, b, _ := aMonthDays(m, m)
		res, err := w.cfg.Reports.HandlingFigures(ctx, feedback.FiguresQuery{From: a, To: b, Lang: lang})
		if err != nil {
			return err
		}
		month.Rows = append(month.Rows, row(m, m, res.Overall))
	}
	p.Handling = append(tables, month)
	return nil
}

// aMonthDays is the first day of month from and the last day of month to.
func aMonthDays(from, to string) (string, string, error) {
	a, err1 := time.Parse("2006-01", from)
	b, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil {
		return "", "", apperr.Invalid(i18n.T("Tháng không hợp lệ", "invalid month"))
	}
	return a.Format("2006-01-02"), b.AddDate(0, 1, -1).Format("2006-01-02"), nil
}

// aMonths yields the months from..to, at most 13 of them (the handling
// figures cover at most 366 days).
func aMonths(from, to string) func(func(string) bool) {
	return func(yield func(string) bool) {
		a, err1 := time.Parse("2006-01", from)
		b, err2 := time.Parse("2006-01", to)
		for i := 0; err1 == nil && err2 == nil && !a.After(b) && i < 13; i++ {
			if !yield(a.Format("2006-01")) {
				return
			}
			a = a.AddDate(0, 1, 0)
		}
	}
}

// anPAPI fills the PAPI section: dimensions and their sub-dimensions.
func (w *Console) anPAPI(ctx context.Context, u identity.Principal, lang i18n.Lang, p *analyticsPage) error {
	res, err := w.cfg.Surveys.PAPIIndicators(ctx, u, survey.IndicatorQuery{SurveyID: p.F.PAPI, From: p.From, To: p.To, Lang: lang, Channels: p.F.Channel})
	if err != nil {
		return err
	}
	p.PAPITotal = &res.PAPIBreakdown
	t := &aTable{ID: "papi", Title: tr(lang, "an.papi"), Note: tr(lang, "an.papi.note"), Chart: "hbar", ChartLabel: "label", ChartValue: "score", TotalFirst: true,
		Cols: []aCol{{"dimension", tr(lang, "an.col.dimension"), "text"}, {"code", tr(lang, "an.col.code"), "text"},
			{"label", tr(lang, "an.col.label"), "text"}, {"score", tr(lang, "an.col.score"), "score"}, {"n", "n", "int"}}}
	t.Rows = append(t.Rows, []aCell{aText(""), aText(""), aText(tr(lang, "an.papi.total")), aFigure(res.Total), aInt(res.Total.N)})
	for _, d := range res.Dimensions {
		t.Rows = append(t.Rows, []aCell{aText(d.Code), aText(d.Code), aText(d.Label), aFigure(d.Figure), aInt(d.N)})
		for _, s := range d.Subdimensions {
			t.Rows = append(t.Rows, []aCell{aText(d.Code), aText(s.Code), aText("— " + s.Label), aFigure(s.Figure), aInt(s.N)})
		}
	}
	p.PAPI = []*aTable{t}
	return nil
}

// aFormat shows a cell as the page does: one decimal, a decimal comma in
// Vietnamese, "too few answers" for a withheld figure, "—" for no data.
func aFormat(lang i18n.Lang, kind string, c aCell) string {
	if c.Hidden {
		return tr(lang, "an.toofew")
	}
	switch kind {
	case "text":
		return c.Text
	case "int":
		return strconv.FormatInt(c.Int, 10)
	case "rank":
		if c.Int == 0 {
			return "—"
		}
		return strconv.FormatInt(c.Int, 10)
	}
	if c.Num == nil {
		return "—"
	}
	s := strconv.FormatFloat(*c.Num, 'f', 1, 64)
	if kind == "rating" {
		s = strconv.FormatFloat(*c.Num, 'f', 2, 64)
	}
	if kind == "pp" && *c.Num > 0 {
		s = "+" + s
	}
	if lang == i18n.VI {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
