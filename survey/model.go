package survey

import (
	"time"

	"camaug/internal/i18n"
)

// Kind says which indicator arithmetic a survey feeds.
type Kind string

// The kinds.
const (
	KindSIPAS  Kind = "sipas"  // satisfaction index: share of 4–5 answers per criterion
	KindPAPI   Kind = "papi"   // governance index: dimensions scored 1–10
	KindCustom Kind = "custom" // a questionnaire without an index
)

// QuestionType is how a question is answered.
type QuestionType string

// The question types.
const (
	TypeLikert5        QuestionType = "likert5"         // 1–5, or "na" for no opinion
	TypeSingleChoice   QuestionType = "single_choice"   // one option value
	TypeMultipleChoice QuestionType = "multiple_choice" // a list of option values
	TypeYesNo          QuestionType = "yes_no"          // "yes" or "no"
	TypeNumber         QuestionType = "number"          // a number within Min..Max
	TypeText           QuestionType = "text"            // free text
	TypeRating         QuestionType = "rating"          // 1–5 stars
)

// NA is the "không ý kiến" (no opinion) answer of a likert5 question: it is
// stored and counted apart, but never enters an index.
const NA = "na"

// Option is one choice of a choice question.
type Option struct {
	Value string    `json:"value"`
	Label i18n.Text `json:"label"`
	// Score is what the option is worth in a PAPI indicator, 0–1.
	Score *float64 `json:"score,omitempty"`
}

// Question is one question of a questionnaire.
type Question struct {
	Code     string       `json:"code"`
	Type     QuestionType `json:"type"`
	Label    i18n.Text    `json:"label"`
	Required bool         `json:"required,omitempty"`
	Options  []Option     `json:"options,omitempty"`
	Min      *float64     `json:"min,omitempty"`
	Max      *float64     `json:"max,omitempty"`
	// Relevant is an XLSForm-style condition on earlier answers, e.g.
	// "${visited} = 'yes' and ${age} >= 18"; the question is asked (and
	// may be required) only when it holds.
	Relevant string `json:"relevant,omitempty"`
	// ElementCode ties a scored question to an Element: a SIPAS criterion
	// to its element, a PAPI indicator to its sub-dimension.
	ElementCode string `json:"element_code,omitempty"`
	// Reverse marks a PAPI indicator where a higher answer is worse
	// (e.g. "had to pay a bribe").
	Reverse bool `json:"reverse,omitempty"`
	// Hint is shown under the question on the form: why it is asked, or
	// who answers it.
	Hint i18n.Text `json:"hint,omitzero"`
	// Source cites the rule the item comes from (document, article,
	// annex), or is "unconfirmed" when its wording could not be checked
	// against the source.
	Source string `json:"source,omitempty"`
	// StandsFor lists the indicators of the full instrument this question
	// stands for (a short form's PAPI indicators).
	StandsFor []string `json:"stands_for,omitempty"`
}

// Section groups questions on the form.
type Section struct {
	Code      string     `json:"code"`
	Title     i18n.Text  `json:"title"`
	Questions []Question `json:"questions"`
}

// Element is a scoring group: a SIPAS element (yếu tố), or a PAPI
// dimension (ParentCode empty) or sub-dimension (ParentCode = dimension).
type Element struct {
	Code       string    `json:"code"`
	Label      i18n.Text `json:"label"`
	ParentCode string    `json:"parent_code,omitempty"`
	// ReportRatings adds the ratings reporters gave to answered field
	// reports as one more criterion of this element (SIPAS "handling of
	// feedback"), for the agency that answered.
	ReportRatings bool `json:"report_ratings,omitempty"`
	// Part is the code of the questionnaire part a SIPAS element belongs
	// to; empty is the main satisfaction part, the only one the overall
	// index averages. Elements of another part are scored apart.
	Part string `json:"part,omitempty"`
	// Source cites the rule the element comes from, or "unconfirmed".
	Source string `json:"source,omitempty"`
}

// Part is a separately scored part of a SIPAS questionnaire (e.g. the
// online public service), named for the results.
type Part struct {
	Code   string    `json:"code"`
	Label  i18n.Text `json:"label"`
	Source string    `json:"source,omitempty"`
}

// Scoring is a questionnaire's index arithmetic, held as data.
type Scoring struct {
	// Satisfied lists the likert5 answers that count as satisfied
	// (SIPAS default: "4", "5").
	Satisfied []string `json:"satisfied,omitempty"`
	// ScaleMin and ScaleMax are a PAPI dimension's score range (1–10).
	ScaleMin float64 `json:"scale_min,omitempty"`
	ScaleMax float64 `json:"scale_max,omitempty"`
	// MinGroupSize is the smallest number of respondents a published
	// figure may rest on; smaller groups are suppressed (default 5).
	MinGroupSize int `json:"min_group_size,omitempty"`
	// Eligible is a condition on the answers (as in Question.Relevant)
	// that a respondent meets when they used the service in the period;
	// when set, only those respondents enter the SIPAS indicators (the
	// overall n) and suppression counts only them.
	Eligible string `json:"eligible,omitempty"`
}

