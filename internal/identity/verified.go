package identity

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedCache remembers access tokens whose signature and claims were
// checked, until they expire, so a client's next requests skip the Ed25519
// verification (about a sixth of a signed-in read's CPU in the load
// harness's profile). It holds no authority of its own: Authenticate still
// reads the account on every call, so disabling an account or changing a
// role applies at once whatever the cache holds. Keyed by the token's
// SHA-256, so a token that differs in one byte is verified afresh; bounded
// in entries, so a flood of distinct valid tokens costs memory once.
type verifiedCache struct {
	mu  sync.RWMutex
	m   map[[sha256.Size]byte]verifiedEntry
	max int
}

type verifiedEntry struct {
	claims accessClaims
	// until is when the token stops being accepted: its expiry plus the
	// leeway parseAccess grants.
	until time.Time
}

// verifiedCacheSize bounds the cache: 20,000 entries of about 200 bytes,
// about 4 MB, more tokens than one instance sees live in an access
// token's lifetime at the province's scale.
const verifiedCacheSize = 20_000

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{m: make(map[[sha256.Size]byte]verifiedEntry), max: max}
}

// get returns the claims of raw when it was verified before and is still
// within its validity at now.
func (c *verifiedCache) get(raw string, now time.Time) (*accessClaims, bool) {
	key := sha256.Sum256([]byte(raw))
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	claims := e.claims
	return &claims, true
}

// put remembers a verified token until until. When full it first drops the
// expired entries, then, if still full, an arbitrary half (map order is
// random), which keeps every operation cheap and the size bounded.
func (c *verifiedCache) put(raw string, claims *accessClaims, until, now time.Time) {
	key := sha256.Sum256([]byte(raw))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max/2 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = verifiedEntry{claims: *claims, until: until}
}

func (c *verifiedCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
