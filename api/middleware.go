package api

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"camaug/internal/i18n"
)

const (
	headerRequestID = "X-Request-ID"
	localRequestID  = "request_id"
)

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// withRequestID takes the caller's X-Request-ID when it is short and plain
// (so a proxy's ID follows the request through), makes one otherwise, and
// echoes it on the response.
func withRequestID(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !safeRequestID.MatchString(id) {
		id = newRequestID()
	} else {
		id = string([]byte(id)) // fasthttp reuses the header buffer
	}
	c.Locals(localRequestID, id)
	c.Set(headerRequestID, id)
	return c.Next()
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// noStore marks every response Cache-Control: no-store unless its handler
// says otherwise: tokens, accounts, reports read by their reporter or staff,
// exports and errors stay out of browser and proxy caches. Handlers whose
// answer may be shared (JWKS, published figures, media, console assets) set
// their own Cache-Control, which replaces this one.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// langOf is the caller's language from Accept-Language.
func langOf(c *fiber.Ctx) i18n.Lang { return i18n.Negotiate(c.Get(fiber.HeaderAcceptLanguage)) }

// metrics are the Prometheus series the service exports about HTTP.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "camaug_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "camaug_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe logs every request and records its metrics. Errors from the rest
// of the chain are written here, through the app's error handler, so the
// log line and the metrics carry the status the client really got.
func observe(log *slog.Logger, m *metrics, routes *routeTable) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		// A request no route matched reports a middleware's route (or,
		// when fasthttp refused it early, its raw path): label it
		// "unmatched" so random paths cannot blow up the series count.
		route := "unmatched"
		if r := c.Route(); routes.has(r.Method, r.Path) {
			route = r.Path
		}
		method := string([]byte(c.Method()))
		elapsed := time.Since(start)
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
		log.Info("request", "request_id", requestID(c), "method", method, "path", c.Path(), "route", route,
			"status", status, "duration_ms", float64(elapsed.Microseconds())/1000)
		return nil
	}
}
