package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format, at the
// production cost (argonMemory KiB, argonTime passes).
func HashPassword(password string) string {
	return hashPasswordCost(password, ArgonCost{})
}

// ArgonCost is the cost of new password hashes. The zero value is the
// production cost (OWASP's minimum: 19 MiB, 2 passes); a cheaper one is for
// tests only, where the race detector makes each hash take seconds.
// Verification reads the cost from the stored hash, so hashes of any cost
// keep verifying.
type ArgonCost struct {
	MemoryKiB uint32
	Time      uint32
}

func (c ArgonCost) orDefault() ArgonCost {
	if c.MemoryKiB == 0 {
		c.MemoryKiB = argonMemory
	}
	if c.Time == 0 {
		c.Time = argonTime
	}
	return c
}

func hashPasswordCost(password string, cost ArgonCost) string {
	cost = cost.orDefault()
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, cost.Time, cost.MemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, cost.MemoryKiB, cost.Time, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// dummyHash is verified against when the login does not exist, so a wrong
// login and a wrong password take the same time.
var dummyHash = HashPassword("camaug-no-such-account")

// VerifyPassword reports whether password matches the PHC hash.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 10 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// readable has no letters or digits that are easily confused when read
// aloud or copied by hand (0/o, 1/l/i).
const readable = "abcdefghjkmnpqrstuvwxyz23456789"

// temporaryPassword returns 20 random readable characters in four groups of
// five ("k7m2p-…"), about 99 bits.
func temporaryPassword() string {
	var b strings.Builder
	max := big.NewInt(int64(len(readable)))
	for i := 0; i < 20; i++ {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
		b.WriteByte(readable[n.Int64()])
	}
	return b.String()
}
