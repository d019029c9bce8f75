package api

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	apidocs "camaug/mobile-api-docs"
)

// docsCSP lets the /docs page run the vendored Swagger UI and nothing
// else: its own scripts and styles from this origin (the viewer sets some
// element styles, hence 'unsafe-inline' for styles only), the icons it
// draws as data: images, and requests to this origin (the document, and
// "Try it out"). No other host is reachable from the page.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func docsHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", docsCSP)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
}

// docsPage is the human docs page: Swagger UI over /openapi.yaml.
func docsPage(c *fiber.Ctx) error {
	page, err := fs.ReadFile(apidocs.Viewer, "index.html")
	if err != nil {
		return err
	}
	docsHeaders(c)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(page)
}

// docsFile serves the page's assets and the mobile guide. Vendored files
// carry their version in their name and are cached for a year; ours for
// five minutes.
func docsFile(c *fiber.Ctx) error {
	name := c.Params("file")
	var (
		body []byte
		err  error
	)
	switch {
	case name == "guide.md":
		body = apidocs.Guide
	case name == "index.html" || name == "README.md" || strings.ContainsAny(name, `/\`) || !fs.ValidPath(name):
		err = fs.ErrNotExist
	default:
		body, err = fs.ReadFile(apidocs.Viewer, name)
	}
	if err != nil {
		return apperr.NotFound(i18n.T("Không có tệp này trong trang tài liệu", "the docs page has no such file"))
	}
	docsHeaders(c)
	switch ext := path.Ext(name); ext {
	case ".md":
		c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
	case ".js", ".css":
		c.Set(fiber.HeaderContentType, mime.TypeByExtension(ext))
	default:
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	}
	if strings.HasPrefix(name, "swagger-ui-5.") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Send(body)
}
