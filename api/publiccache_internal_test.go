package api

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// The key tells apart questions that differ only in how "&" and "=" are
// escaped, and not those that differ only in parameter order.
func TestPublicCacheKey(t *testing.T) {
	app := fiber.New()
	pc := newPublicCache(time.Minute)
	keys := map[string]string{}
	app.Get("/k", func(c *fiber.Ctx) error { return c.SendString(pc.key(c)) })
	keyOf := func(target, lang string) string {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Accept-Language", lang)
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		n, _ := res.Body.Read(b)
		return string(b[:n])
	}
	for _, q := range []struct{ target, lang string }{
		{"/k?q=a%26status%3Dclosed", "vi"}, {"/k?q=a&status=closed", "vi"}, {"/k?q=a&status=closed", "en"},
		{"/k?q=a%3D", "vi"}, {"/k?q%3Da=", "vi"}, {"/k", "vi"},
	} {
		k := keyOf(q.target, q.lang)
		if other, ok := keys[k]; ok {
			t.Fatalf("%s (%s) and %s share the key %q", q.target, q.lang, other, k)
		}
		keys[k] = q.target
	}
	if a, b := keyOf("/k?status=closed&q=a", "vi"), keyOf("/k?q=a&status=closed", "vi"); a != b {
		t.Fatalf("parameter order changes the key: %q, %q", a, b)
	}
}

// The cache holds at most publicCacheEntries answers, however many
// different questions are asked; many callers asking one question at once
// have it answered once.
func TestPublicCacheBounds(t *testing.T) {
	pc := newPublicCache(time.Minute)
	var calls atomic.Int64
	release := make(chan struct{})
	app := fiber.New()
	app.Get("/p", pc.cached(func(c *fiber.Ctx) error {
		calls.Add(1)
		if c.Query("slow") != "" {
			<-release
		}
		return c.SendString("answer " + c.Query("n"))
	}))
	for i := 0; i < publicCacheEntries+300; i++ {
		res, err := app.Test(httptest.NewRequest("GET", fmt.Sprintf("/p?n=%d", i), nil))
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%d: %v %v", i, res, err)
		}
	}
	pc.mu.Lock()
	n, size := len(pc.entries), pc.bytes
	pc.mu.Unlock()
	if n > publicCacheEntries || size > publicCacheBytes {
		t.Fatalf("%d entries, %d bytes: over the bounds", n, size)
	}

	calls.Store(0)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := app.Test(httptest.NewRequest("GET", "/p?slow=1&n=x", nil), -1)
			if err != nil || res.StatusCode != 200 {
				t.Errorf("%v %v", res, err)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // let them all arrive while the first is held
	close(release)
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Fatalf("20 callers of one question ran the handler %d times, want 1", c)
	}
}
