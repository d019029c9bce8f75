package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	driver "go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/notify"
	"camaug/internal/store/mongo/mongotest"
)

const raceAdminPassword = "Race-Admin-Password-42"

// doJSON sends body (JSON) with an optional bearer token and decodes the
// answer into out.
func doJSON(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(data, out)
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// TestInstances_StartTogether starts two servers at the same instant on one
// fresh MongoDB database (FerretDB), several rounds: both come up and
// serve, the reference data is seeded once, one admin exists, and a token
// one issues is accepted by the other (they share the signing key).
// CAMAUG_STARTUP_RACE_ROUNDS (default 3) sets the rounds.
func TestInstances_StartTogether(t *testing.T) {
	rounds := 3
	if v := os.Getenv("CAMAUG_STARTUP_RACE_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CAMAUG_STARTUP_RACE_ROUNDS: want a positive integer, got %q", v)
		}
		rounds = n
	}
	srv := mongotest.Start(t)
	client, err := driver.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	for round := range rounds {
		dbName := fmt.Sprintf("%s_r%d", srv.Database, round)
		getenv := env("CAMAUG_ADDR", "127.0.0.1:0", "MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", dbName,
			"CAMAUG_KEY_SECRET", "race-test-key-secret", "CAMAUG_LEASE_TTL", "2s",
			"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", raceAdminPassword)
		var bases [2]string
		var stops [2]func() error
		var wg sync.WaitGroup
		began := time.Now()
		for i := range bases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bases[i], stops[i] = startServer(t, getenv)
			}()
		}
		wg.Wait()
		t.Logf("round %d: both serving after %s", round, time.Since(began).Round(time.Millisecond))
		var tok tokenPair
		if code := doJSON(t, "POST", bases[0]+"/v1/auth/login", "", map[string]string{"login": "admin@camau.gov.vn", "password": raceAdminPassword}, &tok); code != 200 {
			t.Fatalf("round %d: the admin cannot sign in on the first instance: %d", round, code)
		}
		var counts [2]int
		for i, base := range bases {
			if code := getJSON(t, base+"/readyz", nil); code != 200 {
				t.Fatalf("round %d: instance %d /readyz: %d", round, i, code)
			}
			var me map[string]any
			if code := doJSON(t, "GET", base+"/v1/me", tok.AccessToken, nil, &me); code != 200 {
				t.Fatalf("round %d: instance %d refuses the admin's token from instance 0: %d", round, i, code)
			}
			var cats struct {
				Items []any `json:"items"`
			}
			if code := getJSON(t, base+"/v1/categories", &cats); code != 200 || len(cats.Items) == 0 {
				t.Fatalf("round %d: instance %d categories: %d, %d", round, i, code, len(cats.Items))
			}
			counts[i] = len(cats.Items)
		}
		if counts[0] != counts[1] {
			t.Fatalf("round %d: the instances list %d and %d categories", round, counts[0], counts[1])
		}
		db := client.Database(dbName)
		if n, _ := db.Collection("users").CountDocuments(context.Background(), bson.D{{Key: "role", Value: "admin"}}); n != 1 {
			t.Fatalf("round %d: %d admins, want 1", round, n)
		}
		if n, _ := db.Collection("reference").CountDocuments(context.Background(), bson.D{{Key: "kind", Value: "category"}}); n != int64(counts[0]) {
			t.Fatalf("round %d: %d categories stored, want %d (seeded once)", round, n, counts[0])
		}
		for i, stop := range stops {
			if err := stop(); err != nil {
				t.Fatalf("round %d: instance %d stopped with %v", round, i, err)
			}
		}
	}
}

// receiver is a webhook receiver that counts each delivery ID it answered
// 2xx, and holds the first delivery until the test lets it go or its
// sender disappears (then it is not counted: the sender never learnt it
// arrived).
type receiver struct {
	mu        sync.Mutex
	delivered map[string][]string    // delivery ID → the instances that delivered it
	times     map[string][]time.Time // by instance: when its deliveries were answered
	held      chan string            // the instance whose delivery is held
	heldID    string
	holding   bool
	heldDone  chan struct{}
}

