package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
)

// withPublicCache turns the public list cache on, as cmd/camaug does.
func withPublicCache(ttl time.Duration) func(*api.Config) {
	return func(c *api.Config) { c.PublicCacheTTL = ttl }
}

// lightReport is a report about a street light.
func lightReport(n int) map[string]any {
	return map[string]any{"category_code": "dien-chieu-sang", "title": fmt.Sprintf("Đèn hỏng số %d", n),
		"description": "Đèn đường không sáng từ tối qua, rất tối", "location": map[string]float64{"lat": 9.1769, "lng": 105.1524}}
}

// publish submits report n as the citizen and dispatches it as the
// coordinator, through the app: then the public feed lists it.
func publish(t *testing.T, app *fiber.App, citizen, coord string, n int) string {
	t.Helper()
	r := do(t, app, req("POST", "/v1/reports", citizen, lightReport(n)))
	wantStatus(t, r, http.StatusCreated)
	var out struct {
		ID string `json:"id"`
	}
	r.json(t, &out)
	wantStatus(t, do(t, app, req("POST", "/v1/reports/"+out.ID+"/transitions", coord, map[string]string{"action": "dispatch"})), http.StatusOK)
	return out.ID
}

func feedIDs(t *testing.T, r response) []string {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	r.json(t, &page)
	var out []string
	for _, it := range page.Items {
		out = append(out, it.ID)
	}
	return out
}

// A write through this instance (the API or the console) shows in the
// cached feed and GeoJSON at once, however long the cache keeps answers.
func TestPublicCache_WritesShowAtOnce(t *testing.T) {
	env := newEnv(t, "sqlite", withPublicCache(time.Hour))
	citizen := registerCitizen(t, env, "0912 345 601", "ngap-nuoc-2026")
	coord := staff(t, env, identity.RoleCoordinator, "dieu-phoi@camau.gov.vn", "")
	if ids := feedIDs(t, do(t, env.app, get("/v1/reports"))); len(ids) != 0 {
		t.Fatalf("empty store: feed has %v", ids)
	}
	geo := do(t, env.app, get("/v1/reports.geojson?category_code=dien-chieu-sang"))
	wantStatus(t, geo, http.StatusOK)
	for i := 1; i <= 3; i++ {
		publish(t, env.app, citizen.AccessToken, coord.AccessToken, i)
		if ids := feedIDs(t, do(t, env.app, get("/v1/reports"))); len(ids) != i {
			t.Fatalf("after %d reports the cached feed lists %d", i, len(ids))
		}
	}
	after := do(t, env.app, get("/v1/reports.geojson?category_code=dien-chieu-sang"))
	if bytes.Equal(after.body, geo.body) || strings.Count(string(after.body), `"Feature"`) != 3 {
		t.Fatalf("cached GeoJSON after 3 reports: %s", after.body)
	}
	// Another kind of write shows too.
	id := feedIDs(t, do(t, env.app, get("/v1/reports")))[0]
	before := do(t, env.app, get("/v1/reports?status=accepted"))
	if ids := feedIDs(t, before); len(ids) != 0 {
		t.Fatalf("accepted before any acceptance: %v", ids)
	}
	wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord.AccessToken,
		map[string]string{"action": "accept"})), http.StatusOK)
	if ids := feedIDs(t, do(t, env.app, get("/v1/reports?status=accepted"))); len(ids) != 1 || ids[0] != id {
		t.Fatalf("after accepting %s the cached feed of accepted reports lists %v", id, ids)
	}
}

