package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/store/mongo/mongotest"
)

// TestMain lets a test start this very program as a child process (for
// kill -9 tests): the child runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("CAMAUG_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// logBuffer keeps every log line a server wrote.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	if b != nil {
		b.mu.Lock()
		b.lines = append(b.lines, line)
		b.mu.Unlock()
	}
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// waitAddr reads log lines until the server says where it listens; every
// line also goes to keep, when given.
func waitAddr(t *testing.T, logs io.Reader, keep ...*logBuffer) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		sent := false
		for sc.Scan() {
			for _, k := range keep {
				k.add(sc.Text())
			}
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			t.Fatal("the server exited without listening")
		}
		return addr
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start listening within 30s")
	}
	return ""
}

// startServer runs run() in-process; the returned stop cancels it (as
// SIGTERM would) and returns run's result. Unless getenv says otherwise,
// the metrics listener takes a free port, so servers never collide on the
// default one.
func startServer(t *testing.T, getenv func(string) string, keep ...*logBuffer) (base string, stop func() error) {
	t.Helper()
	if getenv("CAMAUG_METRICS_ADDR") == "" {
		given := getenv
		getenv = func(k string) string {
			if k == "CAMAUG_METRICS_ADDR" {
				return "127.0.0.1:0"
			}
			return given(k)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"camaug"}, getenv, io.Discard, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	addr := waitAddr(t, pr, keep...)
	stopped := false
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr, stop
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

type items struct {
	Items []struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"items"`
}

func codes(it items) []string {
	var out []string
	for _, i := range it.Items {
		out = append(out, i.Code)
	}
	return out
}

func TestRun_ServesDefaultDataOnSQLite(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir))
	var cats items
	if code := getJSON(t, base+"/v1/categories", &cats); code != 200 || len(cats.Items) != 13 {
		t.Fatalf("got %d with %d categories, want 200 with 13", code, len(cats.Items))
	}
	if code := getJSON(t, base+"/readyz", nil); code != 200 {
		t.Fatalf("readyz: got %d, want 200", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "camaug.db")); err != nil {
		t.Fatalf("the embedded database is not in the data folder: %v", err)
	}
	// Stopped means stopped: the port no longer answers.
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the server still answers after shutdown")
	}
}

// TestRun_MetricsOffThePublicListener: /metrics is 404 on the public
// address and served on CAMAUG_METRICS_ADDR; "off" serves it nowhere.
func TestRun_MetricsOffThePublicListener(t *testing.T) {
	status := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	metricsURL := regexp.MustCompile(`msg=listening .* metrics=(\S+)`)

	logs := &logBuffer{}
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(),
		"CAMAUG_METRICS_ADDR", "127.0.0.1:0"), logs)
	m := metricsURL.FindStringSubmatch(logs.String())
	if m == nil || !strings.HasPrefix(m[1], "http://127.0.0.1:") || strings.HasPrefix(m[1], base) {
		t.Fatalf("the start log does not give a metrics URL of its own:\n%s", logs)
	}
	if code, _ := status(base + "/v1/categories"); code != http.StatusOK {
		t.Fatalf("categories: got %d", code)
	}
	if code, _ := status(base + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the public listener: got %d, want 404", code)
	}
	code, body := status(m[1])
	if code != http.StatusOK || !strings.Contains(body, `camaug_http_requests_total{method="GET",route="/v1/categories",status="200"} 1`) ||
		!strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics listener: got %d\n%.500s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(m[1]); err == nil {
		t.Error("the metrics listener still answers after shutdown")
	}

	logs = &logBuffer{}
	base, _ = startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(), "CAMAUG_METRICS_ADDR", "off"), logs)
	if m := metricsURL.FindStringSubmatch(logs.String()); m == nil || m[1] != "off" {
		t.Errorf("CAMAUG_METRICS_ADDR=off: the start log should say metrics=off:\n%s", logs)
	}
	if code, _ := status(base + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics with CAMAUG_METRICS_ADDR=off: got %d, want 404", code)
	}
}

// TestRun_StartLogSaysWhereToSignIn: the start log gives the console's
// sign-in address, and how to make the first admin when there is none.
func TestRun_StartLogSaysWhereToSignIn(t *testing.T) {
	waitLog := func(logs *logBuffer, want *regexp.Regexp) bool {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if want.MatchString(logs.String()) {
				return true
			}
		}
		return false
	}
	dir := t.TempDir()
	logs := &logBuffer{}
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir), logs)
	noAdmin := regexp.MustCompile(`level=WARN msg="no admin account yet: to sign in at ` + regexp.QuoteMeta(base+"/console/") + `, restart once with CAMAUG_ADMIN_EMAIL and CAMAUG_ADMIN_PASSWORD`)
	if !waitLog(logs, noAdmin) {
		t.Errorf("without an admin, the start log should say how to make one:\n%s", logs)
	}
	// The built-in calendar lists 2026 as announced and 2027 as
	// provisional, so next year is always provisional or missing.
	next := time.Now().Year() + 1
	calendar := regexp.MustCompile(fmt.Sprintf(`level=WARN msg="working calendar: the working calendar (for %d is provisional|has no year %d)`, next, next))
	if !waitLog(logs, calendar) {
		t.Errorf("the start log should warn that next year's calendar is provisional or missing:\n%s", logs)
	}
	stop()

	logs = &logBuffer{}
	base, _ = startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir,
		"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", "Admin-Bootstrap-Secret-42"), logs)
	signIn := regexp.MustCompile(`level=INFO msg="staff sign in at ` + regexp.QuoteMeta(base+"/console/") + `"`)
	if !waitLog(logs, signIn) {
		t.Errorf("the start log should say where to sign in:\n%s", logs)
	}
}

