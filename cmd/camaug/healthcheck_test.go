package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: `camaug healthcheck` is the container image's health
// check; it passes against a serving instance and fails when nothing
// listens or the service answers anything but 200.
func TestHealthcheck(t *testing.T) {
	base, stop := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir()))
	addr := strings.TrimPrefix(base, "http://")
	_, port, _ := net.SplitHostPort(addr)

	var out bytes.Buffer
	// The image listens on 0.0.0.0: the probe goes to loopback.
	if err := run(context.Background(), []string{"camaug", "healthcheck"}, env("CAMAUG_ADDR", "0.0.0.0:"+port), &out, &out); err != nil {
		t.Fatalf("healthcheck against a serving instance: %v", err)
	}
	if strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("healthcheck printed %q, want ok", out.String())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"camaug", "healthcheck"}, env("CAMAUG_ADDR", addr), &out, &out); err == nil {
		t.Fatal("healthcheck passed with nothing listening")
	}

	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	if err := run(context.Background(), []string{"camaug", "healthcheck"}, env("CAMAUG_ADDR", strings.TrimPrefix(sick.URL, "http://")), &out, &out); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("healthcheck against a 503: got %v, want an error naming 503", err)
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		":8080":          "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://[::1]:8080/healthz",
		"10.1.2.3:8080":  "http://10.1.2.3:8080/healthz",
		"127.0.0.1:8081": "http://127.0.0.1:8081/healthz",
	} {
		if got, err := healthURL(addr); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := healthURL("8080"); err == nil {
		t.Error("healthURL accepted an address without a port")
	}
}