// Questionnaire is the content of one survey version.
type Questionnaire struct {
	// Source cites the methodology the questionnaire follows.
	Source string `json:"source,omitempty"`
	// Note says what the questionnaire is and is not (e.g. a provincial
	// short form of a national instrument).
	Note     i18n.Text `json:"note,omitzero"`
	Parts    []Part    `json:"parts,omitempty"`
	Elements []Element `json:"elements,omitempty"`
	Sections []Section `json:"sections"`
	Scoring  Scoring   `json:"scoring"`
}

// Status is where a survey is in its life.
type Status string

// The statuses.
const (
	StatusDraft     Status = "draft"
	StatusPublished Status = "published"
	StatusClosed    Status = "closed"
)

// Period is the span a survey runs, as whole days in the province's zone.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Survey is a questionnaire and its life. Questionnaire is the working
// copy of version Version; PublishedVersion is the frozen version that
// responses go to (0 when never published). Editing a published survey
// starts version PublishedVersion+1; publishing freezes it.
type Survey struct {
	ID               string
	Kind             Kind
	Template         string // "sipas", "papi" or "" when built from scratch
	Title            i18n.Text
	Period           Period
	Status           Status
	Questionnaire    Questionnaire
	Version          int
	PublishedVersion int
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Revision guards updates (compare-and-swap): a store writes a survey
	// only over the revision it was read at, and bumps it.
	Revision int64
}

// Version is a frozen, published questionnaire. It never changes.
type Version struct {
	SurveyID      string
	Number        int
	Questionnaire Questionnaire
	PublishedAt   time.Time
}

// Invitation is a single-use token that ties a response to the agency and
// area served, never to a person. Only the token's SHA-256 is stored.
type Invitation struct {
	TokenHash  string
	SurveyID   string
	AgencyCode string
	AreaCode   string
	CreatedAt  time.Time
	UsedAt     *time.Time
}

// Answers are a response's answers by question code, normalized by
// Validate: likert5 and rating answers are "1".."5" (or NA), yes_no
// "yes"/"no", single_choice the option value, multiple_choice a []string of
// option values, number a float64, text a string. Skipped questions are
// absent.
type Answers map[string]any

// Channel is how a response came in.
type Channel string

// The channels.
const (
	ChannelInvitation Channel = "invitation" // a printed or sent token
	ChannelApp        Channel = "app"        // a signed-in app user
	// ChannelVerified is a signed-in app user whose identity the province's
	// provider verified (an acr the admin marks verified; issue 19).
	ChannelVerified Channel = "verified"
)

// Response is one anonymous filled-in questionnaire. Nothing in it
// identifies the respondent.
type Response struct {
	ID          string
	SurveyID    string
	Version     int
	AgencyCode  string
	AreaCode    string
	Channel     Channel
	Answers     Answers
	SubmittedAt time.Time
}

// Claim is what a response spends: an invitation token, or a signed-in
// user's one answer per survey. Exactly one of the two is set.
type Claim struct {
	TokenHash string
	// Participant is an opaque key of the signed-in user for this survey;
	// it is kept apart from the response and never linked to it.
	Participant string
}

// Period keys of counters: a month in the province's zone, "2026-11".
const periodLayout = "2006-01"

// Count is one counter: how many responses of a survey version, for an
// agency and area, in a month, gave Answer to Question. Besides real
// question codes the counters hold "_responses" (Answer "") for the number
// of responses and "_element:CODE" (Answer "answered") for the number that
// answered at least one scored question of an element.
type Count struct {
	SurveyID   string
	Version    int
	AgencyCode string
	AreaCode   string
	Period     string // "2006-01"
	Question   string
	Answer     string
	N          int64
}

// CountQuery selects counters of one survey; empty fields do not filter.
// FromPeriod and ToPeriod are inclusive "2006-01" months.
type CountQuery struct {
	SurveyID   string
	FromPeriod string
	ToPeriod   string
	AgencyCode string
	AreaCode   string
	// Collapse sums the counters over the version and over each dimension
	// not kept (agency, area, period), which is then left empty (Version
	// 0): one Count per kept key, question and answer, as few as an
	// indicator needs. Without Collapse every counter comes back apart.
	Collapse                         bool
	KeepAgency, KeepArea, KeepPeriod bool
}
