package api

import (
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Public list cache.
//
// The public feed and its GeoJSON are the same for everyone who asks the
// same question in the same language: they carry no personal data and do
// not depend on who asks. Their first pages are what every app opens on,
// so the service keeps each answer for a moment (Config.PublicCacheTTL, a
// second by default in cmd/camaug) instead of reading the same rows for
// every phone. An answer is never older than that:
//
//   - on this instance, any write request (any method but GET, HEAD or
//     OPTIONS, API or console) empties the cache when it completes, so a
//     person who reports or a coordinator who dispatches sees the change at
//     once;
//   - another instance's writes, and the service's own background changes
//     (deadline sweeps), show within the TTL.
//
// The cache is bounded (publicCacheEntries answers, publicCacheBytes
// bytes, answers dropped at random past that); a question asked by many at once is read once while the others
// wait for it (publicCacheWait at most). A request that varies its query
// to miss the cache costs what it would without it.

const (
	publicCacheEntries = 2048
	publicCacheBytes   = 32 << 20
	publicCacheWait    = 2 * time.Second
)

// publicCache holds recent answers of the cached routes.
type publicCache struct {
	ttl time.Duration
	now func() time.Time
	// gen counts the writes seen; an answer read under an older
	// generation is not served.
	gen atomic.Uint64

	mu      sync.Mutex
	entries map[string]*publicAnswer
	bytes   int
	flights map[string]chan struct{} // questions being answered now
	hits    atomic.Int64             // for tests and the harness
}

type publicAnswer struct {
	body        []byte
	contentType string
	gen         uint64
	expires     time.Time
}

// newPublicCache returns a cache keeping answers for ttl; nil (no cache)
// when ttl is not positive.
func newPublicCache(ttl time.Duration) *publicCache {
	if ttl <= 0 {
		return nil
	}
	return &publicCache{ttl: ttl, now: time.Now, entries: map[string]*publicAnswer{}, flights: map[string]chan struct{}{}}
}

// invalidateOnWrite is the app-wide middleware that empties the cache once
// a write request has been handled (its effects committed or not: a write
// that failed changes nothing, and one more miss costs little).
func (pc *publicCache) invalidateOnWrite(c *fiber.Ctx) error {
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		pc.gen.Add(1)
	}
	return err
}

// cached serves h's answers from the cache for GET requests. h must answer
// the same to everyone (no principal, no personal data) and may depend
// only on the path, the query string and the language.
func (pc *publicCache) cached(h fiber.Handler) fiber.Handler {
	if pc == nil {
		return h
	}
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet {
			return h(c)
		}
		key := pc.key(c)
		deadline := pc.now().Add(publicCacheWait)
		for {
			gen := pc.gen.Load()
			pc.mu.Lock()
			if a := pc.entries[key]; a != nil && a.gen == gen && pc.now().Before(a.expires) {
				pc.mu.Unlock()
				pc.hits.Add(1)
				localized(c) // its Content-Language and Vary, as h sets them
				c.Set(fiber.HeaderContentType, a.contentType)
				c.Response().SetBody(a.body)
				return nil
			}
			wait, busy := pc.flights[key]
			if busy && pc.now().Before(deadline) {
				pc.mu.Unlock()
				select {
				case <-wait:
					continue // answered: look again
				case <-time.After(time.Until(deadline)):
					return h(c)
				case <-c.UserContext().Done():
					return c.UserContext().Err()
				}
			}
			if busy {
				pc.mu.Unlock()
				return h(c)
			}
			done := make(chan struct{})
			pc.flights[key] = done
			pc.mu.Unlock()
			err := h(c)
			pc.mu.Lock()
			delete(pc.flights, key)
			if err == nil && c.Response().StatusCode() == fiber.StatusOK && !c.Response().IsBodyStream() {
				pc.store(key, &publicAnswer{body: append([]byte(nil), c.Response().Body()...),
					contentType: string(c.Response().Header.ContentType()), gen: gen, expires: pc.now().Add(pc.ttl)})
			}
			pc.mu.Unlock()
			close(done)
			return err
		}
	}
}

// store keeps a, making room by dropping answers at random (a map's order)
// when the cache is full. Called with mu held.
func (pc *publicCache) store(key string, a *publicAnswer) {
	if len(a.body) > publicCacheBytes/16 {
		return
	}
	if old := pc.entries[key]; old != nil {
		pc.bytes -= len(old.body)
		delete(pc.entries, key)
	}
	for k, e := range pc.entries {
		if len(pc.entries) < publicCacheEntries && pc.bytes+len(a.body) <= publicCacheBytes {
			break
		}
		pc.bytes -= len(e.body)
		delete(pc.entries, k)
	}
	pc.entries[key] = a
	pc.bytes += len(a.body)
}

// key is the question: the language the answer is in, the path and the
// query's parameters in a fixed order.
func (pc *publicCache) key(c *fiber.Ctx) string {
	type kv struct{ k, v string }
	var args []kv
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { args = append(args, kv{string(k), string(v)}) })
	sort.SliceStable(args, func(i, j int) bool { return args[i].k < args[j].k })
	var b strings.Builder
	b.WriteString(string(langOf(c)))
	b.WriteByte(' ')
	b.WriteString(c.Path())
	for i, a := range args {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		// Escaped: a value holding "&" or "=" must not read as two
		// parameters, or one question's answer would be served for another.
		b.WriteString(url.QueryEscape(a.k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(a.v))
	}
	return b.String()
}
