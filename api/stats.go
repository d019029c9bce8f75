package api

import (
	"bytes"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/export"
)

// statsReports is GET /v1/stats/reports: the handling statistics for the
// province's integration platform, per day or month and group, paged by
// periods; JSON, or CSV with format=csv. Aggregates only: no personal data.
func statsReports(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		in := feedback.StatsQuery{From: q.String("from", 40), To: q.String("to", 40), Period: q.Enum("period", "day", "month"),
			GroupBy: q.Enum("group_by", "agency", "category", "area"), Cursor: q.String("cursor", 100), Limit: q.Int("limit", 31, 1, 92),
			Lang: localized(c)}
		format := q.Enum("format", "json", "csv")
		if err := q.Err(); err != nil {
			return err
		}
		page, err := svc.Stats(c.UserContext(), in)
		if err != nil {
			return err
		}
		if page.NextCursor != nil {
			c.Set("X-Next-Cursor", *page.NextCursor)
		}
		if format != "csv" {
			return c.JSON(page)
		}
		t := export.Table{Name: "stats", Columns: []string{"period", "group_key", "group_label", "suppressed", "received", "dispatched",
			"dispatched_on_time", "dispatch_overdue", "responded", "responded_on_time", "response_overdue", "resolved",
			"median_dispatch_hours", "median_response_hours", "median_resolution_hours"}}
		opt := func(v *int64) any {
			if v == nil {
				return nil
			}
			return *v
		}
		for _, r := range page.Items {
			t.Rows = append(t.Rows, []any{r.Period, r.GroupKey, r.GroupLabel, r.Suppressed, r.Received, r.Dispatched,
				opt(r.DispatchedOnTime), opt(r.DispatchOverdue), r.Responded, opt(r.RespondedOnTime), opt(r.ResponseOverdue), r.Resolved,
				r.MedianDispatchHours, r.MedianResponseHours, r.MedianResolutionHours})
		}
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, t); err != nil {
			return apperr.Internal(err)
		}
		return attachment(c, "text/csv; charset=utf-8", "stats-reports-"+page.From+"-"+page.To+".csv", buf.Bytes())
	}
}

// statsChanges is GET /v1/stats/reports/changes: the published reports
// changed since a time or a cursor, oldest change first, for the
// integration platform's incremental sync; no personal data.
func statsChanges(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		since, cursor, limit := q.Time("since"), q.String("cursor", 300), q.Int("limit", 100, 1, 500)
		if err := q.Err(); err != nil {
			return err
		}
		var from time.Time
		if since != nil {
			from = *since
		}
		page, err := svc.StatsChanges(c.UserContext(), from, cursor, limit)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}
