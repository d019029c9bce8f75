package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "modernc.org/sqlite"
)

// result is one scenario's figures.
type result struct {
	Scenario   string  `json:"scenario"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	PerSecond  float64 `json:"per_second"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Ceiling    string  `json:"ceiling,omitempty"`
	Ratio      float64 `json:"ratio,omitempty"`
	RSSMB      float64 `json:"rss_mb"` // the process's resident set after the scenario
}

// op is one unit of work of a scenario for worker w, its i-th: it returns
// an error when the service's answer is not the expected one. ok=false
// ends the worker (the scenario ran out of input, e.g. reports to move).
type op func(w, i int) (ok bool, err error)

// newClient is the one HTTP client of a run, ceilings included: keep-alive
// connections, one per concurrent client.
func newClient(clients int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients,
		MaxIdleConns: clients, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// drive runs do from clients workers for d and measures it.
func drive(name string, clients int, d time.Duration, do op) result {
	var count, errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, clients)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				ok, err := do(w, i)
				if !ok {
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
				count.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	r := result{Scenario: name, Requests: int(count.Load()), Errors: int(errs.Load()), PerSecond: float64(count.Load()) / elapsed.Seconds(),
		P50Ms: pct(0.50), P99Ms: pct(0.99), RSSMB: rssMB()}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstError = s
	}
	return r
}

// call sends req and checks the answer's status, reading the whole body
// (the client sees every byte).
func call(client *http.Client, req *http.Request, want int) error {
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.200s", req.Method, req.URL.Path, res.StatusCode, want, body)
	}
	return nil
}

// get makes a GET request with an optional bearer token.
func get(base, path string, q url.Values, token string) *http.Request {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// commitCeiling measures durable single-row commits on this disk: clients
// goroutines insert one row each per transaction through one connection
// (as the store writes), in WAL mode with synchronous=FULL, as the store
// opens its database.
func commitCeiling(ctx context.Context, dir string, clients int, d time.Duration) (result, error) {
	path := filepath.Join(dir, "ceiling.db")
	defer os.Remove(path)
	defer os.Remove(path + "-wal")
	defer os.Remove(path + "-shm")
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		return result{}, err
	}
	body := strings.Repeat("x", 600) // about a report's row
	return drive("ceiling: durable single-row commits (SQLite, synchronous=FULL)", clients, d, func(w, i int) (bool, error) {
		_, err := db.ExecContext(ctx, `INSERT INTO t (body) VALUES (?)`, body)
		return true, err
	}), nil
}

// httpCeiling measures an empty Fiber JSON handler on a loopback listener
// under the same client.
func httpCeiling(client *http.Client, clients int, d time.Duration) (result, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/empty", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"ok": true}) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	go app.Listener(ln)
	defer app.Shutdown()
	base := "http://" + ln.Addr().String()
	return drive("ceiling: empty Fiber JSON handler", clients, d, func(w, i int) (bool, error) {
		return true, call(client, get(base, "/empty", nil, ""), http.StatusOK)
	}), nil
}

// rssMB is this process's resident set size in MB (Linux; 0 elsewhere).
func rssMB() float64 { return statusKB("VmRSS:") / 1024 }

// peakRSSMB is this process's peak resident set size in MB.
func peakRSSMB() float64 { return statusKB("VmHWM:") / 1024 }

func statusKB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				return v
			}
		}
	}
	return 0
}
