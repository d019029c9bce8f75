package survey

import "camaug/internal/i18n"

// FormQuestion is one question as the app shows it, in one language.
type FormQuestion struct {
	Code        string       `json:"code"`
	Section     string       `json:"section"`
	Type        QuestionType `json:"type"`
	Label       string       `json:"label"`
	Required    bool         `json:"required"`
	Options     []FormOption `json:"options,omitempty"`
	Min         *float64     `json:"min,omitempty"`
	Max         *float64     `json:"max,omitempty"`
	Relevant    string       `json:"relevant,omitempty"`
	ElementCode string       `json:"element_code,omitempty"`
	// Hint says why the question is asked or who answers it.
	Hint string `json:"hint,omitempty"`
}

// FormOption is one choice as the app shows it.
type FormOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// The fixed answers of likert5 and yes_no questions (PRODUCT.md §8).
var (
	likertLabels = []struct {
		value string
		label i18n.Text
	}{
		{"1", i18n.T("Rất không hài lòng", "Very dissatisfied")},
		{"2", i18n.T("Không hài lòng", "Dissatisfied")},
		{"3", i18n.T("Bình thường", "Neutral")},
		{"4", i18n.T("Hài lòng", "Satisfied")},
		{"5", i18n.T("Rất hài lòng", "Very satisfied")},
		{NA, i18n.T("Không ý kiến", "No opinion")},
	}
	yesNoLabels = []struct {
		value string
		label i18n.Text
	}{
		{"yes", i18n.T("Có", "Yes")},
		{"no", i18n.T("Không", "No")},
	}
)

// Form returns q's questions in order as a flat list in lang, with the
// fixed options of likert5 and yes_no questions spelled out and rating
// questions given their 1–5 range, so that a client needs no knowledge of
// the question types to render them.
func (q *Questionnaire) Form(lang i18n.Lang) []FormQuestion {
	out := []FormQuestion{}
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			f := FormQuestion{
				Code: qu.Code, Section: s.Code, Type: qu.Type, Label: qu.Label.In(lang), Required: qu.Required,
				Relevant: qu.Relevant, ElementCode: qu.ElementCode, Hint: qu.Hint.In(lang),
			}
			switch qu.Type {
			case TypeLikert5:
				for _, l := range likertLabels {
					f.Options = append(f.Options, FormOption{Value: l.value, Label: l.label.In(lang)})
				}
			case TypeYesNo:
				for _, l := range yesNoLabels {
					f.Options = append(f.Options, FormOption{Value: l.value, Label: l.label.In(lang)})
				}
			case TypeRating:
				lo, hi := 1.0, 5.0
				f.Min, f.Max = &lo, &hi
			case TypeSingleChoice, TypeMultipleChoice:
				for _, o := range qu.Options {
					f.Options = append(f.Options, FormOption{Value: o.Value, Label: o.Label.In(lang)})
				}
			case TypeNumber:
				f.Min, f.Max = copyFloat(qu.Min), copyFloat(qu.Max)
			}
			out = append(out, f)
		}
	}
	return out
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
