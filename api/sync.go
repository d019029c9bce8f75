package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
)

// myChanges is GET /v1/me/reports?updated_since=: the caller's reports
// changed at or after since, oldest change first, for an app that syncs
// its copy. q may already hold a bad updated_since (since nil): it is
// reported with every other bad parameter.
func myChanges(c *fiber.Ctx, svc *feedback.ReportService, ref *feedback.ReferenceService, q *queryParams, since *time.Time) error {
	cursor, limit := q.String("cursor", 1000), q.Int("limit", 20, 1, 100)
	if err := q.Err(); err != nil {
		return err
	}
	list, next, err := svc.MyChanges(c.UserContext(), principal(c), *since, cursor, limit)
	if err != nil {
		return err
	}
	items, err := renderReports(c, svc, ref, list, feedback.ViewReporter)
	if err != nil {
		return err
	}
	out := reportPage{Items: items}
	if next != "" {
		out.NextCursor = &next
	}
	return c.JSON(out)
}
