package web

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/survey"
)

// surveyView is the survey form: the respondent's page, or an admin's
// preview of a working copy (Preview set: no token, no submit).
type surveyView struct {
	publicPage
	SurveyID string
	Heading  string
	Token    string
	Sections []formSection
	Errors   bool
	Preview  bool
	CSRF     string // the admin's session token, on a preview
	AskedURL string // where the form's script asks which questions are asked
	Action   string
}

type formSection struct {
	Title     string
	Questions []formQuestion
}

// formQuestion is one question with what the respondent gave (on a
// re-rendered form) and its error.
type formQuestion struct {
	survey.FormQuestion
	Values  map[string]bool // chosen option values
	Text    string          // the typed answer of text and number questions
	Error   string
	Skipped bool // not asked given the answers (shown greyed after a failed submit)
	Cond    bool // has a condition: asked only when earlier answers say so
	Levels  []string
}

// surveyToken reads the invitation token from the query or the form.
func surveyToken(c *fiber.Ctx) string {
	t := c.FormValue("token")
	if t == "" {
		t = c.Query("token")
	}
	return strings.ToUpper(strings.TrimSpace(t))
}

// surveyForm is /s/{id}?token=…: the questionnaire of an open survey for
// the holder of an invitation token. A used or unknown token is told
// before anyone answers.
func (w *Console) surveyForm(c *fiber.Ctx) error {
	lang := langOf(c)
	id, token := string([]byte(c.Params("id"))), surveyToken(c)
	if token == "" {
		p := w.publicBase(c, tr(lang, "survey.token.title"))
		return w.render(c, fiber.StatusOK, "public_survey_token", "public", surveyView{publicPage: p, SurveyID: id})
	}
	form, titles, err := w.openForm(c, id, token)
	if err != nil {
		return w.surveyFail(c, err)
	}
	v := w.formView(c, form, titles, token, nil, nil)
	return w.render(c, fiber.StatusOK, "public_survey", "public", v)
}

// openForm reads the form of an open survey, checking the token.
func (w *Console) openForm(c *fiber.Ctx, id, token string) (*survey.Form, map[string]string, error) {
	lang := langOf(c)
	form, err := w.cfg.Surveys.Form(c.UserContext(), id, token, lang)
	if err != nil {
		return nil, nil, err
	}
	titles, err := w.cfg.Surveys.FormSections(c.UserContext(), id, lang)
	return form, titles, err
}

// surveyFail explains why the form cannot be answered, in the survey
// service's words: an unknown survey or token (404), a used token or a
// survey not open (409).
func (w *Console) surveyFail(c *fiber.Ctx, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.ENOTFOUND, apperr.ECONFLICT:
		return w.publicFail(c, statusOf(err), messageOf(err, langOf(c)))
	}
	return w.publicErr(c, err)
}

// formView builds the form's view model; answers and errs are those of a
// failed submission (nil on first display).
func (w *Console) formView(c *fiber.Ctx, form *survey.Form, titles map[string]string, token string, answers url.Values, errs map[string]string) surveyView {
	p := w.publicBase(c, form.Title)
	v := surveyView{publicPage: p, SurveyID: form.SurveyID, Heading: form.Title, Token: token,
		AskedURL: "/s/" + url.PathEscape(form.SurveyID) + "/asked", Action: "/s/" + url.PathEscape(form.SurveyID)}
	var asked map[string]bool
	if answers != nil {
		a, err := w.cfg.Surveys.AskedOpen(c.UserContext(), form.SurveyID, rawAnswers(form.Questions, answers))
		if err == nil {
			asked = map[string]bool{}
			for _, code := range a {
				asked[code] = true
			}
		}
	}
	v.Sections = buildSections(form.Questions, titles, answers, errs, asked)
	v.Errors = len(errs) > 0
	return v
}

