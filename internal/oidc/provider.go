package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// ErrDisabled is returned by every method of a nil or unconfigured *Provider.
var ErrDisabled = errors.New("oidc: not configured")

// ErrUnavailable means the provider could not be reached (discovery or its
// keys): new sign-ins must wait; existing sessions are not affected.
var ErrUnavailable = errors.New("oidc: provider unavailable")

// ErrInvalidToken is the class of every refused token; errors.Is(err,
// ErrInvalidToken) holds for each *TokenError.
var ErrInvalidToken = errors.New("oidc: invalid token")

// TokenError says why a token was refused. Reason is a short code safe to log
// (it never holds token content): "malformed", "signature", "issuer",
// "audience", "azp", "expired", "nonce", "subject", "exchange".
type TokenError struct {
	Reason string
	Err    error
}

func (e *TokenError) Error() string {
	if e.Err != nil {
		return "oidc: invalid token (" + e.Reason + "): " + e.Err.Error()
	}
	return "oidc: invalid token (" + e.Reason + ")"
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalidToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrInvalidToken }

func tokenErr(reason string, err error) error { return &TokenError{Reason: reason, Err: err} }

// Identity is what a verified id_token says about its holder.
type Identity struct {
	Issuer  string
	Subject string
	// Phone as the provider gave it, and whether the provider says it
	// verified it (never assumed: absent means false).
	Phone         string
	PhoneVerified bool
	Name          string
	Email         string
	ACR           string
	// VerifiedACR: the acr is one of Config.VerifiedACR.
	VerifiedACR bool
	Groups      []string
	// Audience and AuthorizedParty (azp) of the token.
	Audience        []string
	AuthorizedParty string
	// TokenID is the jti claim, empty when the provider sets none.
	TokenID  string
	Nonce    string
	IssuedAt time.Time
	Expiry   time.Time
	// ReplayKey identifies this token for replay detection: "jti:" + the
	// issuer-scoped jti when present, else "sha256:" + the hash of the raw
	// token. Remember it until Expiry.
	ReplayKey string
	// RawIDToken is the token itself (for id_token_hint at sign-out). Never log it.
	RawIDToken string
}

// Provider is the relying party for one OpenID provider. Its zero value is
// not usable; a nil *Provider is "off" and returns ErrDisabled.
type Provider struct {
	cfg    Config
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex
	disc      *discovered
	lastErr   error
	lastTryAt time.Time
}

type discovered struct {
	provider      *gooidc.Provider
	keys          *remoteKeys
	endSession    string
	signingAlgs   []string
	authEndpoint  string
	tokenEndpoint string
}

// Option changes a Provider.
type Option func(*Provider)

// WithHTTPClient sets the client used to reach the provider.
func WithHTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// WithClock sets the clock used for token expiry checks (tests).
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// New returns a Provider for cfg without contacting it: discovery happens on
// first use and is retried (at most once per Config.RetryAfter) while the
// provider is unreachable. It returns (nil, nil) when cfg is not enabled.
func New(cfg Config, opts ...Option) (*Provider, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: cfg.HTTPTimeout}
	}
	return p, nil
}

// Enabled reports whether p is a configured provider.
func (p *Provider) Enabled() bool { return p != nil }

// Config returns the effective configuration (defaults filled in).
func (p *Provider) Config() Config {
	if p == nil {
		return Config{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.cfg
	c.VerifiedACR = append([]string(nil), p.cfg.VerifiedACR...)
	return c
}

// SetVerifiedACR replaces the acr values counted as verified identity (for
// an admin-edited mapping). Safe for concurrent use.
func (p *Provider) SetVerifiedACR(values []string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.cfg.VerifiedACR = append([]string(nil), values...)
	p.mu.Unlock()
}

func (p *Provider) verifiedACR(acr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg.IsVerifiedACR(acr)
}

func (p *Provider) clientCtx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, p.client)
}

