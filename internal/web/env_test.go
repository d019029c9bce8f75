package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/sqlite"
	"camaug/internal/web"
	"camaug/survey"
)

// env is the real service (API and console) on a real listener over a real
// SQLite file.
type env struct {
	base    string
	store   testStore
	ids     *identity.Service
	reports *feedback.ReportService
	ref     *feedback.ReferenceService

	mu  sync.Mutex
	now time.Time // the services' clock; tests may move it
}

const staffPassword = "mat-khau-can-bo-2026"

// Accounts every test environment has.
const (
	adminEmail   = "admin@camau.gov.vn"
	coordEmail   = "dieuphoi@camau.gov.vn"
	officerEmail = "canbo@soxaydung.camau.gov.vn"
	otherEmail   = "canbo@capnuoc.camau.gov.vn"
	officerAg    = "so-xay-dung"
	otherAg      = "cap-nuoc-ca-mau"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvTrusting(t, []string{"127.0.0.1"})
}

// testStore is what the console tests need of either store.
type testStore interface {
	Reference() feedback.ReferenceStore
	Identity() identity.Store
	Reports() feedback.ReportStore
	Media() feedback.MediaStore
	Ratings() feedback.RatingStore
	Surveys() survey.Store
	Clients() apiclient.Store
	Ping(ctx context.Context) error
	Close() error
}

// newEnvTrusting starts the service believing X-Forwarded-* headers only
// from the given proxies (the tests connect from 127.0.0.1).
func newEnvTrusting(t *testing.T, proxies []string) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	return start(t, db, proxies)
}

// newMongoEnv is the same service on the MongoDB store (an embedded
// FerretDB, or MONGODB_TEST_URI).
func newMongoEnv(t *testing.T) *env {
	t.Helper()
	srv := mongotest.Start(t)
	db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	return start(t, db, []string{"127.0.0.1"})
}

func start(t *testing.T, db testStore, proxies []string) *env {
	t.Helper()
	return startWith(t, db, proxies, nil)
}

