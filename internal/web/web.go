// Package web is the staff console: server-rendered pages under /console/
// for officers, coordinators, agency admins and admins. Its handlers decode
// forms, call the same domain services as the API and render one view model
// per page; templates only display. It knows neither SQL nor BSON.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/identity"
	"camaug/internal/oidc"
	"camaug/survey"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// DefaultTileURL is the map tile template used when CAMAUG_TILE_URL is unset.
const DefaultTileURL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

// Config holds the console's dependencies.
type Config struct {
	Identity  *identity.Service
	Reports   *feedback.ReportService
	Reference *feedback.ReferenceService
	Surveys   *survey.Service
	// PublicLimit caps track-page lookups per client address in
	// PublicWindow (100 in 15 minutes when zero), as the API caps guests.
	PublicLimit  int
	PublicWindow time.Duration
	// TileURL is the map tile template ({z}/{x}/{y}); the page still shows
	// the point and its coordinates when tiles cannot load.
	TileURL string
	// PollInterval is how often an open queue asks for new reports (15 s
	// when zero). Polling reads the store, so it works with any number of
	// instances behind a load balancer.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Clients are the API clients an admin manages on /console/clients
	// (clients.go); nil hides the page.
	Clients *apiclient.Service
	// OIDC, when configured, offers sign-in with the province's shared
	// account (oidc.go); nil leaves only the console's own accounts.
	OIDC *oidc.Provider
	// Now is the clock the dashboard's default months count from
	// (time.Now when nil).
	Now func() time.Time
}

// Console is the mounted console.
type Console struct {
	cfg     Config
	pages   map[string]*template.Template
	assets  map[string]string // file name → content-hashed URL
	csp     string
	tileURL string
}

// Register mounts the console's routes on app. Call it before the API's
// catch-all routes are added.
func Register(app *fiber.App, cfg Config) (*Console, error) {
	if cfg.TileURL == "" {
		cfg.TileURL = DefaultTileURL
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PublicLimit == 0 {
		cfg.PublicLimit = 100
	}
	if cfg.PublicWindow == 0 {
		cfg.PublicWindow = 15 * time.Minute
	}
	w := &Console{cfg: cfg, tileURL: cfg.TileURL}
	if err := w.loadAssets(); err != nil {
		return nil, err
	}
	if err := w.parseTemplates(); err != nil {
		return nil, err
	}
	w.csp = contentSecurityPolicy(cfg.TileURL)
	w.routes(app)
	return w, nil
}

// contentSecurityPolicy allows scripts and styles only from this origin
// (no inline script or style), images also from the tile server, and no
// framing.
func contentSecurityPolicy(tileURL string) string {
	img := "'self' data: blob:"
	if u, err := url.Parse(strings.NewReplacer("{s}", "a", "{z}", "0", "{x}", "0", "{y}", "0").Replace(tileURL)); err == nil && u.Host != "" {
		host := u.Host
		if strings.Contains(tileURL, "{s}.") { // subdomain-sharded tile servers
			host = "*." + strings.SplitN(u.Host, ".", 2)[1]
		}
		img += " " + u.Scheme + "://" + host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// loadAssets fingerprints every static file so pages link to URLs that
// change with the content and can be cached for a year.
func (w *Console) loadAssets() error {
	w.assets = map[string]string{}
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		w.assets[name] = "/console/static/" + hex.EncodeToString(sum[:])[:12] + "/" + name
		return nil
	})
}

// serveStatic serves /console/static/{hash}/{name}; the hash only busts
// caches, so any value serves the current file.
func serveStatic(c *fiber.Ctx) error {
	rest := c.Params("*")
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return fiber.ErrNotFound
	}
	name := path.Clean("/" + rest[i+1:])
	b, err := staticFS.ReadFile("static" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(b)
}

// parseTemplates parses the layout and partials once with each page.
func (w *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"tr":     tr,
		"asset":  func(name string) string { return w.assets[name] },
		"when":   formatTime,
		"date":   formatDate,
		"dur":    formatDuration,
		"status": statusLabel,
		"action": actionLabel,
		"role":   roleLabel,
		"eq":     func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
		"add":    func(a, b int) int { return a + b },
		"contains": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
	}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/public_layout.html")
	if err != nil {
		return err
	}
	entries, err := templateFS.ReadDir("templates")
	if err != nil {
		return err
	}
	w.pages = map[string]*template.Template{}
	for _, e := range entries {
		name := e.Name()
		if name == "layout.html" || name == "partials.html" || name == "public_layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name)
		if err != nil {
			return err
		}
		w.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return nil
}

// render writes page's template (or one of its blocks, for htmx fragments)
// with the view model. Pages are personal: never cached.
func (w *Console) render(c *fiber.Ctx, status int, page, block string, data any) error {
	t, ok := w.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	if block == "" {
		block = "layout"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}