// A change the instance did not serve (another instance's write, here the
// service called directly) shows once the TTL has passed, and not before:
// the answers really are kept.
func TestPublicCache_OtherWritesShowWithinTTL(t *testing.T) {
	const ttl = 2 * time.Second
	env := newEnv(t, "sqlite", withPublicCache(ttl))
	citizen := registerCitizen(t, env, "0912 345 602", "ngap-nuoc-2026")
	coord := staff(t, env, identity.RoleCoordinator, "dieu-phoi@camau.gov.vn", "")
	publish(t, env.app, citizen.AccessToken, coord.AccessToken, 1)
	r := do(t, env.app, req("POST", "/v1/reports", citizen.AccessToken, lightReport(2)))
	wantStatus(t, r, http.StatusCreated)
	var second struct {
		ID string `json:"id"`
	}
	r.json(t, &second)
	first := feedIDs(t, do(t, env.app, get("/v1/reports")))
	if len(first) != 1 {
		t.Fatalf("feed: %v", first)
	}
	// The second report is dispatched behind the app's back.
	p := identity.Principal{UserID: "dieu-phoi", Role: identity.RoleCoordinator}
	wrote := time.Now()
	if _, _, err := env.reports.Transition(context.Background(), p, second.ID, feedback.TransitionInput{Action: feedback.ActDispatch}); err != nil {
		t.Fatal(err)
	}
	stale := feedIDs(t, do(t, env.app, get("/v1/reports")))
	if time.Since(wrote) < ttl && len(stale) != 1 {
		t.Fatalf("within the TTL the feed was read again (%d reports): the answer was not kept", len(stale))
	}
	deadline := wrote.Add(ttl + 3*time.Second)
	for {
		got := feedIDs(t, do(t, env.app, get("/v1/reports")))
		if len(got) == 2 {
			if time.Since(wrote) < ttl/2 && len(stale) == 1 {
				t.Fatalf("the write showed after %v, before the TTL could pass", time.Since(wrote))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the write the feed still lists %v", time.Since(wrote), got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Answers are kept per question: per language, per parameter value, and a
// value holding "&" or "=" is not taken for two parameters. A staff member's
// request fills the cache with the public answer only.
func TestPublicCache_KeepsQuestionsApart(t *testing.T) {
	env := newEnv(t, "sqlite", withPublicCache(time.Hour))
	plain := newEnv(t, "sqlite") // no cache, to compare with
	var admin tokens
	for _, e := range []*testEnv{env, plain} {
		c := registerCitizen(t, e, "0912 345 603", "ngap-nuoc-2026")
		admin = staff(t, e, identity.RoleAdmin, "quan-tri@camau.gov.vn", "")
		for i := 1; i <= 2; i++ {
			publish(t, e.app, c.AccessToken, admin.AccessToken, i)
		}
	}
	questions := []struct {
		path, lang, token string
	}{
		{"/v1/reports", "vi", admin.AccessToken}, // staff first: must not leave anything personal
		{"/v1/reports", "en", ""},
		{"/v1/reports", "vi", ""},
		{"/v1/reports?q=den%26limit%3D1", "vi", ""},
		{"/v1/reports?q=den&limit=1", "vi", ""},
		{"/v1/reports?limit=1", "vi", ""},
		{"/v1/reports?limit=2", "vi", ""},
		{"/v1/reports?status=closed", "vi", ""},
		{"/v1/reports.geojson", "en", ""},
		{"/v1/reports.geojson?limit=1", "en", ""},
	}
	strip := func(b []byte) string { // IDs and times differ between the two stores
		var out []string
		for _, f := range strings.Split(string(b), ",") {
			if !strings.Contains(f, `"id"`) && !strings.Contains(f, "_at") && !strings.Contains(f, "tracking_code") && !strings.Contains(f, "_due") {
				out = append(out, f)
			}
		}
		return strings.Join(out, ",")
	}
	for round := 0; round < 2; round++ { // the second round is served from the cache
		for _, q := range questions {
			h := []string{"Accept-Language", q.lang}
			if q.token != "" {
				h = append(h, "Authorization", "Bearer "+q.token)
			}
			got, want := do(t, env.app, get(q.path, h...)), do(t, plain.app, get(q.path, h...))
			wantStatus(t, got, http.StatusOK)
			if strip(got.body) != strip(want.body) {
				t.Fatalf("round %d, %s (%s): cached answer\n%s\nwant\n%s", round, q.path, q.lang, got.body, want.body)
			}
			if got.Header.Get("Content-Language") != want.Header.Get("Content-Language") || got.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
				t.Fatalf("round %d, %s: headers %v, want %v", round, q.path, got.Header, want.Header)
			}
			for _, personal := range []string{"0912", "reporter", "contact", "Nguyễn Thị Mai"} {
				if strings.Contains(string(got.body), personal) {
					t.Fatalf("%s: the public answer holds %q: %s", q.path, personal, got.body)
				}
			}
		}
	}
}

// Many clients at once on a real listener while reports arrive: every
// answer is a well-formed page, and once the writes are done every client
// sees all of them.
func TestPublicCache_ConcurrentReadersAndWriters(t *testing.T) {
	env := newEnv(t, "sqlite", withPublicCache(time.Hour))
	citizen := registerCitizen(t, env, "0912 345 604", "ngap-nuoc-2026")
	coord := staff(t, env, identity.RoleCoordinator, "dieu-phoi@camau.gov.vn", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go env.app.Listener(ln)
	t.Cleanup(func() { env.app.Shutdown() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second}
	const writes = 8
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 64)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				path := []string{"/v1/reports", "/v1/reports?limit=5", "/v1/reports.geojson"}[w%3]
				res, err := client.Get(base + path)
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("{")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("}")) {
					errs <- fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
					return
				}
			}
		}(w)
	}
	for i := 1; i <= writes; i++ {
		body := strings.NewReader(fmt.Sprintf(`{"category_code":"dien-chieu-sang","description":"Đèn đường không sáng, lần %d","location":{"lat":9.17,"lng":105.15}}`, i))
		rq, _ := http.NewRequest(http.MethodPost, base+"/v1/reports", body)
		rq.Header.Set("Content-Type", "application/json")
		rq.Header.Set("Authorization", "Bearer "+citizen.AccessToken)
		res, err := client.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			ID string `json:"id"`
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || jsonUnmarshal(b, &out) != nil {
			t.Fatalf("submit %d: %d %s", i, res.StatusCode, b)
		}
		rq, _ = http.NewRequest(http.MethodPost, base+"/v1/reports/"+out.ID+"/transitions", strings.NewReader(`{"action":"dispatch"}`))
		rq.Header.Set("Content-Type", "application/json")
		rq.Header.Set("Authorization", "Bearer "+coord.AccessToken)
		if res, err = client.Do(rq); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("dispatch %d: %d", i, res.StatusCode)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, path := range []string{"/v1/reports", "/v1/reports.geojson"} {
		res, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if n := strings.Count(string(b), `"tracking_code"`); n != writes {
			t.Fatalf("%s after %d writes lists %d reports", path, writes, n)
		}
	}
}
