package identity

import (
	"context"
	"crypto/ed25519"
	"time"
)

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores u. Returns ECONFLICT if its email, phone or device
	// is already another account's.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns ENOTFOUND if no account has the id.
	GetUser(ctx context.Context, id string) (*User, error)
	// FindUser returns the account with the email, phone or device hash set
	// in l (exactly one of them), or ENOTFOUND.
	FindUser(ctx context.Context, l LoginKey) (*User, error)
	// ListUsers returns accounts in ID order after f.After, at most f.Limit.
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	// UpdateUser writes u if the stored version is u.Version, and bumps
	// u.Version. Returns ENOTFOUND, ECONFLICT on a stale version or a login
	// taken by another account.
	UpdateUser(ctx context.Context, u *User) error
	// CountActiveAdmins counts enabled accounts of role admin.
	CountActiveAdmins(ctx context.Context) (int, error)
}

// LoginKey names an account by one of its logins.
type LoginKey struct {
	Email, Phone, DeviceHash string
}

// UserFilter selects accounts to list.
type UserFilter struct {
	Role       Role
	AgencyCode string
	After      string // keyset cursor: the last ID of the previous page
	Limit      int
}

// RefreshToken is the stored form of a refresh token: only its hash.
type RefreshToken struct {
	Hash      string // SHA-256 of the token, hex
	FamilyID  string // every token rotated from one login shares it
	UserID    string
	ExpiresAt time.Time
	CreatedAt time.Time
	Used      bool
	Revoked   bool
}

// TokenStore keeps refresh tokens.
type TokenStore interface {
	AddRefreshToken(ctx context.Context, t RefreshToken) error
	// UseRefreshToken marks the token used, atomically, and returns it.
	// Returns ENOTFOUND for an unknown hash, and ECONFLICT (with the token,
	// so its family can be revoked) when it was already used or revoked.
	UseRefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RevokeFamily revokes every token of a family.
	RevokeFamily(ctx context.Context, familyID string) error
	// RevokeUserTokens revokes every token of a user.
	RevokeUserTokens(ctx context.Context, userID string) error
}

// SigningKey is an Ed25519 key pair; the private half is sealed (AES-GCM
// under the key-encryption key) and never stored in the clear.
type SigningKey struct {
	KID           string
	Public        ed25519.PublicKey
	SealedPrivate []byte
	CreatedAt     time.Time
}

// KeyStore keeps signing keys.
type KeyStore interface {
	// SigningKeys returns every key, newest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	AddSigningKey(ctx context.Context, k SigningKey) error
}

// AttemptStore counts failed logins in fixed time windows, shared by every
// instance of the service.
type AttemptStore interface {
	// HitAttempt adds one to the count of key in the window that starts at
	// window, atomically, and returns the new count.
	HitAttempt(ctx context.Context, key string, window time.Time) (int, error)
	// AttemptCount returns the count of key in the window.
	AttemptCount(ctx context.Context, key string, window time.Time) (int, error)
	// ClearAttempts forgets every count of key.
	ClearAttempts(ctx context.Context, key string) error
	// DeleteAttemptsBefore removes the counts of every key in the windows
	// that started before the given time, and returns how many windows
	// (keys with their window) it removed.
	DeleteAttemptsBefore(ctx context.Context, before time.Time) (int, error)
}

// Session is a staff member's signed-in browser session. Only the token's
// hash is stored.
type Session struct {
	Hash   string // SHA-256 hex of the token
	UserID string
	CSRF   string // random token that the console's forms must echo
	// Stamp is a fingerprint of the account's password hash at sign-in: a
	// password change or reset ends the session.
	Stamp     string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute expiry
}

// SessionStore keeps browser sessions. The store keeps what it is given;
// expiry is the service's rule, applied on read and by DeleteExpiredSessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns ENOTFOUND for an unknown hash.
	GetSession(ctx context.Context, hash string) (Session, error)
	// TouchSession sets the session's LastSeen. Returns ENOTFOUND for an
	// unknown hash.
	TouchSession(ctx context.Context, hash string, lastSeen time.Time) error
	// DeleteSession removes one session; a missing one is no error.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions removes every session of a user.
	DeleteUserSessions(ctx context.Context, userID string) error
	// DeleteExpiredSessions removes the sessions past their ExpiresAt at now,
	// or not seen for longer than idle, and returns how many it removed.
	DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error)
}

// Store is every store the identity service needs.
type Store interface {
	UserStore
	TokenStore
	KeyStore
	AttemptStore
	SessionStore
	LinkStore
	OIDCStore // oidcmap.go
}
