package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkSubmitReport_SQLite drives POST /v1/reports through the real
// Fiber app on a loopback listener, on the embedded store (WAL,
// synchronous=FULL), from 8 concurrent clients (CAMAUG_BENCH_CLIENTS),
// and reports throughput and latency percentiles.
//
//	go test ./api -run '^$' -bench SubmitReport -benchtime 5000x
func BenchmarkSubmitReport_SQLite(b *testing.B) {
	t := &testing.T{}
	env := newEnv(t, "sqlite")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go env.app.Listener(ln)
	defer env.app.Shutdown()
	base := "http://" + ln.Addr().String()
	clients := 8
	if n, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	tokens := make([]string, clients)
	for i := range tokens {
		body, _ := json.Marshal(map[string]string{"phone": fmt.Sprintf("09%08d", 10000000+i), "password": "bench-mark-2026", "name": "Bench"})
		resp, err := http.Post(base+"/v1/auth/register", "application/json", bytes.NewReader(body))
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("register: %v %v", resp, err)
		}
		var reg registered
		json.NewDecoder(resp.Body).Decode(&reg)
		resp.Body.Close()
		tokens[i] = reg.AccessToken
	}
	payload, _ := json.Marshal(validReport())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	lat := make([]time.Duration, b.N)
	var next int64 = -1
	var mu sync.Mutex
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for {
				mu.Lock()
				next++
				i := next
				mu.Unlock()
				if i >= int64(b.N) {
					return
				}
				req, _ := http.NewRequest("POST", base+"/v1/reports", bytes.NewReader(payload))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[c])
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var sink bytes.Buffer
				sink.ReadFrom(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
				if resp.StatusCode != 201 {
					b.Errorf("status %d: %s", resp.StatusCode, sink.String())
					return
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
}
