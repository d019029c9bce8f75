package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/export"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/survey"
)

// textIn is a title sent as one string (both languages) or as {vi, en}.
type textIn struct{ i18n.Text }

func (t *textIn) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		t.Text = i18n.T(s, "")
		return nil
	}
	var v struct {
		Vi string `json:"vi"`
		En string `json:"en"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	t.Text = i18n.T(v.Vi, v.En)
	return nil
}

type surveyCreateIn struct {
	Template      string                `json:"template"`
	Kind          survey.Kind           `json:"kind"`
	Title         textIn                `json:"title"`
	Period        survey.DayPeriod      `json:"period"`
	Questionnaire *survey.Questionnaire `json:"questionnaire"`
}

type surveyUpdateIn struct {
	Title         *textIn               `json:"title"`
	Period        *survey.DayPeriod     `json:"period"`
	Questionnaire *survey.Questionnaire `json:"questionnaire"`
}

type surveySummaryOut struct {
	ID               string           `json:"id"`
	Kind             survey.Kind      `json:"kind"`
	Template         string           `json:"template"`
	Title            i18n.Text        `json:"title"`
	Period           survey.DayPeriod `json:"period"`
	Status           survey.Status    `json:"status"`
	Version          int              `json:"version"`
	PublishedVersion int              `json:"published_version"`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
}

type surveyOut struct {
	surveySummaryOut
	Questionnaire survey.Questionnaire `json:"questionnaire"`
}

func toSurveySummary(s *survey.Survey) surveySummaryOut {
	return surveySummaryOut{ID: s.ID, Kind: s.Kind, Template: s.Template, Title: s.Title, Period: s.Period.Days(), Status: s.Status,
		Version: s.Version, PublishedVersion: s.PublishedVersion, CreatedAt: local(s.CreatedAt), UpdatedAt: local(s.UpdatedAt)}
}

func toSurvey(s *survey.Survey) surveyOut {
	return surveyOut{surveySummaryOut: toSurveySummary(s), Questionnaire: s.Questionnaire}
}

func createSurvey(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in surveyCreateIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		s, err := svc.Create(c.UserContext(), principal(c), survey.CreateInput{Template: in.Template, Kind: in.Kind, Title: in.Title.Text,
			Period: in.Period, Questionnaire: in.Questionnaire})
		if err != nil {
			return err
		}
		c.Location("/v1/surveys/" + s.ID)
		return c.Status(fiber.StatusCreated).JSON(toSurvey(s))
	}
}

func listSurveys(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		before, limit := q.Cursor(identity.DecodeCursor), q.Int("limit", 50, 1, 200)
		if err := q.Err(); err != nil {
			return err
		}
		page, err := svc.List(c.UserContext(), principal(c), before, limit)
		if err != nil {
			return err
		}
		out := struct {
			Items      []surveySummaryOut `json:"items"`
			NextCursor *string            `json:"next_cursor"`
		}{Items: make([]surveySummaryOut, 0, len(page))}
		for i := range page {
			out.Items = append(out.Items, toSurveySummary(&page[i]))
		}
		if len(page) == limit {
			next := identity.EncodeCursor(page[len(page)-1].ID)
			out.NextCursor = &next
		}
		return c.JSON(out)
	}
}

func getSurvey(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := svc.Get(c.UserContext(), principal(c), c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(toSurvey(s))
	}
}

func updateSurvey(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in surveyUpdateIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		up := survey.UpdateInput{Period: in.Period, Questionnaire: in.Questionnaire}
		if in.Title != nil {
			up.Title = &in.Title.Text
		}
		s, err := svc.Update(c.UserContext(), principal(c), c.Params("id"), up)
		if err != nil {
			return err
		}
		return c.JSON(toSurvey(s))
	}
}

func surveyAction(fn func(*survey.Service) func(c *fiber.Ctx) (*survey.Survey, error), svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := fn(svc)(c)
		if err != nil {
			return err
		}
		return c.JSON(toSurvey(s))
	}
}

func publishSurvey(svc *survey.Service) func(c *fiber.Ctx) (*survey.Survey, error) {
	return func(c *fiber.Ctx) (*survey.Survey, error) {
		return svc.Publish(c.UserContext(), principal(c), c.Params("id"))
	}
}

func closeSurvey(svc *survey.Service) func(c *fiber.Ctx) (*survey.Survey, error) {
	return func(c *fiber.Ctx) (*survey.Survey, error) {
		return svc.Close(c.UserContext(), principal(c), c.Params("id"))
	}
}

type inviteIn struct {
	Count      int    `json:"count"`
	AgencyCode string `json:"agency_code"`
	AreaCode   string `json:"area_code"`
}

func inviteSurvey(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in inviteIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		tokens, err := svc.Invite(c.UserContext(), principal(c), c.Params("id"), in.Count, in.AgencyCode, in.AreaCode)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"tokens": tokens, "agency_code": in.AgencyCode, "area_code": in.AreaCode})
	}
}

func surveyForm(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, err := svc.Form(c.UserContext(), c.Params("id"), c.Query("token"), localized(c))
		if err != nil {
			return err
		}
		return c.JSON(f)
	}
}

type responseIn struct {
	Token   string                     `json:"token"`
	Answers map[string]json.RawMessage `json:"answers"`
}

func submitSurveyResponse(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in responseIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		if in.Answers == nil {
			return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"),
				apperr.FieldError{Field: "answers", Message: i18n.T("Bắt buộc", "is required")})
		}
		r, err := svc.Respond(c.UserContext(), principal(c), c.Params("id"), in.Token, in.Answers)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": r.ID, "survey_id": r.SurveyID, "version": r.Version})
	}
}

func indicatorQuery(c *fiber.Ctx, lang i18n.Lang) (survey.IndicatorQuery, error) {
	p := readQuery(c)
	q := survey.IndicatorQuery{SurveyID: p.String("survey_id", 200), From: p.String("from", 40), To: p.String("to", 40),
		GroupBy: p.String("group_by", 40), Compare: p.Bool("compare"), Lang: lang,
		Channels: p.Enum("channel", survey.ChannelsOfficial, survey.ChannelsApp, survey.ChannelsVerified, survey.ChannelsAll)}
	return q, p.Err()
}

// indicators serves one of the indicator readings from its query.
func indicators[T any](read func(context.Context, identity.Principal, survey.IndicatorQuery) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, err := indicatorQuery(c, localized(c))
		if err != nil {
			return err
		}
		out, err := read(c.UserContext(), principal(c), q)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

func attachment(c *fiber.Ctx, contentType, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(body)
}

// sipasExport is GET /v1/exports/sipas.csv and .xlsx: the indicator tables.
func sipasExport(svc *survey.Service, format string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		lang := localized(c)
		q, err := indicatorQuery(c, lang)
		if err != nil {
			return err
		}
		res, err := svc.SIPASIndicators(c.UserContext(), principal(c), q)
		if err != nil {
			return err
		}
		tables := survey.IndicatorTables(res, string(lang))
		name := "sipas-" + res.SurveyID + "-" + res.From + "-" + res.To
		var buf bytes.Buffer
		if format == "xlsx" {
			if err := export.WriteXLSX(&buf, tables...); err != nil {
				return apperr.Internal(err)
			}
			return attachment(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name+".xlsx", buf.Bytes())
		}
		// One CSV: the whole selection's rows, then every group's.
		t := tables[0]
		t.Rows = append(append([][]any{}, t.Rows...), tables[1].Rows...)
		if err := export.WriteCSV(&buf, t); err != nil {
			return apperr.Internal(err)
		}
		return attachment(c, "text/csv; charset=utf-8", name+".csv", buf.Bytes())
	}
}

// responsesExport is GET /v1/exports/responses.csv: anonymised raw answers.
func responsesExport(svc *survey.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, err := indicatorQuery(c, localized(c))
		if err != nil {
			return err
		}
		t, err := svc.RawResponses(c.UserContext(), principal(c), q)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, *t); err != nil {
			return apperr.Internal(err)
		}
		return attachment(c, "text/csv; charset=utf-8", "responses-"+strings.ToLower(q.SurveyID)+".csv", buf.Bytes())
	}
}