// startWith is start with a change to the identity service's configuration.
func startWith(t *testing.T, db testStore, proxies []string, tune func(*identity.Config), console ...func(*web.Config)) *env {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { db.Close() })
	e := &env{store: db, now: time.Now()}
	clock := func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	e.ref = feedback.NewReferenceService(db.Reference())
	if _, err := e.ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeyring(ctx, db.Identity(), []byte("test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	idc := identity.Config{Now: clock, PasswordCost: identity.ArgonCost{MemoryKiB: 1024, Time: 1}, // cheap under -race
		AgencyExists: func(ctx context.Context, code string) error {
			_, err := db.Reference().Agencies().Get(ctx, code)
			return err
		}}
	if tune != nil {
		tune(&idc)
	}
	e.ids = identity.NewService(db.Identity(), keys, idc)
	e.reports = feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), e.ref, clock)
	surveys := survey.NewService(db.Surveys(), db.Ratings(), e.ref, clock)
	clients := &apiclient.Service{Store: db.Clients(), Now: clock}
	app := api.New(api.Config{Reference: e.ref, Identity: e.ids, Reports: e.reports, Surveys: surveys, Ready: db.Ping,
		TrustedProxies: proxies, BodyLimit: 11 << 20, Clients: clients})
	wc := web.Config{Identity: e.ids, Reports: e.reports, Reference: e.ref, Surveys: surveys,
		TileURL: "http://127.0.0.1:9/{z}/{x}/{y}.png", PollInterval: time.Second, Now: clock, Clients: clients}
	for _, f := range console {
		f(&wc)
	}
	if _, err := web.Register(app, wc); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	e.base = "http://" + ln.Addr().String()

	// The staff accounts are stored directly with one precomputed hash:
	// argon2id under the race detector is the slowest part of these tests.
	hashOnce.Do(func() { staffHash = identity.HashPassword(staffPassword) })
	for _, u := range []identity.User{
		{Role: identity.RoleAdmin, Email: adminEmail, Name: "Quản trị viên"},
		{Role: identity.RoleCoordinator, Email: coordEmail, Name: "Điều phối viên"},
		{Role: identity.RoleOfficer, Email: officerEmail, Name: "Lê Văn Cường", AgencyCode: officerAg},
		{Role: identity.RoleOfficer, Email: otherEmail, Name: "Trần Thị Nga", AgencyCode: otherAg},
	} {
		u.ID, u.PasswordHash, u.Locale, u.CreatedAt, u.UpdatedAt = ids.New(), staffHash, i18n.VI, e.now, e.now
		if err := db.Identity().CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

var (
	hashOnce  sync.Once
	staffHash string
)

// advance moves the services' clock.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// call makes an API request with a bearer token and decodes the JSON answer.
func (e *env) call(t *testing.T, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

// token signs in through the API and returns an access token.
func (e *env) token(t *testing.T, login, password string) string {
	t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if st := e.call(t, "POST", "/v1/auth/login", "", map[string]string{"login": login, "password": password}, &out); st != 200 {
		t.Fatalf("login %s: status %d", login, st)
	}
	return out.AccessToken
}

var citizenN int

// citizen registers a new citizen and returns their access token.
func (e *env) citizen(t *testing.T) string {
	t.Helper()
	token, _ := e.citizenWithPhone(t)
	return token
}

// citizenWithPhone registers a new citizen and returns their access token
// and phone number.
func (e *env) citizenWithPhone(t *testing.T) (string, string) {
	t.Helper()
	citizenN++
	var out struct {
		AccessToken string `json:"access_token"`
	}
	phone := fmt.Sprintf("09123%05d", citizenN)
	if st := e.call(t, "POST", "/v1/auth/register", "", map[string]string{"phone": phone, "password": "mat-khau-dan-2026", "name": "Nguyễn Văn An"}, &out); st != 201 && st != 200 {
		t.Fatalf("register: status %d", st)
	}
	return out.AccessToken, phone
}

// report is what the tests read of an API report.
type report struct {
	ID           string `json:"id"`
	TrackingCode string `json:"tracking_code"`
	Status       string `json:"status"`
	Answer       string `json:"answer"`
	Version      int64  `json:"version"`
	Agency       struct {
		Code string `json:"code"`
	} `json:"agency"`
}

// submit files a report as the citizen: a broken pipe in An Xuyên, which the
// built-in routing sends to the water company unless category says else.
func (e *env) submit(t *testing.T, token, category, description string, extra map[string]any) report {
	t.Helper()
	body := map[string]any{"category_code": category, "description": description,
		"location": map[string]float64{"lat": 9.1769, "lng": 105.1524}}
	for k, v := range extra {
		body[k] = v
	}
	var r report
	if st := e.call(t, "POST", "/v1/reports", token, body, &r); st != 201 {
		t.Fatalf("submit: status %d", st)
	}
	return r
}

// dispatch sends a report to an agency as the coordinator, through the API.
func (e *env) dispatch(t *testing.T, id, agency string) {
	t.Helper()
	tok := e.token(t, coordEmail, staffPassword)
	if st := e.call(t, "POST", "/v1/reports/"+id+"/transitions", tok, map[string]any{"action": "dispatch", "to_agency_code": agency}, nil); st != 200 {
		t.Fatalf("dispatch: status %d", st)
	}
}

// browserless is a cookie-keeping HTTP client that does not follow
// redirects, for what the tests check below the browser.
type browserless struct {
	t      *testing.T
	e      *env
	client *http.Client
}

func (e *env) client(t *testing.T) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{t: t, e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browserless) do(method, path string, form url.Values, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.base+path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browserless) get(path string) (*http.Response, string) { return b.do("GET", path, nil, nil) }

// hidden returns the value of the first hidden input named name in page.
func hidden(page, name string) string {
	i := strings.Index(page, `name="`+name+`" value="`)
	if i < 0 {
		return ""
	}
	rest := page[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// signIn signs the client in through the sign-in form and returns the
// console page's CSRF token.
func (b *browserless) signIn(login, password string) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get("/console/login")
	res, body := b.do("POST", "/console/login", url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {login}, "password": {password}, "next": {"/console/"}}, nil)
	return res, body
}

// csrf returns the CSRF token of the signed-in client's pages.
func (b *browserless) csrf() string {
	b.t.Helper()
	_, page := b.get("/console/queue")
	tok := hidden(page, "_csrf")
	if tok == "" {
		b.t.Fatalf("no CSRF token on the queue page")
	}
	return tok
}

func jsonDecode(t *testing.T, res *http.Response, out any) {
	t.Helper()
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