func buildSections(qs []survey.FormQuestion, titles map[string]string, answers url.Values, errs map[string]string, asked map[string]bool) []formSection {
	var out []formSection
	for _, q := range qs {
		if len(out) == 0 || out[len(out)-1].Title != titles[q.Section] {
			out = append(out, formSection{Title: titles[q.Section]})
		}
		fq := formQuestion{FormQuestion: q, Values: map[string]bool{}, Error: errs["answers."+q.Code], Cond: q.Relevant != ""}
		for _, val := range answers["q."+q.Code] {
			fq.Values[val] = true
			fq.Text = val
		}
		if asked != nil && !asked[q.Code] {
			fq.Skipped = true
		}
		if q.Type == survey.TypeRating {
			fq.Levels = []string{"1", "2", "3", "4", "5"}
		}
		s := &out[len(out)-1]
		s.Questions = append(s.Questions, fq)
	}
	return out
}

// rawAnswers turns the form's fields ("q.<code>") into the JSON answers
// the survey service reads: one value, a list for multiple choice, a
// number for number questions. Empty fields are no answer.
func rawAnswers(qs []survey.FormQuestion, form url.Values) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, q := range qs {
		vals := []string{}
		for _, v := range form["q."+q.Code] {
			if v = strings.TrimSpace(v); v != "" || q.Type == survey.TypeText {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 || (len(vals) == 1 && vals[0] == "") {
			continue
		}
		var b []byte
		switch q.Type {
		case survey.TypeMultipleChoice:
			b, _ = json.Marshal(vals)
		case survey.TypeNumber:
			if f, err := strconv.ParseFloat(strings.ReplaceAll(vals[0], ",", "."), 64); err == nil {
				b, _ = json.Marshal(f)
			} else {
				b, _ = json.Marshal(vals[0]) // refused as "must be a number"
			}
		default:
			b, _ = json.Marshal(vals[0])
		}
		out[q.Code] = b
	}
	return out
}

// postedForm reads the posted fields (all values of each name).
func postedForm(c *fiber.Ctx) url.Values {
	form := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		form.Add(string(k), string(v))
	})
	return form
}

// surveySubmit stores the response. Skip logic is applied here (answers to
// questions the earlier answers skip are dropped), so the form works
// without a script; a refused answer re-renders the form with the
// respondent's input and each question's error.
func (w *Console) surveySubmit(c *fiber.Ctx) error {
	lang := langOf(c)
	id, token := string([]byte(c.Params("id"))), surveyToken(c)
	if token == "" {
		return w.publicFail(c, fiber.StatusNotFound, tr(lang, "survey.unknown"))
	}
	form, titles, err := w.openForm(c, id, token)
	if err != nil {
		return w.surveyFail(c, err)
	}
	posted := postedForm(c)
	_, err = w.cfg.Surveys.RespondForm(c.UserContext(), identity.Anonymous, id, token, rawAnswers(form.Questions, posted))
	switch apperr.CodeOf(err) {
	case "":
		return c.Redirect("/s/"+url.PathEscape(form.SurveyID)+"/thanks", fiber.StatusSeeOther)
	case apperr.EINVALID:
		v := w.formView(c, form, titles, token, posted, fieldErrors(err, lang))
		return w.render(c, fiber.StatusUnprocessableEntity, "public_survey", "public", v)
	}
	return w.surveyFail(c, err)
}

// surveyThanks closes a response.
func (w *Console) surveyThanks(c *fiber.Ctx) error {
	p := w.publicBase(c, tr(langOf(c), "survey.thanks"))
	return w.render(c, fiber.StatusOK, "public_survey_thanks", "public", surveyView{publicPage: p})
}

// surveyAsked answers the form's script: the codes of the questions asked
// given the answers so far, by the survey's own skip logic.
func (w *Console) surveyAsked(c *fiber.Ctx) error {
	id := string([]byte(c.Params("id")))
	form, err := w.cfg.Surveys.Form(c.UserContext(), id, "", langOf(c))
	if err != nil {
		return w.askedFail(c, err)
	}
	asked, err := w.cfg.Surveys.AskedOpen(c.UserContext(), id, rawAnswers(form.Questions, postedForm(c)))
	if err != nil {
		return w.askedFail(c, err)
	}
	return c.JSON(fiber.Map{"asked": asked})
}

// askedFail answers the script with a status only; it then shows every
// question, as without a script.
func (w *Console) askedFail(c *fiber.Ctx, err error) error {
	st := statusOf(err)
	if st >= 500 {
		w.cfg.Logger.Error("survey form", "path", c.Path(), "error", err)
	}
	return c.Status(st).JSON(fiber.Map{"status": st})
}
