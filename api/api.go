// Package api is the HTTP face of the service: Fiber handlers that decode,
// call the domain and encode. It knows nothing about SQL or BSON.
package api

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/semaphore"

	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/identity"
	"camaug/internal/oidc"
	"camaug/survey"
)

// Config holds the app's dependencies.
type Config struct {
	Reference *feedback.ReferenceService
	Identity  *identity.Service
	Reports   *feedback.ReportService
	Surveys   *survey.Service
	// Devices registers the phones that get push notifications.
	Devices *identity.Devices
	// TrustedProxies are the addresses (IPs or CIDRs) of the reverse
	// proxies whose X-Forwarded-For is believed; from anyone else the
	// header is ignored and the client address is the connection's.
	TrustedProxies []string
	// Ready reports whether the store answers; /readyz returns 503 when it
	// returns an error.
	Ready func(ctx context.Context) error
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// Registry receives the HTTP metrics; nil makes a fresh one with the
	// Go and process collectors. The app does not serve it: /metrics
	// belongs on a listener of its own (cmd/camaug), not the public one.
	Registry *prometheus.Registry
	// BodyLimit caps the photo upload's body, the largest any route takes
	// (DefaultUploadBodyLimit when zero); JSONBodyLimit caps every other
	// route's, JSON and the console's forms (DefaultJSONBodyLimit). Bodies
	// other than the upload's are read into memory reserved from
	// BodyMemory bytes shared by all requests (DefaultBodyMemory); a
	// request that cannot reserve its body within a second gets 503.
	// See bodylimit.go.
	BodyLimit     int
	JSONBodyLimit int
	BodyMemory    int
	// ReadTimeout bounds the time from a request's first byte to the end
	// of its body (DefaultReadTimeout); UploadReadTimeout the photo
	// upload's (DefaultUploadReadTimeout).
	ReadTimeout       time.Duration
	UploadReadTimeout time.Duration
	// Limits caps the actions a script could repeat; zero fields take
	// the defaults.
	Limits Limits
	// Open311 configures GeoReport v2 under /open311/v2/.
	Open311 Open311Config
	// OIDC is the province's OpenID provider; nil when not configured
	// (POST /v1/auth/oidc/token then answers 404).
	OIDC *oidc.Provider
	// Clients are the machine clients (X-Api-Key); nil refuses every key.
	Clients *apiclient.Service
	// PublicCacheTTL is how long the public feed's and GeoJSON's answers
	// are kept and served again (publiccache.go); zero keeps none.
	PublicCacheTTL time.Duration
}

// Limits are per-window caps on actions, counted in the store so every
// instance shares them.
type Limits struct {
	// SupportsPerAccount caps "me too" supports per account in
	// SupportWindow: 30 an hour.
	SupportsPerAccount int
	SupportWindow      time.Duration
	// RegistrationsPerAddress caps registration attempts (successful or
	// not, a 409 included) per client address in AddressWindow, as
	// tightly as failed logins: 20 in 15 minutes. GuestsPerAddress caps
	// guest sign-ins the same way, looser because many phones share a
	// carrier's address: 100 in 15 minutes.
	RegistrationsPerAddress int
	GuestsPerAddress        int
	AddressWindow           time.Duration
}

func (l *Limits) defaults() {
	if l.RegistrationsPerAddress == 0 {
		l.RegistrationsPerAddress = 20
	}
	if l.GuestsPerAddress == 0 {
		l.GuestsPerAddress = 100
	}
	if l.AddressWindow == 0 {
		l.AddressWindow = 15 * time.Minute
	}
	if l.SupportsPerAccount == 0 {
		l.SupportsPerAccount = 30
	}
	if l.SupportWindow == 0 {
		l.SupportWindow = time.Hour
	}
}

// New builds the Fiber app with every route of the service.
func New(cfg Config) *fiber.App {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	cfg.Limits.defaults()
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultUploadBodyLimit
	}
	if cfg.JSONBodyLimit == 0 {
		cfg.JSONBodyLimit = DefaultJSONBodyLimit
	}
	if cfg.BodyMemory == 0 {
		cfg.BodyMemory = DefaultBodyMemory
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.UploadReadTimeout == 0 {
		cfg.UploadReadTimeout = DefaultUploadReadTimeout
	}
	routes := &routeTable{}
	app := fiber.New(fiber.Config{
		AppName:               "camaug",
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(cfg.Logger, routes),
		// Bodies are streamed and read by limitBodies (bodylimit.go);
		// BodyLimit here is only what fasthttp prefetches (at most 8 KiB)
		// and multipart bodies are never parsed before a handler asks.
		BodyLimit:                    cfg.JSONBodyLimit,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  cfg.ReadTimeout,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		// X-Forwarded-Proto and -Host are believed from trusted proxies
		// only. No ProxyHeader: Fiber's c.IP() would believe the left-most
		// X-Forwarded-For value, which the client writes; ClientAddr is
		// the client's address.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
	})
	app.Use(withRequestID)
	app.Use(noStore)
	app.Use(withClientAddr(parseProxies(cfg.TrustedProxies)))
	app.Use(observe(cfg.Logger, newMetrics(cfg.Registry), routes))
	pc := newPublicCache(cfg.PublicCacheTTL)
	if pc != nil {
		app.Use(pc.invalidateOnWrite) // every write on this instance, the console's too
	}
	bodies := bodyLimits{json: cfg.JSONBodyLimit, upload: cfg.BodyLimit, memory: semaphore.NewWeighted(int64(cfg.BodyMemory))}
	app.Use(limitBodies(bodies))
	app.Server().HeaderReceived = headerReceived(bodies, cfg.UploadReadTimeout)
	app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			cfg.Logger.Error("panic", "request_id", requestID(c), "panic", e)
		},
	}))
	app.Use(authenticate(cfg.Identity))
	app.Use(authenticateClient(cfg.Clients, cfg.Identity, cfg.Logger))
	app.Use(conditionalGET) // etag.go
	registerRoutes(app, routes, cfg, pc)
	return app
}