func TestRun_ServesSameDataOnMongo(t *testing.T) {
	srv := mongotest.Start(t)
	sqliteBase, _ := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir()))
	dataDir := filepath.Join(t.TempDir(), "data")
	mongoBase, _ := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dataDir,
		"MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", srv.Database, "CAMAUG_KEY_SECRET", "same-data-test-secret"))
	fetch := func(base, path, lang string) items {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var it items
		if err := json.NewDecoder(resp.Body).Decode(&it); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
		}
		return it
	}
	for _, path := range []string{"/v1/categories", "/v1/agencies", "/v1/areas", "/v1/areas?parent=ca-mau"} {
		for _, lang := range []string{"vi", "en"} {
			a, b := fetch(sqliteBase, path, lang), fetch(mongoBase, path, lang)
			if len(a.Items) == 0 || strings.Join(codes(a), ",") != strings.Join(codes(b), ",") || a.Items[0].Name != b.Items[0].Name {
				t.Errorf("%s (%s): SQLite serves %v, MongoDB serves %v", path, lang, codes(a), codes(b))
			}
		}
	}
	// The MongoDB run writes no SQLite file: nothing at all in the data folder.
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		t.Fatalf("MongoDB mode wrote %d files in the data folder", len(entries))
	}
}

func TestRun_ImportExport(t *testing.T) {
	dir := t.TempDir()
	getenv := env("CAMAUG_DATA_DIR", filepath.Join(dir, "data"))
	ctx := context.Background()
	cli := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(ctx, append([]string{"camaug"}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	first := filepath.Join(dir, "first.json")
	// Before any server ran, export gives what a server would serve.
	if out, err := cli("export", "reference", first); err != nil || !strings.Contains(out, "13 categories") {
		t.Fatalf("export on a new store: %q, %v; want the 13 built-in categories", out, err)
	}
	// Import the built-in dataset plus one category.
	ref, _ := feedback.DefaultReference()
	ref.Categories = append(ref.Categories, feedback.Category{Code: "cay-xanh", Name: i18n.T("Cây xanh", "Trees")})
	data, _ := ref.MarshalIndent()
	in := filepath.Join(dir, "in.json")
	os.WriteFile(in, data, 0o600)
	out, err := cli("import", "reference", in)
	if err != nil || !strings.Contains(out, "14 categories") {
		t.Fatalf("import: %q, %v; want 14 categories imported", out, err)
	}
	exported := filepath.Join(dir, "out.json")
	if _, err := cli("export", "reference", exported); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(exported)
	ref.Sort()
	want, _ := ref.MarshalIndent()
	if string(got) != string(want) {
		t.Fatal("export after import differs from the imported dataset (in code order)")
	}
	// Round trip: importing the export changes nothing.
	if _, err := cli("import", "reference", exported); err != nil {
		t.Fatal(err)
	}
	again, _ := cli("export", "reference", "-")
	if again != string(want) {
		t.Fatal("import(export) is not the identity")
	}

	// A bad file changes nothing and names the offending entry.
	bad := strings.Replace(string(got), `"parent_code": "ca-mau"`, `"parent_code": "quan-9"`, 1)
	badFile := filepath.Join(dir, "bad.json")
	os.WriteFile(badFile, []byte(bad), 0o600)
	_, err = cli("import", "reference", badFile)
	if err == nil || !regexp.MustCompile(`areas\[\d+\] \([a-z0-9-]+\)\.parent_code`).MatchString(err.Error()) || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("bad parent: got %v, want the entry named and nothing changed", err)
	}
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(got[:len(got)/2]), 0o600)
	if _, err := cli("import", "reference", broken); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("truncated file: got %v, want a refusal", err)
	}
	after, _ := cli("export", "reference", "-")
	if after != string(want) {
		t.Fatal("a refused import changed the data")
	}
	if _, err := cli("import", "reference", filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file: got nil, want an error")
	}
	if _, err := cli("frobnicate"); err == nil {
		t.Fatal("unknown command: got nil, want an error")
	}
}

