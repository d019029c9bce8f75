package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
	"camaug/survey"
)

// TestPasswordHashingBudget: many parallel registrations and logins through
// the real app on a real listener never run more argon2id hashes at once
// than the budget allows; those that find no slot in time get 503 with
// Retry-After (problem+json), not a 500 or a hang, and leave no account.
func TestPasswordHashingBudget(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ref := feedback.NewReferenceService(db.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := identity.NewKeyring(ctx, db.Identity(), []byte("test key secret"))
	if err != nil {
		t.Fatal(err)
	}
	// Two hashes' worth of memory (and room for two on any machine), and a
	// short wait so the queue overflows.
	ids := identity.NewService(db.Identity(), keys, identity.Config{HashMemoryMiB: 2 * identity.HashMemoryMiB, HashConcurrency: 2,
		HashWait: 30 * time.Millisecond, MaxFailuresPerAddress: 1000})
	app := api.New(api.Config{Reference: ref, Identity: ids,
		Reports: feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), ref, nil),
		Surveys: survey.NewService(db.Surveys(), db.Ratings(), ref, nil), Ready: db.Ping,
		Limits: api.Limits{RegistrationsPerAddress: 1000}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	base := "http://" + ln.Addr().String()
	slots, _ := ids.HashStats()
	if slots != 2 {
		t.Fatalf("got %d hashing slots, want 2", slots)
	}

	const n = 24
	type result struct {
		phone, path string
		status      int
		retryAfter  string
		body        []byte
	}
	results := make([]result, n)
	client := &http.Client{Timeout: 60 * time.Second}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := fmt.Sprintf("09%08d", 10000000+i)
			path, body := "/v1/auth/register", map[string]string{"phone": phone, "password": "mat-khau-" + phone, "name": "Nguyễn Văn An"}
			if i%3 == 2 { // unknown logins are checked against the dummy hash
				path, body = "/v1/auth/login", map[string]string{"login": "08" + phone[2:], "password": "khong-dung-2026"}
			}
			b, _ := json.Marshal(body)
			<-start
			res, err := client.Post(base+path, "application/json", bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", path, err)
				return
			}
			defer res.Body.Close()
			rb, _ := io.ReadAll(res.Body)
			results[i] = result{phone, path, res.StatusCode, res.Header.Get("Retry-After"), rb}
		}()
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	for _, r := range results {
		counts[r.status]++
		switch {
		case r.path == "/v1/auth/register" && r.status == http.StatusCreated:
			if _, err := db.Identity().FindUser(ctx, identity.LoginKey{Phone: "+84" + r.phone[1:]}); err != nil {
				t.Errorf("registration of %s answered 201 but the account is not found: %v", r.phone, err)
			}
		case r.path == "/v1/auth/login" && r.status == http.StatusUnauthorized:
		case r.status == http.StatusServiceUnavailable:
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(r.body, &p); err != nil || p.Status != 503 || !strings.Contains(p.Detail, "thử lại") {
				t.Errorf("%s 503 body %s: want a problem in Vietnamese saying to try again", r.path, r.body)
			}
			if r.retryAfter == "" || r.retryAfter == "0" {
				t.Errorf("%s 503 without Retry-After", r.path)
			}
			if r.path == "/v1/auth/register" {
				if _, err := db.Identity().FindUser(ctx, identity.LoginKey{Phone: "+84" + r.phone[1:]}); err == nil {
					t.Errorf("registration of %s answered 503 but created the account", r.phone)
				}
			}
		default:
			t.Errorf("%s → %d %s, want success or 503", r.path, r.status, r.body)
		}
	}
	_, peak := ids.HashStats()
	t.Logf("statuses %v; hashing slots %d, peak in flight %d", counts, slots, peak)
	if peak > slots || peak < 1 {
		t.Errorf("got at most %d hashes in flight, want between 1 and the budget %d", peak, slots)
	}
	if counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no request was refused with 503 although %d hashed at once with room for %d", n, slots)
	}
	// Which requests of the burst win the two slots is the scheduler's
	// choice (logins reach the hash sooner than registrations), so the
	// burst only has to hash something; then, with the slots free, a
	// registration goes through and its account exists.
	if counts[http.StatusCreated]+counts[http.StatusUnauthorized] == 0 {
		t.Errorf("nothing was hashed in the burst")
	}
	b, _ := json.Marshal(map[string]string{"phone": "0920000000", "password": "mat-khau-0920000000", "name": "Trần Thị Bình"})
	res, err := client.Post(base+"/v1/auth/register", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("a registration after the burst: %d, want 201", res.StatusCode)
	}
	if _, err := db.Identity().FindUser(ctx, identity.LoginKey{Phone: "+84920000000"}); err != nil {
		t.Errorf("the registration after the burst answered 201 but the account is not found: %v", err)
	}
}
