package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/identity"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/sqlite"
	apidocs "camaug/mobile-api-docs"
	"camaug/survey"
)

// testStore is what the API tests need of either store.
type testStore interface {
	Reference() feedback.ReferenceStore
	Identity() identity.Store
	Reports() feedback.ReportStore
	Media() feedback.MediaStore
	Ratings() feedback.RatingStore
	Surveys() survey.Store
	Clients() apiclient.Store
	Devices() identity.DeviceStore
	Ping(ctx context.Context) error
	Close() error
}

type testEnv struct {
	app     *fiber.App
	store   testStore
	mongo   *mongotest.Server // nil on SQLite
	ids     *identity.Service
	reports *feedback.ReportService
	surveys *survey.Service
	now     *time.Time // the identity service's clock; tests may move it
	clients *apiclient.Service
}

// stores runs fn once per store kind, each on a fresh, seeded store.
func stores(t *testing.T, fn func(t *testing.T, env *testEnv)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newEnv(t, "sqlite")) })
	t.Run("mongo", func(t *testing.T) { fn(t, newEnv(t, "mongo")) })
}

// newEnv builds the app on a fresh, seeded store of kind; opts may change
// its configuration before it is built.
func newEnv(t *testing.T, kind string, opts ...func(*api.Config)) *testEnv {
	t.Helper()
	ctx := context.Background()
	env := &testEnv{}
	switch kind {
	case "sqlite":
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
		if err != nil {
			t.Fatal(err)
		}
		env.store = db
	case "mongo":
		env.mongo = mongotest.Start(t)
		db, err := mongo.Open(ctx, env.mongo.URI, mongo.Options{Database: env.mongo.Database})
		if err != nil {
			t.Fatal(err)
		}
		env.store = db
	}
	t.Cleanup(func() { env.store.Close() })
	ref := feedback.NewReferenceService(env.store.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeyring(ctx, env.store.Identity(), []byte("test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	env.now = &now
	env.ids = identity.NewService(env.store.Identity(), keys, identity.Config{
		MaxFailuresPerAddress: 20,          // small, so the tests reach it
		HashWait:              time.Minute, // tests that hash in parallel queue rather than meet 503 (TestPasswordHashingBudget does)
		HashConcurrency:       4,           // and as many run at once as before the budget
		// argon2id at 1 MiB, 1 pass: the production cost (19 MiB, 2) takes
		// seconds per hash under -race; TestProductionPasswordCost checks it.
		PasswordCost: identity.ArgonCost{MemoryKiB: 1024, Time: 1},
		Now:          func() time.Time { return *env.now },
		AgencyExists: func(ctx context.Context, code string) error {
			_, err := env.store.Reference().Agencies().Get(ctx, code)
			return err
		},
	})
	env.reports = feedback.NewReportService(env.store.Reports(), env.store.Media(), env.store.Ratings(), ref, func() time.Time { return *env.now })
	env.surveys = survey.NewService(env.store.Surveys(), env.store.Ratings(), ref, func() time.Time { return *env.now })
	env.clients = &apiclient.Service{Store: env.store.Clients(), Now: func() time.Time { return *env.now }}
	cfg := api.Config{Clients: env.clients, Reference: ref, Identity: env.ids, Reports: env.reports, Surveys: env.surveys, Devices: &identity.Devices{Store: env.store.Devices(), Now: func() time.Time { return *env.now }},
		Ready: env.store.Ping, TrustedProxies: []string{"10.0.0.1"}, BodyLimit: 11 << 20,
		Open311: api.Open311Config{APIKeys: []string{testOpen311Key}}}
	for _, o := range opts {
		o(&cfg)
	}
	env.app = api.New(cfg)
	return env
}

var (
	contractOnce sync.Once
	contract     validator.Validator
	contractErr  []error
)

func contractValidator(t *testing.T) validator.Validator {
	t.Helper()
	contractOnce.Do(func() {
		doc, err := libopenapi.NewDocument(apidocs.OpenAPI)
		if err != nil {
			contractErr = []error{err}
			return
		}
		contract, contractErr = validator.NewValidator(doc)
	})
	if len(contractErr) > 0 {
		t.Fatalf("the OpenAPI document does not load: %v", contractErr)
	}
	return contract
}

type response struct {
	*http.Response
	body []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// do sends req through the real app and checks the response against the
// OpenAPI document: every documented route's responses must match it.
func do(t *testing.T, app *fiber.App, req *http.Request) response {
	t.Helper()
	r := send(t, app, req)
	check := r.Response
	check.Body = io.NopCloser(strings.NewReader(string(r.body)))
	if ok, errs := contractValidator(t).ValidateHttpResponse(req, check); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d breaks the OpenAPI document: %s (%s)", req.Method, req.URL, r.StatusCode, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s: %s", se.FieldPath, se.Reason)
			}
		}
	}
	return r
}

// send sends req without the contract check, for paths and methods the
// document rightly does not know (unknown routes).
func send(t *testing.T, app *fiber.App, req *http.Request) response {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return response{resp, body}
}

func get(target string, header ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks r is a problem+json with the status and returns it.
func wantProblem(t *testing.T, r response, status int) problem {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("got status %d, want %d; body %s", r.StatusCode, status, r.body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("got Content-Type %q, want application/problem+json", ct)
	}
	var p problem
	r.json(t, &p)
	if p.Status != status || p.Title == "" || !strings.HasPrefix(p.Type, api.ProblemTypePrefix) {
		t.Fatalf("malformed problem: %s", r.body)
	}
	if p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-ID") {
		t.Fatalf("problem request_id %q, header %q: want the same, non-empty", p.RequestID, r.Header.Get("X-Request-ID"))
	}
	return p
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
