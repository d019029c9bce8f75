package web

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/export"
	"camaug/internal/i18n"
)

// aExport is a dashboard table as a spreadsheet table: the same rows
// and headers as the page, figures unrounded, a withheld figure written as
// the page's "too few answers" so the file never holds what the page hides.
// A survey table ends with the responses it counts, on every row.
func aExport(t *aTable, lang i18n.Lang) export.Table {
	out := export.Table{Name: t.Title, Columns: make([]string, len(t.Cols))}
	for i, c := range t.Cols {
		out.Columns[i] = c.Label
	}
	for _, r := range t.Rows {
		row := make([]any, len(r))
		for i, c := range r {
			switch kind := t.Cols[i].Kind; {
			case c.Hidden:
				row[i] = tr(lang, "an.toofew")
			case kind == "text":
				row[i] = c.Text
			case kind == "int":
				row[i] = c.Int
			case kind == "rank":
				if c.Int > 0 {
					row[i] = c.Int
				}
			default:
				row[i] = c.Num
			}
		}
		if t.Channel != "" {
			row = append(row, t.Channel)
		}
		out.Rows = append(out.Rows, row)
	}
	if t.Channel != "" {
		out.Columns = append(out.Columns, tr(lang, "an.col.channel"))
	}
	return out
}

// analyticsDownload is GET /console/analytics/download/{table}.csv or
// .xlsx with the page's filters: one table as CSV or XLSX, or every table
// of the page as one workbook ("all.xlsx").
func (w *Console) analyticsDownload(c *fiber.Ctx) error {
	name := c.Params("file")
	id, format, ok := strings.Cut(name, ".")
	if !ok || (format != "csv" && format != "xlsx") || (id == "all" && format != "xlsx") {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	p, err := w.analytics(c)
	if err != nil {
		return w.failErr(c, err)
	}
	if p.FilterErr != "" {
		return w.failErr(c, apperr.Invalid(i18n.T(p.FilterErr, p.FilterErr)))
	}
	var tables []export.Table
	for _, t := range p.tables() {
		if (id == "all" || t.ID == id) && t.Error == "" {
			tables = append(tables, aExport(t, p.Lang))
		}
	}
	if len(tables) == 0 {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	file := "camaug-" + id + "-" + p.From + "-" + p.To + "." + format
	var buf bytes.Buffer
	ct := "text/csv; charset=utf-8"
	if format == "csv" {
		err = export.WriteCSV(&buf, tables[0])
	} else {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = export.WriteXLSX(&buf, tables...)
	}
	if err != nil {
		return w.failErr(c, apperr.Internal(err))
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+file+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// analyticsAreas is GET /console/analytics/areas.geojson: the loaded
// boundaries of the areas below the province, for the choropleth. It holds
// no figures: the map colours each area from the page's own areas table.
func (w *Console) analyticsAreas(c *fiber.Ctx) error {
	ref, err := w.cfg.Reference.Snapshot(c.UserContext())
	if err != nil {
		return w.failErr(c, err)
	}
	lang := langOf(c)
	type feature struct {
		Type       string            `json:"type"`
		Geometry   json.RawMessage   `json:"geometry"`
		Properties map[string]string `json:"properties"`
	}
	out := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, a := range ref.Areas {
		if a.Level == feedback.LevelProvince || len(a.Boundary) == 0 {
			continue
		}
		out.Features = append(out.Features, feature{Type: "Feature", Geometry: a.Boundary,
			Properties: map[string]string{"code": a.Code, "name": a.Name.In(lang)}})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}
