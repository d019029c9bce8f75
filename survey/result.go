package survey

// The results of the indicator arithmetic. They are what the API returns
// and what the exports tabulate, so the JSON names are the public ones.

// Figure is one published number and the sample it rests on. Value is nil
// when the figure is suppressed (fewer respondents than the minimum group
// size) or has no data.
type Figure struct {
	Value *float64 `json:"value"` // SIPAS: percent 0–100, unrounded; PAPI: score
	N     int64    `json:"n"`
	// Suppressed is true when Value is withheld because N is below the
	// minimum group size.
	Suppressed bool `json:"suppressed,omitempty"`
}

// CriterionFigure is a SIPAS criterion's index with its 95% Wilson interval
// (percent, nil when Value is nil).
type CriterionFigure struct {
	Code        string `json:"code"`
	ElementCode string `json:"element_code"`
	Label       string `json:"label"`
	Figure
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
}

// ElementFigure is a SIPAS element's index (mean of its criteria).
type ElementFigure struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// Part is the separately scored part the element belongs to; empty
	// for the main satisfaction part, which alone makes the overall index.
	Part string `json:"part,omitempty"`
	Figure
}

// PartFigure is a separately scored SIPAS part (e.g. the online public
// service): the mean of its elements' indexes, its n the respondents who
// answered at least one of its criteria.
type PartFigure struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Figure
}

// Breakdown is the overall index, its elements and criteria, for one
// selection of responses.
type Breakdown struct {
	// Respondents is the number of responses in the selection.
	Respondents int64 `json:"respondents"`
	// Overall is the mean of the main part's elements; its n is the
	// respondents, or with an eligibility rule only the eligible ones.
	Overall  Figure            `json:"overall"`
	Parts    []PartFigure      `json:"parts,omitempty"`
	Elements []ElementFigure   `json:"elements"`
	Criteria []CriterionFigure `json:"criteria"`
	// ReportRatings is true when the questionnaire (the 2017 model's
	// "handling of feedback" element) mixes field-report ratings in.
	ReportRatings bool `json:"report_ratings,omitempty"`
}

// Group is one group of a grouped result: Key is an agency or area code, a
// month "2026-11" or a quarter "2026-Q4"; Label is its name when known.
type Group struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	Breakdown
}

// SIPASResult is GET /v1/indicators/sipas.
type SIPASResult struct {
	SurveyID string `json:"survey_id"`
	From     string `json:"from"` // first month, "2026-01"
	To       string `json:"to"`   // last month, "2026-12"
	GroupBy  string `json:"group_by,omitempty"`
	Breakdown
	Groups []Group `json:"groups"`
	// Previous is the same selection over the equally long span just
	// before From, for comparison (nil when not asked for).
	Previous *Breakdown `json:"previous,omitempty"`
	// Channel is the responses counted: "invitation" (the official
	// figure), "app" or "all"; SelfSelected is true when app responses,
	// whose respondents chose themselves, are among them.
	Channel      string `json:"channel"`
	SelfSelected bool   `json:"self_selected"`
}

// RankItem is one agency in a ranking.
type RankItem struct {
	Rank       int      `json:"rank"` // 1 = most satisfied; 0 when suppressed
	AgencyCode string   `json:"agency_code"`
	AgencyName string   `json:"agency_name,omitempty"`
	Overall    Figure   `json:"overall"`
	Previous   *Figure  `json:"previous,omitempty"`
	Change     *float64 `json:"change"` // percentage points since Previous
}

// Ranking is GET /v1/indicators/sipas/ranking.
type Ranking struct {
	SurveyID string     `json:"survey_id"`
	From     string     `json:"from"`
	To       string     `json:"to"`
	Items    []RankItem `json:"items"`
	// Channel is the responses counted: "invitation" (the official
	// figure), "app" or "all"; SelfSelected is true when app responses,
	// whose respondents chose themselves, are among them.
	Channel      string `json:"channel"`
	SelfSelected bool   `json:"self_selected"`
}

// Scale is the range a PAPI figure is on: a dimension's 1–10, a
// sub-dimension's share of it (0.33–3.33 for one of three), the total's
// sum of the dimensions' (8–80).
type Scale struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// DimensionFigure is a PAPI dimension (1–10) or sub-dimension score, with
// the scale it is on.
type DimensionFigure struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Figure
	Scale         Scale             `json:"scale"`
	Subdimensions []DimensionFigure `json:"subdimensions,omitempty"`
}

// PAPIBreakdown is the PAPI total (sum of dimensions, 8–80) and dimensions.
type PAPIBreakdown struct {
	Respondents int64             `json:"respondents"`
	Total       Figure            `json:"total"`
	TotalScale  Scale             `json:"total_scale"`
	Dimensions  []DimensionFigure `json:"dimensions"`
}

// PAPIGroup is one group of a grouped PAPI result.
type PAPIGroup struct {
	Key   string `json:"key"`
	Label string `json:"label,omitempty"`
	PAPIBreakdown
}

// PAPIResult is GET /v1/indicators/papi.
type PAPIResult struct {
	SurveyID string `json:"survey_id"`
	From     string `json:"from"`
	To       string `json:"to"`
	GroupBy  string `json:"group_by,omitempty"`
	PAPIBreakdown
	Groups   []PAPIGroup    `json:"groups"`
	Previous *PAPIBreakdown `json:"previous,omitempty"`
	// Channel is the responses counted: "invitation" (the official
	// figure), "app" or "all"; SelfSelected is true when app responses,
	// whose respondents chose themselves, are among them.
	Channel      string `json:"channel"`
	SelfSelected bool   `json:"self_selected"`
}
