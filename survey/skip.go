package survey

import (
	"context"
	"encoding/json"

	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// Asked applies q's skip logic to raw answers the way a paper form is read:
// questions are taken in order, each one's condition is evaluated on the
// acceptable answers to the questions asked before it, and the answers to
// questions that are not asked are dropped. It returns the codes of the
// asked questions, in order, and the answers kept. A web form without
// JavaScript sends every field it shows; this is how its skip logic is
// applied on the server.
func (q *Questionnaire) Asked(raw map[string]json.RawMessage) ([]string, map[string]json.RawMessage) {
	asked := []string{}
	kept := make(map[string]json.RawMessage, len(raw))
	seen := make(Answers, len(raw))
	for _, s := range q.Sections {
		for i := range s.Questions {
			qu := &s.Questions[i]
			if cond, err := ParseCondition(qu.Relevant); err == nil && !cond.Eval(seen) {
				continue
			}
			asked = append(asked, qu.Code)
			msg, ok := raw[qu.Code]
			if !ok {
				continue
			}
			kept[qu.Code] = msg
			if v, vi, _ := qu.normalize(msg); vi == "" && v != nil {
				seen[qu.Code] = v
			}
		}
	}
	for code, msg := range raw { // unknown codes stay, to be refused by CheckAnswers
		if !q.has(code) {
			kept[code] = msg
		}
	}
	return asked, kept
}

func (q *Questionnaire) has(code string) bool {
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			if qu.Code == code {
				return true
			}
		}
	}
	return false
}

// SectionTitles returns each section's title in lang, by section code.
func (q *Questionnaire) SectionTitles(lang i18n.Lang) map[string]string {
	out := make(map[string]string, len(q.Sections))
	for _, s := range q.Sections {
		out[s.Code] = s.Title.In(lang)
	}
	return out
}

// AskedOpen is Asked on the published version of an open survey: which
// questions a respondent is asked given the answers so far, for a form
// that shows and hides them as they answer.
func (s *Service) AskedOpen(ctx context.Context, id string, raw map[string]json.RawMessage) ([]string, error) {
	_, v, err := s.openVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	asked, _ := v.Questionnaire.Asked(raw)
	return asked, nil
}

// AskedDraft is Asked on a survey's working copy, for its admins'
// preview.
func (s *Service) AskedDraft(ctx context.Context, p identity.Principal, id string, raw map[string]json.RawMessage) ([]string, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	asked, _ := sv.Questionnaire.Asked(raw)
	return asked, nil
}

// RespondForm is Respond for a web form: the answers to questions that the
// earlier answers skip are dropped rather than refused, since a browser
// without JavaScript sends every field it showed.
func (s *Service) RespondForm(ctx context.Context, p identity.Principal, id, token string, raw map[string]json.RawMessage) (*Response, error) {
	_, v, err := s.openVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	_, kept := v.Questionnaire.Asked(raw)
	return s.Respond(ctx, p, id, token, kept)
}

// FormSections returns the section titles of an open survey's published
// version in lang, for a form that groups its questions.
func (s *Service) FormSections(ctx context.Context, id string, lang i18n.Lang) (map[string]string, error) {
	_, v, err := s.openVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	return v.Questionnaire.SectionTitles(lang), nil
}