// TestImport_SurvivesKill9 imports into the database of a running server
// (another process), sees the change at once, kills the server with
// SIGKILL, restarts it and sees the change still there.
func TestImport_SurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	start := func() (string, *exec.Cmd) {
		cmd := exec.Command(os.Args[0], "serve")
		cmd.Env = append(os.Environ(), "CAMAUG_TEST_RUN_MAIN=1", "CAMAUG_ADDR=127.0.0.1:0", "CAMAUG_METRICS_ADDR=off", "CAMAUG_DATA_DIR="+dir)
		logs, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return "http://" + waitAddr(t, logs), cmd
	}
	base, server := start()

	ref, _ := feedback.DefaultReference()
	ref.Categories = append(ref.Categories, feedback.Category{Code: "cay-xanh", Name: i18n.T("Cây xanh", "Trees"), SortOrder: 999})
	data, _ := ref.MarshalIndent()
	in := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(in, data, 0o600)
	if err := run(context.Background(), []string{"camaug", "import", "reference", in}, env("CAMAUG_DATA_DIR", dir), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	hasTrees := func(base string) bool {
		var cats items
		getJSON(t, base+"/v1/categories", &cats)
		return len(cats.Items) == 14 && cats.Items[13].Code == "cay-xanh"
	}
	if !hasTrees(base) {
		t.Fatal("the running server does not see the import")
	}
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	base, _ = start()
	if !hasTrees(base) {
		t.Fatal("after kill -9 and restart the import is gone")
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.DataDir != "./data" || cfg.MongoDatabase != "camaug" || cfg.MongoURI != "" {
		t.Errorf("defaults: got %+v", cfg)
	}
	if cfg.MetricsAddr != "127.0.0.1:9090" {
		t.Errorf("metrics address: got %q, want 127.0.0.1:9090 (loopback, off the public listener)", cfg.MetricsAddr)
	}
	if cfg, _ := loadConfig(env("CAMAUG_METRICS_ADDR", "off")); cfg.MetricsAddr != "" {
		t.Errorf("CAMAUG_METRICS_ADDR=off: got %q, want no metrics listener", cfg.MetricsAddr)
	}
	if _, err := loadConfig(env("CAMAUG_SHUTDOWN_TIMEOUT", "soon")); err == nil {
		t.Error("bad shutdown timeout: got nil, want an error")
	}
	if _, err := loadConfig(env("CAMAUG_LOG_FORMAT", "xml")); err == nil {
		t.Error("bad log format: got nil, want an error")
	}
	if _, err := loadConfig(env("CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn")); err == nil {
		t.Error("admin email without password: got nil, want an error")
	}
	cfg, _ = loadConfig(env("CAMAUG_TRUSTED_PROXIES", " 10.0.0.1, 10.1.0.0/16 ,"))
	if strings.Join(cfg.TrustedProxies, "|") != "10.0.0.1|10.1.0.0/16" {
		t.Errorf("trusted proxies: got %q", cfg.TrustedProxies)
	}
	cfg, _ = loadConfig(env("CAMAUG_OPEN311_API_KEYS", " key-of-the-app-0001,key-of-the-lgsp-002 ", "CAMAUG_OPEN311_JURISDICTION", "camau.gov.vn"))
	if strings.Join(cfg.Open311.APIKeys, "|") != "key-of-the-app-0001|key-of-the-lgsp-002" || cfg.Open311.Jurisdiction != "camau.gov.vn" {
		t.Errorf("Open311: got %+v", cfg.Open311)
	}
	if _, err := loadConfig(env("CAMAUG_OPEN311_API_KEYS", "short")); err == nil {
		t.Error("a short Open311 key: got nil, want an error")
	}
	if _, err := loadConfig(env("CAMAUG_WEBHOOK_URL", "https://lgsp.camau.gov.vn/hook")); err == nil {
		t.Error("webhook without a secret: got nil, want an error")
	}
	if _, err := loadConfig(env("CAMAUG_WEBHOOK_URL", "lgsp.camau.gov.vn", "CAMAUG_WEBHOOK_SECRET", "0123456789abcdef")); err == nil {
		t.Error("webhook URL without a scheme: got nil, want an error")
	}
	cfg, err = loadConfig(env("CAMAUG_WEBHOOK_URL", "https://lgsp.camau.gov.vn/hook", "CAMAUG_WEBHOOK_SECRET", "0123456789abcdef"))
	if err != nil || cfg.WebhookURL != "https://lgsp.camau.gov.vn/hook" {
		t.Errorf("webhook: %+v, %v", cfg, err)
	}
}

func postJSON(t *testing.T, url string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// TestSecretsStayOutOfDataAndLogs: after an admin bootstrap, a registration,
// a login and a refresh, neither the data folder (database, WAL) nor the log
// holds a password, a refresh token or the key secret in clear text.
func TestSecretsStayOutOfDataAndLogs(t *testing.T) {
	dir := t.TempDir()
	logs := &logBuffer{}
	const adminPassword, citizenPassword, keySecret = "Admin-Bootstrap-Secret-42", "Citizen-Secret-Ngap-Nuoc", "Key-Secret-Very-Private"
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", keySecret,
		"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", adminPassword), logs)
	var reg tokenPair
	if code := postJSON(t, base+"/v1/auth/register", map[string]string{"email": "mai@example.vn", "password": citizenPassword, "name": "Mai"}, &reg); code != 201 {
		t.Fatalf("register: %d", code)
	}
	var admin tokenPair
	if code := postJSON(t, base+"/v1/auth/login", map[string]string{"login": "admin@camau.gov.vn", "password": adminPassword}, &admin); code != 200 {
		t.Fatalf("the bootstrap admin cannot log in: %d", code)
	}
	var rotated tokenPair
	if code := postJSON(t, base+"/v1/auth/refresh", map[string]string{"refresh_token": reg.RefreshToken}, &rotated); code != 200 {
		t.Fatalf("refresh: %d", code)
	}
	stop()
	secrets := map[string]string{"admin password": adminPassword, "citizen password": citizenPassword, "key secret": keySecret,
		"refresh token": reg.RefreshToken, "rotated refresh token": rotated.RefreshToken, "admin refresh token": admin.RefreshToken}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		for name, secret := range secrets {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s found in clear text in %s", name, path)
			}
		}
		return nil
	})
	for name, secret := range secrets {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("%s found in the log", name)
		}
	}

	// A restart with another admin password leaves the existing admin alone.
	base, _ = startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", keySecret,
		"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", "Another-Password-1"))
	if code := postJSON(t, base+"/v1/auth/login", map[string]string{"login": "admin@camau.gov.vn", "password": adminPassword}, nil); code != 200 {
		t.Fatalf("after restart the original admin password fails: %d", code)
	}
	if code := postJSON(t, base+"/v1/auth/login", map[string]string{"login": "admin@camau.gov.vn", "password": "Another-Password-1"}, nil); code != 401 {
		t.Fatalf("the restart overwrote the admin password: %d", code)
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	getenv := env("CAMAUG_DATA_DIR", dir, "CAMAUG_ADDR", "127.0.0.1:0")
	add := func(password string, args ...string) (string, error) {
		stdin = strings.NewReader(password + "\n")
		t.Cleanup(func() { stdin = os.Stdin })
		var out strings.Builder
		err := run(context.Background(), append([]string{"camaug", "user", "add"}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	out, err := add("xay-dung-2026", "--role", "officer", "--email", "canbo@soxaydung.camau.gov.vn", "--agency", "so-xay-dung", "--name", "Lê Văn Cường")
	if err != nil || !strings.Contains(out, "created officer canbo@soxaydung.camau.gov.vn") {
		t.Fatalf("user add: %q, %v", out, err)
	}
	if _, err := add("xay-dung-2026", "--role", "officer", "--email", "x@camau.gov.vn", "--agency", "so-khong-co"); err == nil || !strings.Contains(err.Error(), "agency_code") {
		t.Fatalf("unknown agency: got %v, want an error naming agency_code", err)
	}
	if _, err := add("short", "--role", "admin", "--email", "a@camau.gov.vn"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("short password: got %v, want an error naming password", err)
	}
	if _, err := add("long-enough-1", "--role", "citizen", "--email", "c@camau.gov.vn"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Fatalf("citizen role: got %v, want an error naming role", err)
	}
	base, _ := startServer(t, getenv)
	var tok tokenPair
	if code := postJSON(t, base+"/v1/auth/login", map[string]string{"login": "canbo@soxaydung.camau.gov.vn", "password": "xay-dung-2026"}, &tok); code != 200 {
		t.Fatalf("the added officer cannot log in: %d", code)
	}
	req, _ := http.NewRequest("GET", base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	json.NewDecoder(resp.Body).Decode(&raw)
	resp.Body.Close()
	if raw["role"] != "officer" || raw["agency_code"] != "so-xay-dung" || raw["name"] != "Lê Văn Cường" {
		t.Fatalf("me: got %v", raw)
	}
}

func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	getenv := env("CAMAUG_DATA_DIR", dir, "CAMAUG_ADDR", "127.0.0.1:0")
	base, stop := startServer(t, getenv)
	var before struct{ Keys []map[string]string }
	getJSON(t, base+"/.well-known/jwks.json", &before)
	stop()
	var out strings.Builder
	if err := run(context.Background(), []string{"camaug", "keys", "rotate"}, getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	base, _ = startServer(t, getenv)
	var after struct{ Keys []map[string]string }
	getJSON(t, base+"/.well-known/jwks.json", &after)
	if len(before.Keys) != 1 || len(after.Keys) != 2 || !strings.Contains(out.String(), after.Keys[0]["kid"]) {
		t.Fatalf("keys before %v, after %v, output %q", before.Keys, after.Keys, out.String())
	}
}
