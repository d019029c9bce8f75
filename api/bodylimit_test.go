package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/feedback"
)

// serveOn starts app on a real listener (wrapped by LimitListener with
// lim) and returns its address.
func serveOn(t *testing.T, app *fiber.App, lim api.ConnLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(api.LimitListener(ln, lim))
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	return ln.Addr().String()
}

// rawResponse reads one HTTP response from conn, then reports whether the
// server closed the connection after it.
func rawResponse(t *testing.T, conn net.Conn) (*http.Response, []byte, bool) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// Closed: EOF, or a reset when the server closed with body unread.
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = br.ReadByte()
	var ne net.Error
	return res, body, err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func wantRawProblem(t *testing.T, res *http.Response, body []byte, status int) {
	t.Helper()
	if res.StatusCode != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("got %d %s %s, want a %d problem", res.StatusCode, res.Header.Get("Content-Type"), body, status)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Status != status || p.Detail == "" {
		t.Fatalf("problem %s: want status %d and a detail", body, status)
	}
}

// TestRequestBodies: body limits per route, read through the real app on a
// real listener.
func TestRequestBodies(t *testing.T) {
	env := newEnv(t, "sqlite")
	app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
		Surveys: env.surveys, Ready: env.store.Ping, ReadTimeout: 700 * time.Millisecond, BodyMemory: 300 << 10})
	addr := serveOn(t, app, api.ConnLimits{})
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("declared length over the limit is refused before the body", func(t *testing.T) {
		c := dial()
		start := time.Now()
		fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nAccept-Language: en\r\n\r\n{", 16<<20)
		res, body, closed := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusRequestEntityTooLarge)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("413 took %v, want it at once (the body was never sent)", d)
		}
		if !closed {
			t.Errorf("the connection stayed open after a refused body")
		}
	})

	t.Run("chunked body cut at the limit", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		chunk := strings.Repeat("a", 32<<10)
		go func() {
			for range 12 { // 384 KiB, over the 256 KiB limit
				if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
					return
				}
			}
			fmt.Fprintf(c, "0\r\n\r\n")
		}()
		res, body, closed := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusRequestEntityTooLarge)
		if !closed {
			t.Errorf("the connection stayed open after a refused body")
		}
	})

	t.Run("a body under the limit still works, chunked too", func(t *testing.T) {
		c := dial()
		js := `{"login":"0912000000","password":"khong-co-tai-khoan"}`
		fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(js), js)
		res, body, _ := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusUnauthorized) // read, decoded, checked: the login is unknown
	})

	t.Run("slow body is cut by the read timeout", func(t *testing.T) {
		c := dial()
		start := time.Now()
		fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a byte every 50 ms: it would take well over an hour
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		res, body, closed := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusRequestTimeout)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the slow body was cut after %v, want about the 700 ms read timeout", d)
		}
		if !closed {
			t.Errorf("the connection stayed open after a cut body")
		}
	})

	t.Run("bodies share a memory budget", func(t *testing.T) {
		// The first client reserves 200 KiB of the 300 KiB budget and sends
		// slowly; a second one declaring 200 KiB waits a second, then gets
		// 503. (fasthttp prefetches 8 KiB before any handler: both send
		// 16 KiB so they reach the budget.)
		app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
			Surveys: env.surveys, Ready: env.store.Ping, ReadTimeout: 5 * time.Second, BodyMemory: 300 << 10})
		addr := serveOn(t, app, api.ConnLimits{})
		open := func() net.Conn {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 200<<10, strings.Repeat(" ", 16<<10))
			return c
		}
		open()
		time.Sleep(200 * time.Millisecond) // let the server reserve it (the test's only ordering need)
		c := open()
		start := time.Now()
		res, body, _ := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusServiceUnavailable)
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("503 without Retry-After")
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("503 after %v: want it after the one-second wait, well before the read timeout", d)
		}
	})

	t.Run("compressed bodies are refused", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}")
		res, body, _ := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusBadRequest)
	})

	t.Run("photo upload over the JSON limit still works", func(t *testing.T) {
		cit := registerCitizen(t, env, "0912345670", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		photo := noisyJPEG(1600, 1200) // a phone-like photo of about 1 MB, four times the JSON limit
		if len(photo) < 2*api.DefaultJSONBodyLimit {
			t.Fatalf("fixture is %d bytes, want it over the JSON limit", len(photo))
		}
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		part, _ := w.CreateFormFile("file", "IMG_0002.jpg")
		part.Write(photo)
		w.Close()
		r, _ := http.NewRequest("POST", "http://"+addr+"/v1/reports/"+rep.ID+"/media", &body)
		r.Header.Set("Content-Type", w.FormDataContentType())
		r.Header.Set("Authorization", "Bearer "+cit.AccessToken)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("upload of a %d-byte photo: %d %s", len(photo), res.StatusCode, b)
		}
		var out struct {
			Width, Height int
		}
		json.Unmarshal(b, &out)
		if out.Width != 1600 || out.Height != 1200 {
			t.Errorf("stored %dx%d, want 1600x1200", out.Width, out.Height)
		}
	})

	t.Run("photo upload over its own limit", func(t *testing.T) {
		c := dial()
		fmt.Fprintf(c, "POST /v1/reports/x/media HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", 11<<20)
		res, body, _ := rawResponse(t, c)
		wantRawProblem(t, res, body, http.StatusRequestEntityTooLarge)
	})
}

// noisyJPEG is a w×h JPEG with enough texture to weigh what a phone photo
// does.
func noisyJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x + r.IntN(60)), uint8(y + r.IntN(60)), uint8(r.IntN(255)), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes()
}

// TestConnectionCaps: the 257th connection from one address is refused
// while another address is still served, and a trusted proxy is not capped.
func TestConnectionCaps(t *testing.T) {
	env := newEnv(t, "sqlite")
	app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
		Surveys: env.surveys, Ready: env.store.Ping})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(api.LimitListener(ln, api.ConnLimits{TrustedProxies: []string{"127.0.0.3"}}))
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	addr := ln.Addr().String()
	dialFrom := func(local string) net.Conn {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	healthz := func(c net.Conn) *http.Response {
		t.Helper()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	for i := range api.DefaultMaxConnsPerAddr {
		c := dialFrom("127.0.0.1")
		if i == 0 || i == api.DefaultMaxConnsPerAddr-1 {
			if res := healthz(c); res.StatusCode != http.StatusOK {
				t.Fatalf("connection %d: got %d, want 200", i+1, res.StatusCode)
			}
		}
	}
	if res := healthz(dialFrom("127.0.0.1")); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("connection %d from one address: got %d, want 429 with Retry-After", api.DefaultMaxConnsPerAddr+1, res.StatusCode)
	}
	if res := healthz(dialFrom("127.0.0.2")); res.StatusCode != http.StatusOK {
		t.Fatalf("another address: got %d, want 200", res.StatusCode)
	}
	for i := range api.DefaultMaxConnsPerAddr + 2 {
		c := dialFrom("127.0.0.3")
		if i == api.DefaultMaxConnsPerAddr+1 {
			if res := healthz(c); res.StatusCode != http.StatusOK {
				t.Fatalf("trusted proxy's connection %d: got %d, want 200", i+1, res.StatusCode)
			}
		}
	}
}
