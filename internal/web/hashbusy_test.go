package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
)

// TestSignInWhenHashingIsBusy: when more staff sign in at once than the
// password-hashing budget allows, those who find no slot get the sign-in
// form again with status 503, Retry-After and a message saying to try
// again, never a 500 page and never a session.
func TestSignInWhenHashingIsBusy(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := startWith(t, db, []string{"127.0.0.1"}, func(c *identity.Config) {
		c.HashMemoryMiB = identity.HashMemoryMiB // one hash at a time
		c.HashWait = time.Millisecond
		c.MaxFailuresPerAccount = 100 // every attempt counts, and this test is not about that limit
	})
	const n = 8
	clients := make([]*browserless, n)
	forms := make([]url.Values, n)
	for i := range clients {
		clients[i] = e.client(t)
		_, page := clients[i].get("/console/login")
		forms[i] = url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {coordEmail}, "password": {staffPassword}, "next": {"/console/"}}
	}
	type result struct {
		status     int
		retryAfter string
		body       string
		session    bool
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, body := clients[i].do("POST", "/console/login", forms[i], nil)
			results[i] = result{res.StatusCode, res.Header.Get("Retry-After"), body, sessionCookie(res) != nil}
		}()
	}
	close(start)
	wg.Wait()
	busy := 0
	for _, r := range results {
		switch r.status {
		case http.StatusSeeOther:
			if !r.session {
				t.Errorf("signed in without a session cookie")
			}
		case http.StatusServiceUnavailable:
			busy++
			if r.session || r.retryAfter == "" || !strings.Contains(r.body, "signin-error") || !strings.Contains(r.body, "Máy chủ đang bận") {
				t.Errorf("503 sign-in: session %v, Retry-After %q, want the form with the busy message and no session; body %.300s", r.session, r.retryAfter, r.body)
			}
		default:
			t.Errorf("got status %d, want 303 or 503", r.status)
		}
	}
	if busy == 0 {
		t.Errorf("%d sign-ins at once with room for one hash and a 1 ms wait: none was refused", n)
	}
}

// TestConsole_FormBodyLimit: the console's form posts share the API's body
// limit: a sign-in form padded past 256 KiB is refused with 413 before it is
// read, and signs nobody in.
func TestConsole_FormBodyLimit(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	_, page := b.get("/console/login")
	// Declare a 300 KiB form and send none of it: the answer must come
	// before the body is read. (Body bytes the server never reads make its
	// close after the 413 a reset, which can reach the client first.)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /console/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n",
		strings.TrimPrefix(e.base, "http://"), 300<<10)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || sessionCookie(res) != nil {
		t.Fatalf("a 300 KiB sign-in form: got %d (session %v), want 413 and no session", res.StatusCode, sessionCookie(res) != nil)
	}
	res, _ = b.do("POST", "/console/login", url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {coordEmail},
		"password": {staffPassword}, "next": {"/console/"}}, nil)
	if res.StatusCode != http.StatusSeeOther || sessionCookie(res) == nil {
		t.Fatalf("the same form without padding: got %d, want 303 with a session", res.StatusCode)
	}
}
