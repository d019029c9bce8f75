package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileLoad runs the real program (built without the race detector,
// so its memory is what production would use) on the embedded store and
// hits it with 300 concurrent registrations (each an argon2id hash) and 200
// slow-body clients at once, probing /healthz every 100 ms. The server's
// peak RSS (VmHWM from /proc) must stay under 400 MB and /healthz must
// answer within 1 s throughout; registrations succeed or are refused with
// 503/429, never 500.
//
// CAMAUG_HOSTILE_DURATION (default 4s) sets how long the attack lasts and
// CAMAUG_HOSTILE_SCALE (default 1) multiplies the numbers of clients; see
// README.md for the longer run.
func TestHostileLoad(t *testing.T) {
	duration := 4 * time.Second
	if v := os.Getenv("CAMAUG_HOSTILE_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CAMAUG_HOSTILE_DURATION: %v", err)
		}
		duration = d
	}
	scale := 1
	if v := os.Getenv("CAMAUG_HOSTILE_SCALE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CAMAUG_HOSTILE_SCALE: want a positive integer, got %q", v)
		}
		scale = n
	}
	registrations, slowBodies := 300*scale, 200*scale
	began := time.Now()

	dir := t.TempDir()
	bin := filepath.Join(dir, "camaug")
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the program: %v", err)
	}
	build := exec.Command(gocmd, "build", "-o", dir+"/", ".", "./testdata/probe")
	// CGO off as in deploy/Dockerfile: the tests that build the binary
	// (deploy's static-binary check among them) then share one build cache.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Since(began)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CAMAUG_ADDR=127.0.0.1:0", "CAMAUG_DATA_DIR="+filepath.Join(dir, "data"),
		"CAMAUG_METRICS_ADDR=off", "CAMAUG_KEY_SECRET=hostile-load-test-secret", "CAMAUG_LOG_FORMAT=json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrc <- line.Addr
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start listening within 30 s")
	}
	base := "http://" + addr
	pid := cmd.Process.Pid

	// Clients come from many loopback addresses, as from many phones:
	// registration is limited to 20 per address, connections to 256.
	from := func(i int) *net.TCPAddr {
		return &net.TCPAddr{IP: net.IPv4(127, 1+byte(i/250%200), byte(i/50000), byte(i%250+1))}
	}
	clientFrom := func(i int) *http.Client {
		d := &net.Dialer{LocalAddr: from(i), Timeout: 5 * time.Second}
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1}}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup

	// /healthz every 100 ms, from a process of its own (see testdata/probe).
	var probe struct {
		Probes  int64 `json:"probes"`
		Failed  int64 `json:"failed"`
		WorstMS int64 `json:"worst_ms"`
	}
	probeCmd := exec.Command(filepath.Join(dir, "probe"), base+"/healthz", (duration + 5*time.Second).String())
	probeOut, err := probeCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := probeCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probeCmd.Process.Kill(); probeCmd.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := json.NewDecoder(probeOut).Decode(&probe); err != nil {
			t.Errorf("reading the probe's result: %v", err)
		}
	}()

	// RSS sampled every 50 ms (VmHWM, read at the end, is the true peak).
	var maxRSS atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if kb := procStatusKB(pid, "VmRSS"); kb > maxRSS.Load() {
				maxRSS.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	// 200 slow-body clients: half declare 250 KiB of JSON (just under the
	// limit), half a 10 MB photo upload, send the first 16 KiB and then a
	// byte every 200 ms, holding their connection for the whole attack.
	var slowOpened, slowRefused atomic.Int64
	for i := range slowBodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{LocalAddr: from(10000 + i), Timeout: 5 * time.Second}
			c, err := d.Dial("tcp", addr)
			if err != nil {
				slowRefused.Add(1)
				return
			}
			defer c.Close()
			slowOpened.Add(1)
			if i%2 == 0 {
				fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 250<<10)
			} else {
				fmt.Fprintf(c, "POST /v1/reports/x/media HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", 10<<20)
			}
			c.Write(bytes.Repeat([]byte(" "), 16<<10))
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
	}

	// 300 concurrent registrations, each worker from its own address,
	// again and again until the attack ends.
	var mu sync.Mutex
	statuses := map[int]int{}
	attack := time.Now()
	deadline := attack.Add(duration)
	for i := range registrations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clientFrom(i)
			for n := 0; n == 0 || time.Now().Before(deadline); n++ {
				body, _ := json.Marshal(map[string]string{"phone": fmt.Sprintf("09%08d", i*1000+n%1000),
					"password": fmt.Sprintf("mat-khau-dai-%d-%d", i, n), "name": "Nguyễn Văn An"})
				res, err := c.Post(base+"/v1/auth/register", "application/json", bytes.NewReader(body))
				status := 0
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					status = res.StatusCode
					if status == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
						t.Errorf("503 without Retry-After")
					}
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Until(deadline))
	close(stop)
	wg.Wait()
	elapsed := time.Since(attack)

	hwm := procStatusKB(pid, "VmHWM")
	t.Logf("build %v; attack %v: %d registration workers, %d slow bodies (%d connected, %d refused)",
		built.Round(time.Millisecond), elapsed.Round(time.Millisecond), registrations, slowBodies, slowOpened.Load(), slowRefused.Load())
	t.Logf("registration statuses %v (0 = no answer)", statuses)
	t.Logf("server peak RSS (VmHWM) %.1f MiB, highest sampled VmRSS %.1f MiB; /healthz %d probes, %d failed, worst %d ms; whole test %v",
		float64(hwm)/1024, float64(maxRSS.Load())/1024, probe.Probes, probe.Failed, probe.WorstMS, time.Since(began).Round(time.Millisecond))

	if hwm == 0 {
		t.Fatal("could not read the server's VmHWM from /proc")
	}
	if peak := max(hwm, maxRSS.Load()); peak >= 400*1000 { // 400 MB
		t.Errorf("server peak RSS %d kB, want under 400 MB", peak)
	}
	if probe.WorstMS >= 1000 || probe.Failed > 0 || probe.Probes < int64(duration/(200*time.Millisecond)) {
		t.Errorf("/healthz: worst %d ms, %d of %d probes failed: want every probe answered within 1 s", probe.WorstMS, probe.Failed, probe.Probes)
	}
	for status, n := range statuses {
		switch status {
		case http.StatusCreated, http.StatusServiceUnavailable, http.StatusTooManyRequests:
		default:
			t.Errorf("%d registrations got %d, want 201, or 503/429 when the server is busy", n, status)
		}
	}
	if statuses[http.StatusCreated] == 0 {
		t.Errorf("no registration succeeded under load")
	}
}

// procStatusKB reads a "kB" field of /proc/<pid>/status (0 if unreadable).
func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
