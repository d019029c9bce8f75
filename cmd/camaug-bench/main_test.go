package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"camaug/internal/store/mongo/mongotest"
)

// TestRun_Smoke runs the whole harness on a tiny store for a moment, so it
// cannot rot: every scenario answers as expected, each figure is there, in
// the table and in the JSON.
func TestRun_Smoke(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"camaug-bench", "-n", "1000", "-clients", "4", "-duration", "100ms", "-data-dir", filepath.Join(dir, "db"), "-json", out}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Reports != 1000 || rep.Clients != 4 || rep.FillPerSecond <= 0 || rep.BytesPerReport <= 0 || rep.PeakRSSMB <= 0 {
		t.Errorf("got reports %d, clients %d, fill %.0f/s, %.0f bytes/report, peak RSS %.0f MB; want 1000, 4 and positive figures",
			rep.Reports, rep.Clients, rep.FillPerSecond, rep.BytesPerReport, rep.PeakRSSMB)
	}
	want := []string{"ceiling: durable single-row commits", "ceiling: empty Fiber JSON handler", "submit", "submit with a photo",
		"get by id, officer", "get by id, citizen", "feed", "feed category", "feed q", "feed category+area", "feed since+q", "geojson",
		"nearby 300 m", "queue open", "queue closed", "queue overdue", "queue category", "my reports", "transition (accept)",
		"survey response (invitation)", "SIPAS indicators (analyst)", "SIPAS ranking by agency (analyst)",
		"feed, uncached", "feed category+bbox, uncached", "geojson, uncached"}
	got := map[string]result{}
	for _, r := range rep.Results {
		got[r.Scenario] = r
		if r.Errors > 0 {
			t.Errorf("%s: %d errors, first: %s", r.Scenario, r.Errors, r.FirstError)
		}
		if r.Requests == 0 && !strings.HasPrefix(r.Scenario, "transition") {
			t.Errorf("%s: no request completed", r.Scenario)
		}
		if r.Requests > 0 && (r.PerSecond <= 0 || r.P99Ms < r.P50Ms) {
			t.Errorf("%s: %.0f/s, p50 %.2f ms, p99 %.2f ms: want a throughput and p99 ≥ p50", r.Scenario, r.PerSecond, r.P50Ms, r.P99Ms)
		}
	}
	for _, name := range want {
		found := false
		for s := range got {
			found = found || strings.HasPrefix(s, name)
		}
		if !found {
			t.Errorf("scenario %q missing", name)
		}
	}
	if len(rep.Results) < 45 {
		t.Errorf("%d results, want the 2 ceilings and every scenario (45 or more)", len(rep.Results))
	}
	// 1,000 reports: the floor of 200 responses, each counted by the
	// indicators (the harness checks that before it measures).
	if rep.SurveyResponses != 200 {
		t.Errorf("%d SIPAS responses behind the indicator reads, want 200", rep.SurveyResponses)
	}
	if r := got["survey response (invitation)"]; r.Ceiling != "commit" || r.Requests == 0 {
		t.Errorf("survey response: ceiling %q, %d requests; want the commit ceiling and some responses", r.Ceiling, r.Requests)
	}
	if r := got["submit"]; r.Ceiling != "commit" || r.Ratio <= 0 {
		t.Errorf("submit: ceiling %q ratio %.3f, want the commit ceiling and a ratio", r.Ceiling, r.Ratio)
	}
	if !strings.Contains(stdout.String(), "| feed category+area |") || !strings.Contains(stdout.String(), "1000 reports; 4 clients") {
		t.Errorf("the table lacks a row or the run's description:\n%s", stdout.String())
	}
}

func TestRun_BadFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "5"}, {"-duration", "soon"}, {"-clients", "0"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"camaug-bench", "-data-dir", t.TempDir()}, args...), func(string) string { return "" }, &stdout, &stderr)
		if err == nil {
			t.Errorf("%v: got nil error, want one", args)
		}
	}
}

// TestRun_SmokeMongo runs the harness on the embedded FerretDB (or on
// MONGODB_TEST_URI): the MongoDB path works end to end too. It takes half
// a minute (FerretDB builds ~35 indexes and loads the reference data
// slowly), so it runs in CI (CI set) or when CAMAUG_BENCH_MONGO_SMOKE=1.
func TestRun_SmokeMongo(t *testing.T) {
	if os.Getenv("CAMAUG_BENCH_MONGO_SMOKE") != "1" && os.Getenv("CI") == "" {
		t.Skip("set CAMAUG_BENCH_MONGO_SMOKE=1 to run the harness on FerretDB (about 30 s)")
	}
	srv := mongotest.Start(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"camaug-bench", "-n", "300", "-clients", "4", "-duration", "50ms", "-data-dir", dir, "-json", out, "-only", "feed category"}
	getenv := func(k string) string {
		if k == "MONGODB_URI" {
			return srv.URI
		}
		return ""
	}
	// CAMAUG_BENCH_MONGO_ARGS="-n 5000 -duration 2s -only feed" measures
	// FerretDB itself: the later flags win, and the table is logged.
	custom := strings.Fields(os.Getenv("CAMAUG_BENCH_MONGO_ARGS"))
	args = append(args, custom...)
	if err := run(context.Background(), args, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if len(custom) > 0 {
		t.Log(stdout.String())
		return
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Store, "mongodb") {
		t.Errorf("store %q, want mongodb", rep.Store)
	}
	n := 0
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Scenario, "feed category") {
			n++
			if r.Errors > 0 || r.Requests == 0 {
				t.Errorf("%s: %d requests, %d errors (%s)", r.Scenario, r.Requests, r.Errors, r.FirstError)
			}
		}
	}
	// The category alone and its six pairs, each also read past the public
	// list cache for the category alone and with the box.
	if n != 9 {
		t.Errorf("%d feed category scenarios, want 9", n)
	}
}

func TestSelected(t *testing.T) {
	for _, c := range []struct {
		name, only string
		want       bool
	}{
		{"feed category", "", true}, {"feed category", "category", true}, {"queue open", "submit|queue", true},
		{"feed q", "submit|queue", false}, {"feed q", "|", false},
	} {
		if got := selected(c.name, c.only); got != c.want {
			t.Errorf("selected(%q, %q) = %v, want %v", c.name, c.only, got, c.want)
		}
	}
}
