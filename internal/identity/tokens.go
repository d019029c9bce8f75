package identity

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"camaug/internal/apperr"
	"camaug/internal/ids"
)

// Keyring signs access tokens with the newest Ed25519 key and verifies them
// with any stored key, so a rotation does not sign anyone out. Keys live in
// the store, shared by every instance; their private halves are sealed with
// a key derived from the configured secret.
type Keyring struct {
	store KeyStore
	kek   []byte

	mu        sync.RWMutex
	public    map[string]ed25519.PublicKey
	order     []string // newest first
	activeKID string
	active    ed25519.PrivateKey
	reloaded  time.Time
}

// NewKeyring loads the signing keys, making the first one if there is none.
// secret seals the private keys; it must be the same on every instance.
func NewKeyring(ctx context.Context, store KeyStore, secret []byte) (*Keyring, error) {
	if len(secret) == 0 {
		return nil, errors.New("identity: an empty key secret")
	}
	sum := sha256.Sum256(append([]byte("camaug key-encryption v1\x00"), secret...))
	k := &Keyring{store: store, kek: sum[:]}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if k.active == nil {
		if _, err := k.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Rotate makes a new signing key and signs with it from now on, here and,
// within a minute, on every other instance.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	sealed, err := k.seal(priv.Seed())
	if err != nil {
		return "", err
	}
	kid := ids.New()
	if err := k.store.AddSigningKey(ctx, SigningKey{KID: kid, Public: pub, SealedPrivate: sealed, CreatedAt: time.Now().UTC()}); err != nil {
		return "", err
	}
	return kid, k.reload(ctx)
}

func (k *Keyring) reload(ctx context.Context) error {
	keys, err := k.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	public := make(map[string]ed25519.PublicKey, len(keys))
	var order []string
	var activeKID string
	var active ed25519.PrivateKey
	for _, sk := range keys {
		public[sk.KID] = sk.Public
		order = append(order, sk.KID)
		if active == nil {
			seed, err := k.open(sk.SealedPrivate)
			if err != nil {
				return fmt.Errorf("identity: signing key %s was sealed with another key secret (CAMAUG_KEY_SECRET): %w", sk.KID, err)
			}
			active, activeKID = ed25519.NewKeyFromSeed(seed), sk.KID
		}
	}
	k.mu.Lock()
	k.public, k.order, k.active, k.activeKID, k.reloaded = public, order, active, activeKID, time.Now()
	k.mu.Unlock()
	return nil
}

func (k *Keyring) seal(plain []byte) ([]byte, error) {
	block, err := aes.NewCipher(k.kek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, []byte("camaug signing key")), nil
}

func (k *Keyring) open(sealed []byte) ([]byte, error) {
	block, err := aes.NewCipher(k.kek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte("camaug signing key"))
}

// publicKey returns the key for kid, reloading from the store (at most
// every 10 s) when it is unknown, so another instance's rotation is seen.
func (k *Keyring) publicKey(ctx context.Context, kid string) (ed25519.PublicKey, bool) {
	k.mu.RLock()
	pub, ok := k.public[kid]
	stale := time.Since(k.reloaded) > 10*time.Second
	k.mu.RUnlock()
	if ok || !stale {
		return pub, ok
	}
	if err := k.reload(ctx); err != nil {
		return nil, false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	pub, ok = k.public[kid]
	return pub, ok
}

func (k *Keyring) signer(ctx context.Context) (string, ed25519.PrivateKey) {
	k.mu.RLock()
	stale := time.Since(k.reloaded) > time.Minute
	k.mu.RUnlock()
	if stale {
		k.reload(ctx) // keep signing with the old key if the store is away
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.activeKID, k.active
}

// JWK is a public key in JSON Web Key form (RFC 8037).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// JWKS returns every public key, newest first.
func (k *Keyring) JWKS() []JWK {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]JWK, 0, len(k.order))
	for _, kid := range k.order {
		out = append(out, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.public[kid]), Kid: kid, Use: "sig", Alg: "EdDSA"})
	}
	return out
}

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
	// Gen is the account's TokenGeneration when the token was issued.
	Gen int64 `json:"gen,omitempty"`
}

// issueAccess signs an access token for u.
func (s *Service) issueAccess(ctx context.Context, u *User) (string, error) {
	kid, key := s.keys.signer(ctx)
	now := s.now()
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			Subject:   u.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			ID:        ids.New(),
		},
		Role: string(u.Role),
		Gen:  u.TokenGeneration,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return signed, nil
}

// parseAccess verifies an access token strictly: EdDSA only, a known kid,
// our issuer and audience, an expiry (with 30 s of leeway for clocks).
func (s *Service) parseAccess(ctx context.Context, raw string) (*accessClaims, error) {
	var claims accessClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" {
			return nil, errors.New("no kid")
		}
		pub, ok := s.keys.publicKey(ctx, kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return pub, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil || claims.Subject == "" {
		return nil, ErrUnauthenticated()
	}
	return &claims, nil
}

// newRefreshToken returns a random opaque token and its stored hash.
func newRefreshToken() (token, hash string) {
	token = randomToken()
	return token, hashToken(token)
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
