// Package ids makes opaque, unique, roughly time-ordered identifiers: 48
// bits of milliseconds and 80 random bits in Crockford base32 (26
// characters, like a ULID), so keyset pagination by ID follows creation
// order.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// New returns a new identifier.
func New() string { return at(time.Now()) }

func at(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	rand.Read(b[6:])
	// 128 bits → 26 base32 digits, most significant first.
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Valid reports whether s looks like an identifier made by New.
func Valid(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u') {
			return false
		}
	}
	return true
}

// After returns a new identifier that sorts after prev. New alone orders
// identifiers only to the millisecond; a log that lists entries by ID needs
// two made in the same millisecond to keep their order too. An empty prev
// gives New().
func After(prev string) string {
	id := New()
	if id > prev || !Valid(prev) {
		return id
	}
	// prev + 1 in base32: the same millisecond (or a clock that stepped
	// back), one random step further.
	b := []byte(prev)
	for i := len(b) - 1; i >= 0; i-- {
		d := strings.IndexByte(alphabet, b[i])
		if d < len(alphabet)-1 {
			b[i] = alphabet[d+1]
			return string(b)
		}
		b[i] = alphabet[0]
	}
	return id // prev was the largest identifier there is
}

// Floor returns the smallest identifier New could make at t: every
// identifier made at t or later sorts at or after it.
func Floor(t time.Time) string {
	id := at(t)
	return id[:10] + strings.Repeat("0", 16)
}

// At returns a new identifier for time t (a record made then, loaded
// later, keeps its place in creation order).
func At(t time.Time) string { return at(t) }
