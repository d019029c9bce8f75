// Package apiclient holds the machine clients of the service: other
// provincial systems (the LGSP integration platform, Open311 clients) that
// call the API with a key instead of a person's token. A key is shown once,
// stored only as its SHA-256 hash, carries scopes and a per-client rate
// limit, and can be rotated and revoked. A client may also subscribe to the
// signed webhooks.
package apiclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// Scope is one thing a client may do.
type Scope string

// The scopes.
const (
	ScopeStatsRead    Scope = "stats:read"    // /v1/stats/*: aggregate figures and changes of published reports
	ScopeReportsRead  Scope = "reports:read"  // read published reports (the public views, by key)
	ScopeOpen311Write Scope = "open311:write" // POST /open311/v2/requests
	ScopeWebhooks     Scope = "webhooks"      // receive the signed webhooks (a subscription)
)

// Scopes lists every scope, in the order the documents show them.
var Scopes = []Scope{ScopeStatsRead, ScopeReportsRead, ScopeOpen311Write, ScopeWebhooks}

// Webhook events a subscription may filter on: "report." + the workflow
// action (report.dispatch, report.resolve...). An empty filter is every
// event.
const eventPrefix = "report."

// Subscription is where and what a client receives of the webhooks.
type Subscription struct {
	URL string
	// Secret signs each delivery (HMAC-SHA256, notify.Sign). It is kept
	// as given, since signing needs it; it is shown once, when made.
	Secret string
	// Events ("report.dispatch"...), Parties ("agency", "reporter") and
	// Agencies (agency codes) filter the notifications; empty is all.
	Events   []string
	Parties  []string
	Agencies []string
}

// Client is one machine client.
type Client struct {
	ID     string
	Name   string
	Scopes []Scope
	// RateLimit is the requests a minute the client may make.
	RateLimit int
	// KeyHash is hex(SHA-256) of the current key's secret part.
	KeyHash string
	// PrevKeyHash is the key rotated away, valid until PrevKeyUntil.
	PrevKeyHash  string
	PrevKeyUntil time.Time
	CreatedAt    time.Time
	RotatedAt    *time.Time
	RevokedAt    *time.Time
	LastUsedAt   *time.Time
	Webhook      *Subscription
}

// Has reports whether c holds scope s.
func (c *Client) Has(s Scope) bool { return slices.Contains(c.Scopes, s) }

// Revoked reports whether c's keys were revoked.
func (c *Client) Revoked() bool { return c.RevokedAt != nil }

// Store keeps the clients.
type Store interface {
	// CreateClient stores a new client; ECONFLICT if its ID exists.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns a client; ENOTFOUND if there is none.
	GetClient(ctx context.Context, id string) (*Client, error)
	// ListClients returns every client, by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient replaces a client's fields, all but LastUsedAt;
	// ENOTFOUND if there is none.
	UpdateClient(ctx context.Context, c *Client) error
	// TouchClient records a use at at; ENOTFOUND if there is none.
	TouchClient(ctx context.Context, id string, at time.Time) error
}

// Defaults and bounds.
const (
	DefaultRateLimit = 600
	MaxRateLimit     = 100000
	// DefaultOverlap is how long a rotated-away key keeps working, so the
	// other system can switch without an outage; MaxOverlap bounds what
	// an admin may ask. Zero revokes the old key at once.
	DefaultOverlap = time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
	// touchEvery spaces the last-used writes: at most one a minute per
	// client, so a busy client does not write on every call.
	touchEvery = time.Minute
)

// KeyPrefix starts every key: "cmg_<client id>_<secret>".
const KeyPrefix = "cmg_"

