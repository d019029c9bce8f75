package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/survey"
)

// surveyAdminRoutes lists the survey administration pages (admins).
func (w *Console) surveyAdminRoutes(s fiber.Router) {
	adm := w.need(identity.PermSurveysAdmin)
	s.Get("/surveys", adm, w.surveysPage)
	s.Post("/surveys", adm, w.surveyCreate)
	s.Get("/surveys/:id", adm, w.surveyPage)
	s.Get("/surveys/:id/edit", adm, w.surveyEdit)
	s.Post("/surveys/:id/edit", adm, w.surveySave)
	s.Get("/surveys/:id/preview", adm, w.surveyPreview)
	s.Post("/surveys/:id/preview/asked", adm, w.surveyPreviewAsked)
	s.Post("/surveys/:id/publish", adm, w.surveyLife(true))
	s.Post("/surveys/:id/close", adm, w.surveyLife(false))
	s.Post("/surveys/:id/invitations", adm, w.surveyInvite)
}

// surveyRow is one survey in the list.
type surveyRow struct {
	ID, Title, Kind string
	Status          survey.Status
	Period          survey.DayPeriod
	Version         int
	Published       int
}

type surveysView struct {
	page
	Surveys   []surveyRow
	Templates []string
	Form      createForm
	Errors    map[string]string
}

// createForm is the new-survey form's input.
type createForm struct {
	TitleVi, TitleEn, From, To, Source string
}

func (w *Console) surveysPage(c *fiber.Ctx) error {
	return w.renderSurveys(c, fiber.StatusOK, createForm{Source: "template:sipas"}, nil)
}

func (w *Console) renderSurveys(c *fiber.Ctx, status int, form createForm, errs map[string]string) error {
	lang := langOf(c)
	u, _ := userOf(c)
	list, err := w.cfg.Surveys.List(c.UserContext(), u, "", 100)
	if err != nil {
		return w.failErr(c, err)
	}
	if form.From == "" {
		now := time.Now().In(province)
		form.From, form.To = now.Format("2006-01-02"), now.AddDate(0, 3, 0).Format("2006-01-02")
	}
	v := surveysView{page: w.base(c, tr(lang, "surveys.title"), "surveys"), Templates: survey.TemplateNames(), Form: form, Errors: errs}
	for _, s := range list {
		v.Surveys = append(v.Surveys, surveyRow{ID: s.ID, Title: s.Title.In(lang), Kind: string(s.Kind), Status: s.Status, Period: s.Period.Days(),
			Version: s.Version, Published: s.PublishedVersion})
	}
	return w.render(c, status, "surveys_list", "", v)
}

// surveyCreate makes a draft from a built-in template or as a copy of
// another survey's working questionnaire.
func (w *Console) surveyCreate(c *fiber.Ctx) error {
	lang := langOf(c)
	u, _ := userOf(c)
	form := createForm{TitleVi: c.FormValue("title_vi"), TitleEn: c.FormValue("title_en"), From: c.FormValue("from"), To: c.FormValue("to"), Source: c.FormValue("source")}
	in := survey.CreateInput{Title: i18n.T(form.TitleVi, form.TitleEn), Period: survey.DayPeriod{From: form.From, To: form.To}}
	switch src := form.Source; {
	case strings.HasPrefix(src, "template:"):
		in.Template = strings.TrimPrefix(src, "template:")
	case strings.HasPrefix(src, "copy:"):
		orig, err := w.cfg.Surveys.Get(c.UserContext(), u, strings.TrimPrefix(src, "copy:"))
		if err != nil {
			return w.renderSurveys(c, statusOf(err), form, map[string]string{"source": messageOf(err, lang)})
		}
		q := orig.Questionnaire
		in.Kind, in.Questionnaire = orig.Kind, &q
	default:
		return w.renderSurveys(c, fiber.StatusUnprocessableEntity, form, map[string]string{"source": tr(lang, "surveys.source.pick")})
	}
	sv, err := w.cfg.Surveys.Create(c.UserContext(), u, in)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EINVALID {
			errs := fieldErrors(err, lang)
			for k, m := range errs {
				if strings.HasPrefix(k, "period.") {
					errs["period"] = m
				}
			}
			return w.renderSurveys(c, statusOf(err), form, errs)
		}
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/surveys/"+sv.ID, "surveys.created")
}

