package api_test

import (
	"bytes"
	"context"
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

	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/survey"
)

// benchServer serves env's app on a loopback listener.
func benchServer(b *testing.B) (*testEnv, string) {
	env := newEnv(&testing.T{}, "sqlite")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go env.app.Listener(ln)
	b.Cleanup(func() { env.app.Shutdown() })
	return env, "http://" + ln.Addr().String()
}

func benchClients() int {
	if n, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_CLIENTS")); err == nil && n > 0 {
		return n
	}
	return 8
}

// drive sends b.N requests from clients concurrent clients (request i
// built by build for client c), each expecting status want, and reports
// throughput (as unit) and latency percentiles.
func drive(b *testing.B, clients int, unit string, want int, build func(c int, i int64) *http.Request) {
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
				req := build(c, i)
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
				if resp.StatusCode != want {
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit)
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
}

func jsonRequest(method, url, token string, body []byte) *http.Request {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// BenchmarkSubmitReport_SQLite drives POST /v1/reports through the real
// Fiber app on a loopback listener, on the embedded store (WAL,
// synchronous=FULL), from 8 concurrent clients (CAMAUG_BENCH_CLIENTS),
// and reports throughput and latency percentiles.
//
//	go test ./api -run '^$' -bench SubmitReport -benchtime 5000x
func BenchmarkSubmitReport_SQLite(b *testing.B) {
	_, base := benchServer(b)
	clients := benchClients()
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
	drive(b, clients, "reports/s", http.StatusCreated, func(c int, _ int64) *http.Request {
		return jsonRequest("POST", base+"/v1/reports", tokens[c], payload)
	})
}

// BenchmarkSurveyResponse_SQLite drives POST /v1/surveys/{id}/responses
// (a full SIPAS questionnaire, one invitation token each) through the real
// app on the embedded store, from 8 concurrent clients.
//
//	go test ./api -run '^$' -bench SurveyResponse -benchtime 20000x
func BenchmarkSurveyResponse_SQLite(b *testing.B) {
	env, base := benchServer(b)
	ctx := context.Background()
	admin := identity.Principal{UserID: "bench-admin", Role: identity.RoleAdmin}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	today := env.now.In(loc)
	sv, err := env.surveys.Create(ctx, admin, survey.CreateInput{Template: "sipas-2017", Title: i18n.T("SIPAS benchmark", ""),
		Period: survey.DayPeriod{From: today.AddDate(0, 0, -1).Format("2006-01-02"), To: today.AddDate(0, 1, 0).Format("2006-01-02")}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.surveys.Publish(ctx, admin, sv.ID); err != nil {
		b.Fatal(err)
	}
	agencies := []string{"so-y-te", "so-xay-dung", "cong-an-tinh", "so-giao-duc-dao-tao"}
	var tokens []string
	for len(tokens) < b.N {
		batch, err := env.surveys.Invite(ctx, admin, sv.ID, min(survey.MaxInvitations, b.N-len(tokens)), agencies[len(tokens)/1000%len(agencies)], "ca-mau")
		if err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, batch...)
	}
	answers := make([][]byte, 5)
	for i := range answers {
		a := sipasAnswers(i%5+1, (i+2)%5+1, (i+3)%5+1, (i+4)%5+1, i%2 == 0, (i+1)%5+1)
		a["q_comment"] = "Cán bộ nhiệt tình, thủ tục nhanh."
		answers[i], _ = json.Marshal(a)
	}
	url := base + "/v1/surveys/" + sv.ID + "/responses"
	drive(b, benchClients(), "responses/s", http.StatusCreated, func(_ int, i int64) *http.Request {
		body := append(append([]byte(`{"token":"`+tokens[i]+`","answers":`), answers[i%5]...), '}')
		return jsonRequest("POST", url, "", body)
	})
}