// Service manages clients.
type Service struct {
	Store Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Input is what an admin sets on a client.
type Input struct {
	Name      string
	Scopes    []string
	RateLimit int // 0: DefaultRateLimit
	Webhook   *WebhookInput
}

// WebhookInput is a subscription as an admin gives it; the secret is made
// by the service.
type WebhookInput struct {
	URL      string
	Events   []string
	Parties  []string
	Agencies []string
}

// Check validates in, naming each bad field.
func Check(in Input) error {
	if fs := CheckFields(in); len(fs) > 0 {
		return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	return nil
}

// CheckFields lists in's bad fields.
func CheckFields(in Input) []apperr.FieldError {
	var fs []apperr.FieldError
	bad := func(field, vi, en string) { fs = append(fs, apperr.FieldError{Field: field, Message: i18n.T(vi, en)}) }
	name := strings.TrimSpace(in.Name)
	if name == "" || len([]rune(name)) > 200 {
		bad("name", "Cần tên, tối đa 200 ký tự", "is required, at most 200 characters")
	}
	if len(in.Scopes) == 0 {
		bad("scopes", "Cần ít nhất một quyền", "needs at least one scope")
	}
	for _, sc := range in.Scopes {
		if !slices.Contains(Scopes, Scope(sc)) {
			bad("scopes", "Quyền không hợp lệ: "+sc, "unknown scope: "+sc)
		}
	}
	if in.RateLimit < 0 || in.RateLimit > MaxRateLimit {
		bad("rate_limit", "Từ 1 đến 100000 yêu cầu mỗi phút", "must be 1 to 100000 requests a minute")
	}
	if w := in.Webhook; w != nil {
		if !slices.Contains(in.Scopes, string(ScopeWebhooks)) {
			bad("webhook", "Cần quyền webhooks", "needs the webhooks scope")
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(w.URL) > 1000 || u.User != nil {
			bad("webhook.url", "Phải là địa chỉ http(s), tối đa 1000 ký tự", "must be an http(s) URL of at most 1000 characters")
		}
		for _, e := range w.Events {
			if !strings.HasPrefix(e, eventPrefix) || len(e) > 64 || len(e) == len(eventPrefix) {
				bad("webhook.events", "Sự kiện không hợp lệ: "+e, "unknown event: "+e)
			}
		}
		for _, p := range w.Parties {
			if p != "agency" && p != "reporter" {
				bad("webhook.parties", "Chỉ nhận agency hoặc reporter", "must be agency or reporter")
			}
		}
		for _, a := range w.Agencies {
			if a == "" || len(a) > 64 {
				bad("webhook.agencies", "Mã cơ quan không hợp lệ", "is not an agency code")
			}
		}
	}
	return fs
}

// Created is a client with its key and webhook secret, shown once.
type Created struct {
	Client        *Client
	Key           string
	WebhookSecret string
}

func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func normScopes(in []string) []Scope {
	var out []Scope
	for _, s := range Scopes { // the documents' order, no duplicates
		if slices.Contains(in, string(s)) {
			out = append(out, s)
		}
	}
	return out
}

// Create makes a client and its first key.
func (s *Service) Create(ctx context.Context, in Input) (*Created, error) {
	if err := Check(in); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	c := &Client{ID: ids.New(), Name: strings.TrimSpace(in.Name), Scopes: normScopes(in.Scopes), RateLimit: in.RateLimit, CreatedAt: now}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	secret := newSecret()
	c.KeyHash = hashSecret(secret)
	out := &Created{Client: c, Key: KeyPrefix + c.ID + "_" + secret}
	if w := in.Webhook; w != nil {
		c.Webhook = &Subscription{URL: w.URL, Secret: newSecret(), Events: w.Events, Parties: w.Parties, Agencies: w.Agencies}
		out.WebhookSecret = c.Webhook.Secret
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	return out, nil
}

// Get returns a client; ENOTFOUND if there is none.
func (s *Service) Get(ctx context.Context, id string) (*Client, error) {
	if !ids.Valid(id) {
		return nil, errNotFound()
	}
	return s.Store.GetClient(ctx, id)
}

// List returns every client.
func (s *Service) List(ctx context.Context) ([]Client, error) { return s.Store.ListClients(ctx) }

// Rotate gives a client a new key. The old one keeps working for overlap
// (at most MaxOverlap; zero ends it at once). A revoked client cannot be
// rotated back to life: ECONFLICT.
func (s *Service) Rotate(ctx context.Context, id string, overlap time.Duration) (*Created, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return nil, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), apperr.FieldError{Field: "overlap_seconds",
			Message: i18n.T("Từ 0 đến 604800 giây", "must be 0 to 604800 seconds")})
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Revoked() {
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Khóa của ứng dụng này đã bị thu hồi", "this client's keys were revoked"))
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	secret := newSecret()
	c.PrevKeyHash, c.PrevKeyUntil = c.KeyHash, now.Add(overlap)
	if overlap == 0 {
		c.PrevKeyHash, c.PrevKeyUntil = "", time.Time{}
	}
	c.KeyHash, c.RotatedAt = hashSecret(secret), &now
	if err := s.Store.UpdateClient(ctx, c); err != nil {
		return nil, err
	}
	return &Created{Client: c, Key: KeyPrefix + c.ID + "_" + secret}, nil
}

// Revoke ends every key of a client at once. Revoking twice is no error.
func (s *Service) Revoke(ctx context.Context, id string) (*Client, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Revoked() {
		return c, nil
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	c.RevokedAt, c.PrevKeyHash, c.PrevKeyUntil = &now, "", time.Time{}
	return c, s.Store.UpdateClient(ctx, c)
}

func errNotFound() error {
	return apperr.NotFound(i18n.T("Không có ứng dụng này", "no such API client"))
}

// ErrBadKey is the error for a missing, unknown, rotated-away or revoked
// key: the same for each, so a caller learns nothing of which.
func ErrBadKey() error {
	return apperr.New(apperr.EUNAUTHORIZED, i18n.T("Khóa API không hợp lệ hoặc đã bị thu hồi", "the API key is invalid or revoked"))
}

// ParseKey splits a key into its client ID and secret.
func ParseKey(key string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(key, KeyPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || !ids.Valid(id) || len(secret) != 43 {
		return "", "", false
	}
	return id, secret, true
}

// Authenticate returns the client a key belongs to. The client is read
// from the store on every call (no cache), so a revocation or rotation
// made on any instance refuses the old key on the next request. The hash
// comparison takes constant time.
func (s *Service) Authenticate(ctx context.Context, key string) (*Client, error) {
	id, secret, ok := ParseKey(key)
	if !ok {
		return nil, ErrBadKey()
	}
	c, err := s.Store.GetClient(ctx, id)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return nil, ErrBadKey()
	}
	if err != nil {
		return nil, err
	}
	if c.Revoked() {
		return nil, ErrBadKey()
	}
	h := []byte(hashSecret(secret))
	now := s.now()
	match := subtle.ConstantTimeCompare(h, []byte(c.KeyHash)) == 1
	if !match && c.PrevKeyHash != "" && now.Before(c.PrevKeyUntil) {
		match = subtle.ConstantTimeCompare(h, []byte(c.PrevKeyHash)) == 1
	}
	if !match {
		return nil, ErrBadKey()
	}
	if c.LastUsedAt == nil || now.Sub(*c.LastUsedAt) >= touchEvery {
		if err := s.Store.TouchClient(ctx, c.ID, now.UTC().Truncate(time.Millisecond)); err != nil && apperr.CodeOf(err) != apperr.ENOTFOUND {
			return nil, err
		}
	}
	return c, nil
}

// Matches reports whether a subscription's filters let a notification
// through: its event ("report.<action>"), party and agency code.
func (w *Subscription) Matches(event, party, agency string) bool {
	if len(w.Events) > 0 && !slices.Contains(w.Events, event) {
		return false
	}
	if len(w.Parties) > 0 && !slices.Contains(w.Parties, party) {
		return false
	}
	if len(w.Agencies) > 0 && !slices.Contains(w.Agencies, agency) {
		return false
	}
	return true
}