// batchRow is one issued batch of invitations.
type batchRow struct {
	Agency, Area string
	At           time.Time
	Issued, Used int64
}

type surveyDetail struct {
	page
	S        surveyRow
	Draft    bool // the working copy differs from the published version
	Agencies []option
	Areas    []option
	Batches  []batchRow
	Invite   inviteForm
	Errors   map[string]string
}

type inviteForm struct{ Count, Agency, Area string }

func (w *Console) surveyPage(c *fiber.Ctx) error {
	return w.renderSurvey(c, fiber.StatusOK, inviteForm{Count: "20"}, nil)
}

func (w *Console) renderSurvey(c *fiber.Ctx, status int, form inviteForm, errs map[string]string) error {
	lang := langOf(c)
	u, _ := userOf(c)
	ctx := c.UserContext()
	sv, err := w.cfg.Surveys.Get(ctx, u, string([]byte(c.Params("id"))))
	if err != nil {
		return w.failErr(c, err)
	}
	batches, err := w.cfg.Surveys.InvitationBatches(ctx, u, sv.ID)
	if err != nil {
		return w.failErr(c, err)
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return w.failErr(c, err)
	}
	v := surveyDetail{page: w.base(c, sv.Title.In(lang), "surveys"), Invite: form, Errors: errs,
		S:     surveyRow{ID: sv.ID, Title: sv.Title.In(lang), Kind: string(sv.Kind), Status: sv.Status, Period: sv.Period.Days(), Version: sv.Version, Published: sv.PublishedVersion},
		Draft: sv.Version != sv.PublishedVersion}
	agencies, areas := map[string]string{}, map[string]string{}
	for _, a := range ref.Agencies {
		agencies[a.Code] = a.Name.In(lang)
		if a.Active {
			v.Agencies = append(v.Agencies, option{Value: a.Code, Label: a.Name.In(lang), Selected: a.Code == form.Agency})
		}
	}
	for _, a := range ref.Areas {
		areas[a.Code] = a.Name.In(lang)
		v.Areas = append(v.Areas, option{Value: a.Code, Label: a.Name.In(lang), Selected: a.Code == form.Area})
	}
	for _, b := range batches {
		v.Batches = append(v.Batches, batchRow{Agency: agencies[b.AgencyCode], Area: areas[b.AreaCode], At: b.CreatedAt, Issued: b.Issued, Used: b.Used})
	}
	return w.render(c, status, "surveys_detail", "", v)
}

// surveyLife publishes or closes a survey.
func (w *Console) surveyLife(publish bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, _ := userOf(c)
		id := string([]byte(c.Params("id")))
		var err error
		flash := "surveys.published"
		if publish {
			_, err = w.cfg.Surveys.Publish(c.UserContext(), u, id)
		} else {
			_, err = w.cfg.Surveys.Close(c.UserContext(), u, id)
			flash = "surveys.closed"
		}
		if err != nil {
			if apperr.CodeOf(err) == apperr.EINVALID { // a working copy that cannot be published
				return w.redirect(c, "/console/surveys/"+url.PathEscape(id)+"/edit", "surveys.fix")
			}
			return w.failErr(c, err)
		}
		return w.redirect(c, "/console/surveys/"+url.PathEscape(id), flash)
	}
}

// qrCard is one invitation on the printable sheet.
type qrCard struct {
	Token string
	URL   string
	PNG   template.URL // data: URL of the QR code (made here, safe)
}

type qrSheet struct {
	page
	Survey   string
	Agency   string
	Area     string
	IssuedAt time.Time
	Cards    []qrCard
}

