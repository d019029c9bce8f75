package api

import (
	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
)

// handlingFigures is GET /v1/indicators/feedback: the public handling
// figures, aggregates only.
func handlingFigures(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		lang := localized(c)
		out, err := svc.HandlingFigures(c.UserContext(), feedback.FiguresQuery{From: c.Query("from"), To: c.Query("to"),
			GroupBy: c.Query("group_by"), Lang: lang})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
		return c.JSON(out)
	}
}

// reportSatisfaction is GET /v1/indicators/report-satisfaction: the
// field-report satisfaction indicator, for analysts, coordinators and admins.
func reportSatisfaction(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		in := feedback.FiguresQuery{From: q.String("from", 40), To: q.String("to", 40), GroupBy: q.String("group_by", 40), Lang: localized(c)}
		if err := q.Err(); err != nil {
			return err
		}
		out, err := svc.ReportSatisfaction(c.UserContext(), principal(c), in)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}