func newReceiver() *receiver {
	return &receiver{delivered: map[string][]string{}, times: map[string][]time.Time{}, held: make(chan string, 1), holding: true,
		heldDone: make(chan struct{})}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	from := r.URL.Query().Get("from")
	if notify.Sign([]byte("instances-webhook-secret"), r.Header.Get(notify.HeaderTimestamp), body) != r.Header.Get(notify.HeaderSignature) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(notify.HeaderDelivery)
	rc.mu.Lock()
	hold := rc.holding
	rc.holding = false
	rc.mu.Unlock()
	if hold {
		rc.mu.Lock()
		rc.heldID = id
		rc.mu.Unlock()
		rc.held <- from
		select {
		case <-r.Context().Done(): // the sender died: nothing was delivered
			close(rc.heldDone)
			return
		case <-time.After(20 * time.Second):
			close(rc.heldDone)
		}
	}
	rc.mu.Lock()
	rc.delivered[id] = append(rc.delivered[id], from)
	rc.times[from] = append(rc.times[from], time.Now())
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TestInstances_KillOneMidDelivery is the several-instances check end to
// end: two real binaries on one FerretDB database, started at the same
// instant; reports submitted through both are each stored once; the
// instance that holds the outbox lease is killed (SIGKILL) in the middle of
// a webhook delivery, and the other takes the outbox over within the lease
// bound and delivers every notification, the interrupted one included,
// exactly once per delivery ID.
func TestInstances_KillOneMidDelivery(t *testing.T) {
	const ttl = 2 * time.Second
	began := time.Now()
	dir := t.TempDir()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the program: %v", err)
	}
	if out, err := exec.Command(gocmd, "build", "-o", dir+"/camaug", ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Since(began)
	srv := mongotest.Start(t)
	rc := newReceiver()
	hook := httptest.NewServer(rc)
	defer hook.Close()

	names := []string{"A", "B"}
	cmds := map[string]*exec.Cmd{}
	logs := map[string]*logBuffer{}
	for _, name := range names {
		cmd := exec.Command(filepath.Join(dir, "camaug"))
		cmd.Env = append(os.Environ(), "CAMAUG_ADDR=127.0.0.1:0", "CAMAUG_METRICS_ADDR=off", "MONGODB_URI="+srv.URI,
			"CAMAUG_MONGODB_DATABASE="+srv.Database, "CAMAUG_KEY_SECRET=instances-test-key-secret",
			"CAMAUG_LEASE_TTL="+ttl.String(), "CAMAUG_ADMIN_EMAIL=admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD="+raceAdminPassword,
			"CAMAUG_WEBHOOK_URL="+hook.URL+"/hook?from="+name, "CAMAUG_WEBHOOK_SECRET=instances-webhook-secret")
		cmd.Dir = dir
		cmds[name], logs[name] = cmd, &logBuffer{}
	}
	pipes := map[string]io.Reader{}
	for _, name := range names { // one right after the other: the same instant, give or take a fork
		pr, err := cmds[name].StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes[name] = pr
		if err := cmds[name].Start(); err != nil {
			t.Fatal(err)
		}
		cmd := cmds[name]
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	base := map[string]string{}
	for _, name := range names {
		base[name] = "http://" + waitAddr(t, pipes[name], logs[name])
	}
	defer func() {
		if t.Failed() {
			for _, name := range names {
				t.Logf("log of %s:\n%s", name, logs[name])
			}
		}
	}()
	started := time.Since(began)

	// Citizens (guest devices) submit through both instances.
	const perInstance = 6
	var submitted []string
	for i := range 2 * perInstance {
		via := names[i%2]
		var g tokenPair
		if code := doJSON(t, "POST", base[via]+"/v1/auth/guest", "", map[string]string{"device_id": fmt.Sprintf("instances-device-%02d", i)}, &g); code != 200 && code != 201 {
			t.Fatalf("guest sign-in via %s: %d", via, code)
		}
		var rep struct {
			ID string `json:"id"`
		}
		body := map[string]any{"category_code": "cap-thoat-nuoc", "title": fmt.Sprintf("Ngập nước số %02d", i),
			"description": "Đường ngập sâu khoảng 40 cm sau mưa, xe máy chết máy.",
			"location":    map[string]float64{"lat": 9.17 + float64(i)*0.003, "lng": 105.15 + float64(i)*0.003}}
		if code := doJSON(t, "POST", base[via]+"/v1/reports", g.AccessToken, body, &rep); code != 201 || rep.ID == "" {
			t.Fatalf("submitting via %s: %d", via, code)
		}
		submitted = append(submitted, rep.ID)
	}
	client, err := driver.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	db := client.Database(srv.Database)
	for i, id := range submitted {
		title := fmt.Sprintf("Ngập nước số %02d", i)
		if n, _ := db.Collection("reports").CountDocuments(context.Background(), bson.D{{Key: "title", Value: title}}); n != 1 {
			t.Fatalf("report %q stored %d times, want once", title, n)
		}
		if n, _ := db.Collection("reports").CountDocuments(context.Background(), bson.D{{Key: "_id", Value: id}}); n != 1 {
			t.Fatalf("report %s stored %d times, want once", id, n)
		}
	}
	if n, _ := db.Collection("reports").CountDocuments(context.Background(), bson.D{}); n != 2*perInstance {
		t.Fatalf("%d reports stored, want %d", n, 2*perInstance)
	}

	// The coordinator's dispatches announce each report to its reporter and
	// its agency: the first half through both instances, then the rest
	// through the survivor.
	var admin tokenPair
	if code := doJSON(t, "POST", base["A"]+"/v1/auth/login", "", map[string]string{"login": "admin@camau.gov.vn", "password": raceAdminPassword}, &admin); code != 200 {
		t.Fatalf("admin sign-in: %d", code)
	}
	dispatch := func(via, id string) {
		t.Helper()
		if code := doJSON(t, "POST", base[via]+"/v1/reports/"+id+"/transitions", admin.AccessToken, map[string]string{"action": "dispatch"}, nil); code != 200 {
			t.Fatalf("dispatch %s via %s: %d", id, via, code)
		}
	}
	for i, id := range submitted[:perInstance] {
		dispatch(names[i%2], id)
	}
	var victim string
	select {
	case victim = <-rc.held:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook delivery within 20 s")
	}
	survivor := map[string]string{"A": "B", "B": "A"}[victim]
	if err := cmds[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	cmds[victim].Wait()
	select {
	case <-rc.heldDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver did not see the killed instance's connection close")
	}
	for _, id := range submitted[perInstance:] {
		dispatch(survivor, id)
	}

	// Every notification stored is delivered once, by delivery ID.
	want := map[string]bool{}
	cur, err := db.Collection("notifications").Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		want[d.ID] = true
	}
	if len(want) < 2*2*perInstance {
		t.Fatalf("%d notifications stored, want one for the reporter and one for the agency of each of %d reports", len(want), 2*perInstance)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.delivered)
		rc.mu.Unlock()
		if got >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id := range want {
		if by := rc.delivered[id]; len(by) != 1 {
			t.Errorf("notification %s delivered %d times (by %v), want once", id, len(by), by)
		}
	}
	if by := rc.delivered[rc.heldID]; len(by) != 1 || by[0] != survivor {
		t.Errorf("the delivery cut by the kill (%s) was delivered by %v, want by the survivor %s", rc.heldID, by, survivor)
	}
	for id := range rc.delivered {
		if !want[id] {
			t.Errorf("delivery %s is no stored notification", id)
		}
	}
	var first time.Time
	for _, at := range rc.times[survivor] {
		if at.After(killed) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	takeover := first.Sub(killed)
	if bound := 2*ttl + ttl/4 + 2*time.Second; first.IsZero() || takeover > bound {
		t.Errorf("the survivor's first delivery came %s after the kill, want within %s (two lease terms and a check, plus slack)", takeover, bound)
	}
	t.Logf("built in %s, both serving after %s; %d notifications delivered once each; %s killed mid-delivery, %s delivered %s later; whole test %s",
		built.Round(time.Millisecond), (started - built).Round(time.Millisecond), len(want), victim, survivor, takeover.Round(time.Millisecond),
		time.Since(began).Round(time.Millisecond))
}