// surveyInvite issues a batch of invitation tokens and answers with their
// printable A4 sheet of QR codes. Only the tokens' hashes are stored, so
// this response is the one time the tokens exist in clear: the sheet is
// not cached and cannot be produced again (print or save it now; a lost
// sheet is replaced by issuing a new batch).
func (w *Console) surveyInvite(c *fiber.Ctx) error {
	lang := langOf(c)
	u, _ := userOf(c)
	ctx := c.UserContext()
	id := string([]byte(c.Params("id")))
	form := inviteForm{Count: c.FormValue("count"), Agency: c.FormValue("agency_code"), Area: c.FormValue("area_code")}
	n, err := strconv.Atoi(strings.TrimSpace(form.Count))
	if err != nil {
		return w.renderSurvey(c, fiber.StatusUnprocessableEntity, form, map[string]string{"count": tr(lang, "surveys.count.bad")})
	}
	if n > maxSheet {
		return w.renderSurvey(c, fiber.StatusUnprocessableEntity, form, map[string]string{"count": fmt.Sprintf(tr(lang, "surveys.count.max"), maxSheet)})
	}
	tokens, err := w.cfg.Surveys.Invite(ctx, u, id, n, form.Agency, form.Area)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EINVALID {
			return w.renderSurvey(c, statusOf(err), form, fieldErrors(err, lang))
		}
		return w.failErr(c, err)
	}
	sv, err := w.cfg.Surveys.Get(ctx, u, id)
	if err != nil {
		return w.failErr(c, err)
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return w.failErr(c, err)
	}
	v := qrSheet{page: w.base(c, tr(lang, "qr.title"), "surveys"), Survey: sv.Title.In(lang), IssuedAt: time.Now()}
	for _, a := range ref.Agencies {
		if a.Code == form.Agency {
			v.Agency = a.Name.In(lang)
		}
	}
	for _, a := range ref.Areas {
		if a.Code == form.Area {
			v.Area = a.Name.In(lang)
		}
	}
	base := c.BaseURL() + "/s/" + url.PathEscape(sv.ID) + "?token="
	for _, t := range tokens {
		png, err := qrcode.Encode(base+t, qrcode.Medium, 256)
		if err != nil {
			return w.failErr(c, err)
		}
		v.Cards = append(v.Cards, qrCard{Token: t, URL: base + t, PNG: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
	}
	return w.render(c, fiber.StatusOK, "surveys_qr", "", v)
}

// maxSheet is the most invitations one printable sheet holds (12 a page);
// larger runs are several batches.
const maxSheet = 240

// questionRow is one question in the editor: the form's fields.
type questionRow struct {
	Key                          string // field name prefix: "s0.q3."
	Orig                         string // the stored question's code ("" for a new one)
	Code, Type, LabelVi, LabelEn string
	Required                     bool
	Relevant, Options, Min, Max  string
	Errors                       []string
	New                          bool
}

type sectionRow struct {
	Key              string
	Code             string
	TitleVi, TitleEn string
	Rows             []questionRow
	Errors           []string
}

type editView struct {
	page
	S        surveyRow
	Sections []sectionRow
	Types    []string
	Errors   []string // the questionnaire's errors not tied to one question
}

var questionTypes = []string{string(survey.TypeLikert5), string(survey.TypeSingleChoice), string(survey.TypeMultipleChoice),
	string(survey.TypeYesNo), string(survey.TypeNumber), string(survey.TypeText), string(survey.TypeRating)}

func (w *Console) surveyEdit(c *fiber.Ctx) error {
	u, _ := userOf(c)
	sv, err := w.cfg.Surveys.Get(c.UserContext(), u, string([]byte(c.Params("id"))))
	if err != nil {
		return w.failErr(c, err)
	}
	v := w.editView(c, sv)
	for i, s := range sv.Questionnaire.Sections {
		sr := sectionRow{Key: fmt.Sprintf("s%d.", i), Code: s.Code, TitleVi: s.Title.Vi, TitleEn: s.Title.En}
		for j, q := range s.Questions {
			sr.Rows = append(sr.Rows, rowOf(fmt.Sprintf("s%d.q%d.", i, j), q))
		}
		sr.Rows = append(sr.Rows, questionRow{Key: fmt.Sprintf("s%d.q%d.", i, len(s.Questions)), Type: string(survey.TypeLikert5), New: true})
		v.Sections = append(v.Sections, sr)
	}
	return w.render(c, fiber.StatusOK, "surveys_edit", "", v)
}

func (w *Console) editView(c *fiber.Ctx, sv *survey.Survey) editView {
	lang := langOf(c)
	return editView{page: w.base(c, tr(lang, "surveys.edit")+" · "+sv.Title.In(lang), "surveys"), Types: questionTypes,
		S: surveyRow{ID: sv.ID, Title: sv.Title.In(lang), Kind: string(sv.Kind), Status: sv.Status, Period: sv.Period.Days(), Version: sv.Version, Published: sv.PublishedVersion}}
}

func rowOf(key string, q survey.Question) questionRow {
	r := questionRow{Key: key, Orig: q.Code, Code: q.Code, Type: string(q.Type), LabelVi: q.Label.Vi, LabelEn: q.Label.En,
		Required: q.Required, Relevant: q.Relevant}
	var lines []string
	for _, o := range q.Options {
		lines = append(lines, o.Value+" | "+o.Label.Vi+" | "+o.Label.En)
	}
	r.Options = strings.Join(lines, "\n")
	if q.Min != nil {
		r.Min = strconv.FormatFloat(*q.Min, 'f', -1, 64)
	}
	if q.Max != nil {
		r.Max = strconv.FormatFloat(*q.Max, 'f', -1, 64)
	}
	return r
}

// surveySave rebuilds the working questionnaire from the editor's form:
// each row's fields over the stored question it came from (which keeps
// what the form does not show: its element, PAPI scores), rows marked for
// removal dropped, a filled new row added. The survey service validates
// it; its errors are shown beside their questions, with the input kept.
func (w *Console) surveySave(c *fiber.Ctx) error {
	lang := langOf(c)
	u, _ := userOf(c)
	ctx := c.UserContext()
	sv, err := w.cfg.Surveys.Get(ctx, u, string([]byte(c.Params("id"))))
	if err != nil {
		return w.failErr(c, err)
	}
	stored := map[string]survey.Question{}
	for _, s := range sv.Questionnaire.Sections {
		for _, q := range s.Questions {
			stored[q.Code] = q
		}
	}
	q := sv.Questionnaire
	q.Sections = make([]survey.Section, len(sv.Questionnaire.Sections))
	var sections []sectionRow
	where := map[string]string{} // "sections[i].questions[j]." → the row's key
	var optErrs []apperr.FieldError
	for i, s := range sv.Questionnaire.Sections {
		key := fmt.Sprintf("s%d.", i)
		sec := survey.Section{Code: s.Code, Title: i18n.T(c.FormValue(key+"title_vi"), c.FormValue(key+"title_en"))}
		sr := sectionRow{Key: key, Code: s.Code, TitleVi: sec.Title.Vi, TitleEn: sec.Title.En}
		for j := 0; j <= len(s.Questions); j++ {
			rk := fmt.Sprintf("s%d.q%d.", i, j)
			if c.FormValue(rk+"type") == "" { // a row the form no longer shows
				continue
			}
			row := questionRow{Key: rk, Orig: c.FormValue(rk + "orig"), Code: strings.TrimSpace(c.FormValue(rk + "code")), Type: c.FormValue(rk + "type"),
				LabelVi: c.FormValue(rk + "label_vi"), LabelEn: c.FormValue(rk + "label_en"), Required: c.FormValue(rk+"required") != "",
				Relevant: strings.TrimSpace(c.FormValue(rk + "relevant")), Options: c.FormValue(rk + "options"),
				Min: strings.TrimSpace(c.FormValue(rk + "min")), Max: strings.TrimSpace(c.FormValue(rk + "max")), New: j == len(s.Questions)}
			if row.New && row.Code == "" && strings.TrimSpace(row.LabelVi) == "" {
				sr.Rows = append(sr.Rows, row)
				continue
			}
			if c.FormValue(rk+"delete") != "" {
				continue
			}
			qu := stored[row.Orig]
			if row.Orig == "" || row.New {
				qu = survey.Question{}
			}
			qu.Code, qu.Type, qu.Label, qu.Required, qu.Relevant = row.Code, survey.QuestionType(row.Type), i18n.T(row.LabelVi, row.LabelEn), row.Required, row.Relevant
			qu.Options, err = parseOptions(row.Options, qu.Options)
			if err != nil {
				optErrs = append(optErrs, apperr.FieldError{Field: fmt.Sprintf("sections[%d].questions[%d].options", i, len(sec.Questions)),
					Message: i18n.T("Mỗi dòng: giá trị | nhãn tiếng Việt | nhãn tiếng Anh", "one option a line: value | Vietnamese label | English label")})
			}
			qu.Min, qu.Max = parseBound(row.Min), parseBound(row.Max)
			where[fmt.Sprintf("sections[%d].questions[%d].", i, len(sec.Questions))] = rk
			sec.Questions = append(sec.Questions, qu)
			sr.Rows = append(sr.Rows, row)
		}
		where[fmt.Sprintf("sections[%d].", i)] = key
		q.Sections[i] = sec
		sections = append(sections, sr)
	}
	_, err = w.cfg.Surveys.Update(ctx, u, sv.ID, survey.UpdateInput{Questionnaire: &q})
	if err == nil && len(optErrs) > 0 {
		err = apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"))
	}
	if err == nil {
		return w.redirect(c, "/console/surveys/"+url.PathEscape(sv.ID), "surveys.saved")
	}
	if apperr.CodeOf(err) != apperr.EINVALID {
		return w.failErr(c, err)
	}
	v := w.editView(c, sv)
	var fields []apperr.FieldError
	if e, ok := err.(*apperr.Error); ok {
		fields = e.Fields
	}
	fields = append(fields, optErrs...)
	for _, f := range fields {
		name := strings.TrimPrefix(f.Field, "questionnaire.")
		msg := f.Message.In(lang)
		placed := false
		for si := range sections {
			for ri := range sections[si].Rows {
				r := &sections[si].Rows[ri]
				for prefix, key := range where {
					if key == r.Key && strings.HasPrefix(name, prefix) {
						r.Errors = append(r.Errors, fieldName(strings.TrimPrefix(name, prefix), lang)+": "+msg)
						placed = true
					}
				}
			}
		}
		if !placed {
			v.Errors = append(v.Errors, name+": "+msg)
		}
	}
	if len(fields) == 0 {
		v.Errors = append(v.Errors, messageOf(err, lang))
	}
	v.Sections = sections
	return w.render(c, fiber.StatusUnprocessableEntity, "surveys_edit", "", v)
}

var optionIndex = regexp.MustCompile(`^options\[\d+\]\.`)

// fieldName names a question's field in the editor's words.
func fieldName(f string, lang i18n.Lang) string {
	f = optionIndex.ReplaceAllString(f, "options.")
	if m, ok := messages["surveys.f."+strings.SplitN(f, ".", 2)[0]]; ok {
		return m.In(lang)
	}
	return f
}

// parseOptions reads the options textarea, one "value | vi | en" a line,
// keeping each value's PAPI score from before.
func parseOptions(text string, before []survey.Option) ([]survey.Option, error) {
	scores := map[string]*float64{}
	for _, o := range before {
		scores[o.Value] = o.Score
	}
	var out []survey.Option
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			return nil, fmt.Errorf("option line %q", line)
		}
		v := strings.TrimSpace(parts[0])
		out = append(out, survey.Option{Value: v, Label: i18n.T(strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])), Score: scores[v]})
	}
	return out, nil
}

