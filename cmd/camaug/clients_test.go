package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestClients: an operator creates an API client on the command line;
// the running server accepts its key on /v1/stats/reports and logs the
// call with the client's ID; a revocation made by another process on the
// same database is refused by the server on the next request.
func TestClients(t *testing.T) {
	dir := t.TempDir()
	getenv := env("CAMAUG_DATA_DIR", dir, "CAMAUG_ADDR", "127.0.0.1:0")
	cli := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(context.Background(), append([]string{"camaug", "clients"}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	out, err := cli("create", "--name", "LGSP Cà Mau", "--scopes", "stats:read")
	key := regexp.MustCompile(`key: (cmg_(\w{26})_\S+)`).FindStringSubmatch(out)
	if err != nil || key == nil {
		t.Fatalf("clients create: %q, %v", out, err)
	}
	if _, err := cli("create", "--name", "X", "--scopes", "everything"); err == nil || !strings.Contains(err.Error(), "scopes") {
		t.Fatalf("a bad scope: got %v, want an error naming scopes", err)
	}
	logs := &logBuffer{}
	base, _ := startServer(t, getenv, logs)
	stats := func() int {
		req, _ := http.NewRequest("GET", base+"/v1/stats/reports", nil)
		req.Header.Set("X-Api-Key", key[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := stats(); got != http.StatusOK {
		t.Fatalf("with the new key: got %d, want 200", got)
	}
	if out, err := cli("list"); err != nil || !strings.Contains(out, key[2]) || !strings.Contains(out, "stats:read") || !strings.Contains(out, "active") {
		t.Fatalf("clients list: %q, %v", out, err)
	}
	if out, err := cli("revoke", key[2]); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("clients revoke: %q, %v", out, err)
	}
	if got := stats(); got != http.StatusUnauthorized {
		t.Fatalf("after the revocation by another process: got %d, want 401", got)
	}
	if !strings.Contains(logs.String(), "client_id="+key[2]) {
		t.Fatalf("no log line names the client:\n%s", logs.String())
	}
}