// Discover makes sure the provider's metadata is loaded. It returns an error
// wrapping ErrUnavailable when the provider cannot be reached; a failure is
// remembered for Config.RetryAfter so a down provider is not hammered.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	if p == nil {
		return nil, ErrDisabled
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil {
		return p.disc, nil
	}
	if p.lastErr != nil && time.Since(p.lastTryAt) < p.cfg.RetryAfter {
		return nil, p.lastErr
	}
	p.lastTryAt = time.Now()
	// Discovery serves every later request: the one that triggered it going
	// away must not cut it short.
	bg := p.clientCtx(context.WithoutCancel(ctx))
	dctx, cancel := context.WithTimeout(bg, p.cfg.HTTPTimeout)
	defer cancel()
	prov, err := gooidc.NewProvider(dctx, p.cfg.Issuer)
	if err != nil {
		p.lastErr = fmt.Errorf("%w: discovery: %v", ErrUnavailable, err)
		return nil, p.lastErr
	}
	var meta struct {
		EndSession string   `json:"end_session_endpoint"`
		JWKS       string   `json:"jwks_uri"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := prov.Claims(&meta); err != nil {
		p.lastErr = fmt.Errorf("%w: discovery document: %v", ErrUnavailable, err)
		return nil, p.lastErr
	}
	ep := prov.Endpoint()
	algs := supportedAlgs(meta.Algs)
	d := &discovered{
		provider:      prov,
		keys:          newRemoteKeys(meta.JWKS, p.client, p.cfg.HTTPTimeout, algs),
		endSession:    meta.EndSession,
		signingAlgs:   algs,
		authEndpoint:  ep.AuthURL,
		tokenEndpoint: ep.TokenURL,
	}
	p.disc, p.lastErr = d, nil
	return d, nil
}

// supportedAlgs keeps the asymmetric algorithms the provider announces;
// "none" and the HMAC family (keyed with the client secret, which the app
// cannot keep) are never accepted.
func supportedAlgs(announced []string) []string {
	ok := map[string]bool{
		gooidc.RS256: true, gooidc.RS384: true, gooidc.RS512: true,
		gooidc.ES256: true, gooidc.ES384: true, gooidc.ES512: true,
		gooidc.PS256: true, gooidc.PS384: true, gooidc.PS512: true,
		gooidc.EdDSA: true,
	}
	var out []string
	for _, a := range announced {
		if ok[a] {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{gooidc.RS256}
	}
	return out
}

// VerifyAppToken verifies an id_token the mobile app obtained from the
// provider: signature by a key the provider publishes (asymmetric algorithms
// only), issuer, expiry, audience among Config.Audiences, azp among them
// when the token has several audiences, and nonce when nonce is not empty.
// Errors: ErrDisabled, ErrUnavailable (provider or its keys unreachable), or
// a *TokenError (errors.Is ErrInvalidToken).
func (p *Provider) VerifyAppToken(ctx context.Context, rawIDToken, nonce string) (*Identity, error) {
	if p == nil {
		return nil, ErrDisabled
	}
	return p.verify(ctx, rawIDToken, p.cfg.Audiences(), nonce, false)
}

// VerifyConsoleToken verifies an id_token from the console's code flow:
// audience must be Config.ClientID and the nonce is required and must match.
func (p *Provider) VerifyConsoleToken(ctx context.Context, rawIDToken, nonce string) (*Identity, error) {
	if p == nil {
		return nil, ErrDisabled
	}
	return p.verify(ctx, rawIDToken, []string{p.cfg.ClientID}, nonce, true)
}

func (p *Provider) verify(ctx context.Context, raw string, audiences []string, nonce string, nonceRequired bool) (*Identity, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.Count(raw, ".") != 2 || len(raw) > 16<<10 {
		return nil, tokenErr("malformed", nil)
	}
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	v := gooidc.NewVerifier(p.cfg.Issuer, d.keys, &gooidc.Config{
		SkipClientIDCheck:    true, // audiences checked below, against several ids
		SupportedSigningAlgs: d.signingAlgs,
		Now:                  p.now,
	})
	note := &fetchNote{}
	vctx := context.WithValue(p.clientCtx(ctx), fetchNoteKey{}, note)
	tok, err := v.Verify(vctx, raw)
	if err != nil {
		if note.err != nil {
			return nil, fmt.Errorf("%w: keys: %v", ErrUnavailable, note.err)
		}
		var expired *gooidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return nil, tokenErr("expired", err)
		case strings.Contains(err.Error(), "issued by a different provider"):
			return nil, tokenErr("issuer", err)
		case strings.Contains(err.Error(), "signature") || strings.Contains(err.Error(), "signing algorithm") || strings.Contains(err.Error(), "not signed"):
			return nil, tokenErr("signature", err)
		default:
			return nil, tokenErr("malformed", err)
		}
	}
	if !anyIn(tok.Audience, audiences) {
		return nil, tokenErr("audience", nil)
	}
	var std struct {
		AZP string `json:"azp"`
		JTI string `json:"jti"`
	}
	var all map[string]any
	if err := tok.Claims(&std); err != nil {
		return nil, tokenErr("malformed", err)
	}
	if err := tok.Claims(&all); err != nil {
		return nil, tokenErr("malformed", err)
	}
	// OpenID Connect Core 1.0 §3.1.3.7 (4, 5): with several audiences the
	// authorized party must be present, and it must be one of ours.
	if len(tok.Audience) > 1 && !contains(audiences, std.AZP) {
		return nil, tokenErr("azp", nil)
	}
	if std.AZP != "" && !contains(audiences, std.AZP) {
		return nil, tokenErr("azp", nil)
	}
	if nonceRequired && nonce == "" {
		return nil, tokenErr("nonce", errors.New("nonce required"))
	}
	if nonce != "" && tok.Nonce != nonce {
		return nil, tokenErr("nonce", nil)
	}
	if tok.Subject == "" {
		return nil, tokenErr("subject", nil)
	}
	id := &Identity{
		Issuer:          tok.Issuer,
		Subject:         tok.Subject,
		Audience:        tok.Audience,
		AuthorizedParty: std.AZP,
		TokenID:         std.JTI,
		Nonce:           tok.Nonce,
		IssuedAt:        tok.IssuedAt,
		Expiry:          tok.Expiry,
		RawIDToken:      raw,
	}
	c := p.cfg.Claims
	id.Phone = claimString(all[c.Phone])
	id.PhoneVerified = claimBool(all[c.PhoneVerified])
	id.Name = claimString(all[c.Name])
	id.Email = claimString(all[c.Email])
	id.ACR = claimString(all[c.ACR])
	id.Groups = claimStrings(all[c.Groups])
	id.VerifiedACR = p.verifiedACR(id.ACR)
	if std.JTI != "" {
		id.ReplayKey = "jti:" + hashHex(tok.Issuer+"\x00"+std.JTI)
	} else {
		id.ReplayKey = "sha256:" + hashHex(raw)
	}
	return id, nil
}

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if contains(want, h) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

// claimBool accepts a JSON boolean and, because some providers send it so,
// the strings "true"/"false". Anything else is false.
func claimBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(strings.TrimSpace(x), "true")
	}
	return false
}

// claimStrings accepts a list of strings or one string (space or comma
// separated).
func claimStrings(v any) []string {
	switch x := v.(type) {
	case []any:
		var out []string
		for _, e := range x {
			if s := claimString(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	case string:
		return splitList(x)
	}
	return nil
}

// FlowState is what the console keeps (in its session or a short cookie)
// between sending the browser to the provider and its return: the state,
// the nonce and the PKCE verifier.
type FlowState struct {
	State    string
	Nonce    string
	Verifier string
}

// NewFlowState returns fresh random state, nonce and PKCE verifier.
func NewFlowState() FlowState {
	return FlowState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier()}
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// OAuth2Config returns the code-flow client configuration from discovery.
// redirectURL overrides Config.RedirectURL when not empty.
func (p *Provider) OAuth2Config(ctx context.Context, redirectURL string) (*oauth2.Config, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	if redirectURL == "" {
		redirectURL = p.cfg.RedirectURL
	}
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     d.provider.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       append([]string(nil), p.cfg.Scopes...),
	}, nil
}

// AuthCodeURL returns the provider URL to send the browser to, with state,
// nonce and the S256 PKCE challenge of fs.
func (p *Provider) AuthCodeURL(ctx context.Context, redirectURL string, fs FlowState) (string, error) {
	oc, err := p.OAuth2Config(ctx, redirectURL)
	if err != nil {
		return "", err
	}
	return oc.AuthCodeURL(fs.State, gooidc.Nonce(fs.Nonce), oauth2.S256ChallengeOption(fs.Verifier)), nil
}

// ExchangeCode redeems the authorization code (with the PKCE verifier of
// fs) and verifies the id_token with VerifyConsoleToken against fs.Nonce.
// The caller checks the returned state against fs.State before calling.
func (p *Provider) ExchangeCode(ctx context.Context, redirectURL, code string, fs FlowState) (*Identity, error) {
	oc, err := p.OAuth2Config(ctx, redirectURL)
	if err != nil {
		return nil, err
	}
	tok, err := oc.Exchange(p.clientCtx(ctx), code, oauth2.VerifierOption(fs.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return nil, tokenErr("exchange", err)
		}
		return nil, fmt.Errorf("%w: token endpoint: %v", ErrUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, tokenErr("exchange", errors.New("no id_token in the token response"))
	}
	return p.VerifyConsoleToken(ctx, raw, fs.Nonce)
}

// EndSessionURL returns the provider's end-session (RP-initiated logout)
// URL with id_token_hint, post_logout_redirect_uri and client_id, or "" when
// the provider announces no end_session_endpoint or cannot be reached.
func (p *Provider) EndSessionURL(ctx context.Context, idTokenHint, postLogoutRedirect string) string {
	d, err := p.discover(ctx)
	if err != nil || d.endSession == "" {
		return ""
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	if postLogoutRedirect != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirect)
	}
	q.Set("client_id", p.cfg.ClientID)
	u.RawQuery = q.Encode()
	return u.String()
}