func parseBound(s string) *float64 {
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil {
		nan := math.NaN()
		return &nan // refused by the questionnaire's validation as "must be a number"
	}
	return &f
}

// surveyPreview shows the working copy as a respondent would see it.
func (w *Console) surveyPreview(c *fiber.Ctx) error {
	lang := langOf(c)
	u, _ := userOf(c)
	sv, err := w.cfg.Surveys.Get(c.UserContext(), u, string([]byte(c.Params("id"))))
	if err != nil {
		return w.failErr(c, err)
	}
	p := w.publicBase(c, tr(lang, "surveys.preview")+" · "+sv.Title.In(lang))
	v := surveyView{publicPage: p, SurveyID: sv.ID, Heading: sv.Title.In(lang), Preview: true,
		AskedURL: "/console/surveys/" + url.PathEscape(sv.ID) + "/preview/asked",
		Sections: buildSections(sv.Questionnaire.Form(lang), sv.Questionnaire.SectionTitles(lang), nil, nil, nil)}
	if s, ok := sessionOf(c); ok {
		v.CSRF = s.CSRF // the preview's script sends it as the CSRF header
	}
	return w.render(c, fiber.StatusOK, "public_survey", "public", v)
}

// surveyPreviewAsked is the preview's live skip logic.
func (w *Console) surveyPreviewAsked(c *fiber.Ctx) error {
	u, _ := userOf(c)
	id := string([]byte(c.Params("id")))
	sv, err := w.cfg.Surveys.Get(c.UserContext(), u, id)
	if err != nil {
		return w.askedFail(c, err)
	}
	asked, err := w.cfg.Surveys.AskedDraft(c.UserContext(), u, id, rawAnswers(sv.Questionnaire.Form(langOf(c)), postedForm(c)))
	if err != nil {
		return w.askedFail(c, err)
	}
	return c.JSON(fiber.Map{"asked": asked})
}
