package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"camaug/internal/store/mongo/mongotest"
)

// TestRun_MongoNeedsKeySecret: with MONGODB_URI and no CAMAUG_KEY_SECRET the
// program refuses to start, saying which variable to set, before it touches
// the database; it never falls back on a machine ID, which differs per
// instance.
func TestRun_MongoNeedsKeySecret(t *testing.T) {
	srv := mongotest.Start(t)
	err := run(context.Background(), []string{"camaug"}, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_METRICS_ADDR", "off",
		"CAMAUG_DATA_DIR", t.TempDir(), "MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", srv.Database), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CAMAUG_KEY_SECRET") || !strings.Contains(err.Error(), "MONGODB_URI") {
		t.Fatalf("MongoDB without a key secret: got %v, want a refusal naming CAMAUG_KEY_SECRET", err)
	}
}

// TestRun_MongoWeakWrites: a URI asking for w=1 is refused unless
// CAMAUG_MONGODB_ALLOW_WEAK_WRITES=true, which starts with a warning.
func TestRun_MongoWeakWrites(t *testing.T) {
	srv := mongotest.Start(t)
	uri := srv.URI
	if strings.Contains(uri, "?") {
		uri += "&w=1"
	} else {
		uri = strings.TrimSuffix(uri, "/") + "/?w=1"
	}
	vars := []string{"CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_METRICS_ADDR", "off", "CAMAUG_DATA_DIR", t.TempDir(),
		"MONGODB_URI", uri, "CAMAUG_MONGODB_DATABASE", srv.Database, "CAMAUG_KEY_SECRET", "weak-writes-test-secret"}
	err := run(context.Background(), []string{"camaug"}, env(vars...), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CAMAUG_MONGODB_ALLOW_WEAK_WRITES") {
		t.Fatalf("w=1: got %v, want a refusal naming CAMAUG_MONGODB_ALLOW_WEAK_WRITES", err)
	}
	logs := &logBuffer{}
	base, _ := startServer(t, env(append(vars, "CAMAUG_MONGODB_ALLOW_WEAK_WRITES", "true")...), logs)
	if code := getJSON(t, base+"/readyz", nil); code != http.StatusOK {
		t.Fatalf("readyz with weak writes allowed: %d", code)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "weaker than majority") {
		t.Errorf("no warning about the weak write concern:\n%s", logs)
	}
}

// TestRun_MongoStalledAndGone puts a proxy between the program and the
// database. When the database hangs, a request gets a 503 problem (with
// Retry-After, in the caller's language) within the operation deadline, not
// a hung connection; /healthz still answers 200 (it never touches the
// database) and /readyz says 503 quickly. The same when the database is gone.
func TestRun_MongoStalledAndGone(t *testing.T) {
	srv := mongotest.Start(t)
	proxy := mongotest.NewProxy(t, srv)
	base, _ := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", filepath.Join(t.TempDir(), "data"),
		"MONGODB_URI", proxy.URI, "CAMAUG_MONGODB_DATABASE", srv.Database, "CAMAUG_KEY_SECRET", "stalled-test-secret",
		"CAMAUG_MONGODB_TIMEOUT", "1s"))
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path, lang string) (int, http.Header, map[string]any, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Language", lang)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, resp.Header, body, time.Since(start)
	}
	if code, _, _, _ := get("/v1/reports", "vi"); code != http.StatusOK {
		t.Fatalf("feed with the database up: %d", code)
	}
	check := func(state string) {
		t.Helper()
		if code, _, _, took := get("/healthz", "vi"); code != http.StatusOK || took > 500*time.Millisecond {
			t.Errorf("%s: /healthz %d in %v, want 200 at once", state, code, took)
		}
		code, _, _, took := get("/readyz", "vi")
		t.Logf("%s: /readyz %d in %v", state, code, took.Round(time.Millisecond))
		if code != http.StatusServiceUnavailable || took > 3*time.Second {
			t.Errorf("%s: /readyz %d in %v, want 503 within 3s", state, code, took)
		}
		for lang, title := range map[string]string{"vi": "Dịch vụ tạm thời không sẵn sàng", "en": "Service unavailable"} {
			code, h, body, took := get("/v1/reports", lang)
			t.Logf("%s: feed (%s) %d in %v", state, lang, code, took.Round(time.Millisecond))
			if code != http.StatusServiceUnavailable || took > 3*time.Second {
				t.Errorf("%s: feed (%s) %d in %v, want 503 within 3s", state, lang, code, took)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || h.Get("Retry-After") == "" || body["title"] != title {
				t.Errorf("%s: feed (%s) answered %s, Retry-After %q, %v; want problem+json titled %q with Retry-After",
					state, lang, h.Get("Content-Type"), h.Get("Retry-After"), body, title)
			}
		}
	}
	proxy.Stall()
	check("database stalled")
	proxy.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, _, _ := get("/readyz", "vi")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 10s after the database came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	proxy.Close()
	check("database gone")
}

func TestLoadConfig_Mongo(t *testing.T) {
	base := []string{"MONGODB_URI", "mongodb://db:27017/?replicaSet=rs0", "CAMAUG_KEY_SECRET", "config-test-secret"}
	cfg, err := loadConfig(env(base...))
	if err != nil || cfg.MongoTimeout != 0 || cfg.MongoWeakWrites || cfg.MongoWriteConcern != "" {
		t.Fatalf("defaults: %+v, %v; want the store's own defaults (majority, 5s)", cfg, err)
	}
	cfg, err = loadConfig(env(append(base, "CAMAUG_MONGODB_TIMEOUT", "2s", "CAMAUG_MONGODB_ALLOW_WEAK_WRITES", "true")...))
	if err != nil || cfg.MongoTimeout != 2*time.Second || !cfg.MongoWeakWrites {
		t.Fatalf("timeout 2s, weak writes: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"CAMAUG_MONGODB_TIMEOUT", "soon"}, {"CAMAUG_MONGODB_TIMEOUT", "1ms"}, {"CAMAUG_MONGODB_ALLOW_WEAK_WRITES", "yes"}} {
		if _, err := loadConfig(env(append(base, bad...)...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%s: got %v, want an error naming it", bad[0], bad[1], err)
		}
	}
}
