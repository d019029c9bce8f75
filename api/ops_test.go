package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
	apidocs "camaug/mobile-api-docs"
)

func TestHealthz(t *testing.T) {
	env := newEnv(t, "sqlite")
	r := do(t, env.app, get("/healthz"))
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `"ok"`) {
		t.Fatalf("got %d %s, want 200 ok", r.StatusCode, r.body)
	}
}

func TestReadyz(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		if r := do(t, env.app, get("/readyz")); r.StatusCode != http.StatusOK {
			t.Fatalf("store up: got %d %s, want 200", r.StatusCode, r.body)
		}
		// Take the store away: closed database file, or stopped server.
		if env.mongo != nil {
			env.mongo.Stop()
		} else {
			env.store.Close()
		}
		r := do(t, env.app, get("/readyz"))
		wantProblem(t, r, http.StatusServiceUnavailable)
		if r.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		// The process itself is still alive.
		if r := do(t, env.app, get("/healthz")); r.StatusCode != http.StatusOK {
			t.Fatalf("healthz with the store down: got %d, want 200", r.StatusCode)
		}
	})
}

func TestUnknownRoute(t *testing.T) {
	env := newEnv(t, "sqlite")
	p := wantProblem(t, send(t, env.app, get("/v1/khong-co", "Accept-Language", "en")), http.StatusNotFound)
	if p.Instance != "/v1/khong-co" || p.Detail == "" {
		t.Errorf("got %+v, want the path as instance and a detail", p)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	env := newEnv(t, "sqlite")
	r := send(t, env.app, httptest.NewRequest(http.MethodDelete, "/v1/categories", nil))
	wantProblem(t, r, http.StatusMethodNotAllowed)
	if got := r.Header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow %q, want GET, HEAD", got)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	env := newEnv(t, "sqlite")
	env.app.Get("/v1/boom", func(c *fiber.Ctx) error { panic("secret internal detail: /etc/shadow") })
	r := send(t, env.app, get("/v1/boom"))
	wantProblem(t, r, http.StatusInternalServerError)
	if bytes.Contains(r.body, []byte("secret")) || bytes.Contains(r.body, []byte("shadow")) {
		t.Fatalf("the panic's text reached the client: %s", r.body)
	}
	// The app keeps serving.
	if r := do(t, env.app, get("/healthz")); r.StatusCode != http.StatusOK {
		t.Fatalf("after a panic: got %d, want 200", r.StatusCode)
	}
}

func TestInternalErrorHidesCause(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeyring(context.Background(), db.Identity(), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	app := api.New(api.Config{Reference: feedback.NewReferenceService(db.Reference()), Ready: db.Ping,
		Identity: identity.NewService(db.Identity(), keys, identity.Config{})})
	db.Close() // every query now fails inside the store
	r := do(t, app, get("/v1/categories"))
	p := wantProblem(t, r, http.StatusInternalServerError)
	if strings.Contains(string(r.body), "sql") || p.Detail != "" {
		t.Fatalf("internal error text leaked: %s", r.body)
	}
}

func TestRequestID(t *testing.T) {
	env := newEnv(t, "sqlite")
	if got := do(t, env.app, get("/healthz", "X-Request-ID", "lb-1234.abc")).Header.Get("X-Request-ID"); got != "lb-1234.abc" {
		t.Errorf("a plain incoming ID: got %q, want it echoed", got)
	}
	got := do(t, env.app, get("/healthz", "X-Request-ID", "<script>alert(1)</script>")).Header.Get("X-Request-ID")
	if got == "" || strings.ContainsAny(got, "<>()") {
		t.Errorf("an unsafe incoming ID: got %q, want a fresh one", got)
	}
	a := do(t, env.app, get("/healthz")).Header.Get("X-Request-ID")
	b := do(t, env.app, get("/healthz")).Header.Get("X-Request-ID")
	if a == "" || a == b {
		t.Errorf("generated IDs %q and %q: want distinct, non-empty", a, b)
	}
}

func TestMetrics(t *testing.T) {
	env := newEnv(t, "sqlite")
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector())
	app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports, Surveys: env.surveys, Ready: env.store.Ping, Registry: reg})
	do(t, app, get("/v1/categories"))
	do(t, app, get("/v1/categories"))
	send(t, app, get("/v1/random-path-1"))
	send(t, app, get("/v1/random-path-2"))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`camaug_http_requests_total{method="GET",route="/v1/categories",status="200"} 2`,
		`camaug_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`camaug_http_request_duration_seconds_count{method="GET",route="/v1/categories"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "random-path") {
		t.Error("unmatched paths leaked into metric labels")
	}
	// The app itself does not serve the metrics (the program does, on a
	// listener of its own).
	if r := send(t, app, get("/metrics")); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the API: got %d, want 404", r.StatusCode)
	}
}

func TestOpenAPIServed(t *testing.T) {
	env := newEnv(t, "sqlite")
	r := do(t, env.app, get("/openapi.yaml"))
	if r.StatusCode != http.StatusOK || !bytes.Equal(r.body, apidocs.OpenAPI) {
		t.Fatalf("got %d and %d bytes, want 200 and the document", r.StatusCode, len(r.body))
	}
}

// TestOpenAPICoversEveryRoute fails when a route registered in Fiber is
// missing from the document, or the document lists an operation the app
// does not serve.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	env := newEnv(t, "sqlite")
	doc, err := libopenapi.NewDocument(apidocs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	model, errs := doc.BuildV3Model()
	if errs != nil {
		t.Fatalf("building the document's model: %v", errs)
	}
	documented := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	served := map[string]bool{}
	for _, r := range env.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == "USE" || r.Path == "/" {
			continue
		}
		key := r.Method + " " + param.ReplaceAllString(r.Path, "{$1}")
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is served but missing from mobile-api-docs/openapi.yaml", key)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("the document lists %s, which the app does not serve", key)
		}
	}
	if len(served) == 0 {
		t.Fatal(fmt.Sprint("no routes found"))
	}
}

// TestHeadOnEveryGet: HEAD answers wherever GET does, with GET's status
// and headers but no body, as the Allow header promises.
func TestHeadOnEveryGet(t *testing.T) {
	env := newEnv(t, "sqlite")
	param := regexp.MustCompile(`:[A-Za-z0-9_]+`)
	n := 0
	for _, r := range env.app.GetRoutes(true) {
		if r.Method != fiber.MethodGet || r.Path == "/" {
			continue
		}
		path := param.ReplaceAllString(r.Path, "x")
		g := send(t, env.app, httptest.NewRequest(http.MethodGet, path, nil))
		h := send(t, env.app, httptest.NewRequest(http.MethodHead, path, nil))
		if h.StatusCode != g.StatusCode || len(h.body) != 0 || h.Header.Get("Content-Type") != g.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: got %d, %d bytes, %q; want GET's %d, no body, %q", path, h.StatusCode, len(h.body),
				h.Header.Get("Content-Type"), g.StatusCode, g.Header.Get("Content-Type"))
		}
		n++
	}
	if n < 20 {
		t.Fatalf("checked %d GET routes, want every one", n)
	}
}
