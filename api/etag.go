package api

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// etagRoutes are the reads that carry an ETag and answer If-None-Match
// with 304 Not Modified: reports, lists of reports and reference data, so
// an app on a slow connection revalidates its copy instead of downloading
// it again. Personal answers (my reports, a report read by its reporter)
// keep Cache-Control: no-store: the app keeps its own copy and revalidates
// it; no shared cache does.
var etagRoutes = []string{
	"/v1/categories", "/v1/agencies", "/v1/areas",
	"/v1/reports", "/v1/reports.geojson", "/v1/reports/nearby", "/v1/reports/:id", "/v1/reports/:id/history",
	"/v1/me/reports", "/v1/agency/reports",
}

// conditionalGET gives the answers of etagRoutes a strong ETag and turns a
// GET or HEAD whose If-None-Match names it into 304 Not Modified with no
// body. The tag is a hash of the body the handler wrote, so it changes with
// anything the caller would see change (a transition, a support, a renamed
// category, the language asked for) and with nothing else; hashing a page
// of JSON costs microseconds next to reading it from the store.
func conditionalGET(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return c.Next()
	}
	if err := c.Next(); err != nil {
		return err
	}
	resp := c.Response()
	if resp.StatusCode() != fiber.StatusOK || resp.IsBodyStream() || !etagged(c.Path()) {
		return nil
	}
	sum := sha256.Sum256(resp.Body())
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	c.Set(fiber.HeaderETag, tag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && etagMatches(inm, tag) {
		resp.ResetBody()
		resp.Header.Del(fiber.HeaderContentType)
		resp.Header.Del(fiber.HeaderContentLength)
		c.Status(fiber.StatusNotModified)
	}
	return nil
}

func etagged(path string) bool {
	for _, p := range etagRoutes {
		if matchPattern(p, path) {
			return true
		}
	}
	return false
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2):
// "*" or any listed tag equal to tag once a W/ prefix is set aside.
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}
