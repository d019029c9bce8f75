// Package oidctest runs a real OpenID provider in-process for tests, built
// with github.com/zitadel/oidc/v3/pkg/op: discovery, JWKS, the authorization
// code flow with PKCE, RS256-signed id_tokens with the users' claims, key
// rotation, and stop/start on the same address (provider down).
//
// Its login page lists nothing and checks no password: it signs in the user
// whose subject is typed in the "username" field (or given as login_hint in
// the authorization request, or set with SetAutoLogin), so both an
// http.Client and a browser driven by chromedp can finish the flow.
package oidctest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// User is an account at the provider. Subject is also what the login page
// takes as the username.
type User struct {
	Subject       string
	Phone         string
	PhoneVerified bool
	Name          string
	Email         string
	ACR           string
	Groups        []string
	// Extra claims put in the id_token and userinfo as they are.
	Extra map[string]any
}

// Client is a client registered at the provider. An empty Secret makes a
// public (native) client that authenticates with PKCE alone.
type Client struct {
	ID                     string
	Secret                 string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// ExtraAudiences are added to the id_token's aud beside ID (azp stays ID).
	ExtraAudiences []string
	// IDTokenLifetime defaults to one hour.
	IDTokenLifetime time.Duration
	// JTI adds a random jti claim to each id_token.
	JTI bool
}

// DefaultRedirectURI is registered for every client added without redirect
// URIs; IDToken stops at it instead of following it.
const DefaultRedirectURI = "http://127.0.0.1:1/callback"

// Provider is a running test provider.
type Provider struct {
	// Issuer is the provider's issuer URL (http on 127.0.0.1).
	Issuer string

	t        testing.TB
	addr     string
	storage  *storage
	op       *op.Provider
	handler  http.Handler
	mu       sync.Mutex
	srv      *http.Server
	auto     string
	loginTpl *template.Template
}

// Start starts a provider on a free loopback port and stops it when the
// test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oidctest: listen: %v", err)
	}
	p := &Provider{
		t:    t,
		addr: ln.Addr().String(),
		storage: &storage{
			users:    map[string]*User{},
			clients:  map[string]*Client{},
			requests: map[string]*authRequest{},
			codes:    map[string]string{},
			tokens:   map[string]*accessToken{},
			key:      newSigningKey(),
		},
		loginTpl: template.Must(template.New("login").Parse(loginPage)),
	}
	p.Issuer = "http://" + p.addr
	cryptoKey := sha256.Sum256([]byte("oidctest " + p.addr))
	p.op, err = op.NewProvider(&op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
	}, p.storage, op.StaticIssuer(p.Issuer),
		op.WithAllowInsecure(),
		op.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	if err != nil {
		ln.Close()
		t.Fatalf("oidctest: provider: %v", err)
	}
	mux := http.NewServeMux()
	interceptor := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux.Handle("/login", interceptor.HandlerFunc(p.login))
	mux.HandleFunc("/logged-out", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "signed out")
	})
	mux.Handle("/", p.op)
	p.handler = mux
	p.serve(ln)
	t.Cleanup(p.Stop)
	return p
}

func (p *Provider) serve(ln net.Listener) {
	srv := &http.Server{Handler: p.handler, ReadHeaderTimeout: 5 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop takes the provider down (connections refused) until Restart.
func (p *Provider) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart brings a stopped provider back on the same address, with the
// same users, clients and keys.
func (p *Provider) Restart() {
	p.t.Helper()
	p.mu.Lock()
	running := p.srv != nil
	p.mu.Unlock()
	if running {
		return
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("oidctest: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// AddUser adds or replaces a user.
func (p *Provider) AddUser(u User) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	cp := u
	p.storage.users[u.Subject] = &cp
}

// AddClient adds or replaces a client.
func (p *Provider) AddClient(c Client) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	cp := c
	if len(cp.RedirectURIs) == 0 {
		cp.RedirectURIs = []string{DefaultRedirectURI}
	}
	p.storage.clients[c.ID] = &cp
}

// SetAutoLogin makes the login page sign in subject at once (no form), for
// browser tests; "" restores the form.
func (p *Provider) SetAutoLogin(subject string) {
	p.mu.Lock()
	p.auto = subject
	p.mu.Unlock()
}

// RotateKey replaces the signing key. The old key leaves the JWKS at once,
// so tokens it signed no longer verify; new tokens carry the new kid.
// It returns the new key id.
func (p *Provider) RotateKey() string {
	k := newSigningKey()
	p.storage.mu.Lock()
	p.storage.key = k
	p.storage.mu.Unlock()
	return k.id
}

// KeyID returns the current signing key id.
func (p *Provider) KeyID() string {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	return p.storage.key.id
}

const loginPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><h1>Test provider sign-in</h1>
{{if .Error}}<p id="error">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label>Username <input id="username" name="username" autofocus></label>
<button id="sign-in" type="submit">Sign in</button>
</form></body></html>`

func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.FormValue("authRequestID")
	user := ""
	if r.Method == http.MethodPost {
		user = strings.TrimSpace(r.FormValue("username"))
	} else {
		p.mu.Lock()
		user = p.auto
		p.mu.Unlock()
		if user == "" {
			hint, ok := p.storage.loginHint(id)
			if ok {
				p.storage.mu.Lock()
				if _, known := p.storage.users[hint]; known {
					user = hint
				}
				p.storage.mu.Unlock()
			}
		}
	}
	if user != "" {
		if err := p.storage.complete(id, user); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = p.loginTpl.Execute(w, map[string]string{"ID": id, "Error": err.Error()})
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = p.loginTpl.Execute(w, map[string]string{"ID": id})
}

// Tokens is the provider's token response.
type Tokens struct {
	IDToken     string
	AccessToken string
}

// IDToken runs the authorization code flow with PKCE for user subject and
// client clientID (which must have been added; its secret is used when it
// has one) and returns the id_token the provider signed. nonce may be "".
func (p *Provider) IDToken(subject, clientID, nonce string) string {
	p.t.Helper()
	tok, err := p.CodeFlow(context.Background(), subject, clientID, nonce)
	if err != nil {
		p.t.Fatalf("oidctest: id_token for %s/%s: %v", subject, clientID, err)
	}
	return tok.IDToken
}

// CodeFlow is IDToken returning errors and both tokens.
func (p *Provider) CodeFlow(ctx context.Context, subject, clientID, nonce string) (Tokens, error) {
	p.storage.mu.Lock()
	c, ok := p.storage.clients[clientID]
	var cl Client
	if ok {
		cl = *c
	}
	p.storage.mu.Unlock()
	if !ok {
		return Tokens{}, fmt.Errorf("unknown client %q", clientID)
	}
	redirect := cl.RedirectURIs[0]
	verifier := oauth2.GenerateVerifier()
	oc := &oauth2.Config{
		ClientID:     cl.ID,
		ClientSecret: cl.Secret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.Issuer + "/authorize",
			TokenURL:  p.Issuer + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RedirectURL: redirect,
		Scopes:      []string{"openid", "profile", "phone", "email"},
	}
	if cl.Secret == "" {
		oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", subject)}
	if nonce != "" {
		opts = append(opts, oauth2.SetAuthURLParam("nonce", nonce))
	}
	state := randomID()
	jar, _ := cookiejar.New(nil)
	var landed *url.URL
	hc := &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), redirect) {
				landed = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	resp, err := hc.Get(oc.AuthCodeURL(state, opts...))
	if err != nil {
		return Tokens{}, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if landed == nil {
		return Tokens{}, fmt.Errorf("the flow did not come back to %s (status %d): %s", redirect, resp.StatusCode, body)
	}
	if e := landed.Query().Get("error"); e != "" {
		return Tokens{}, fmt.Errorf("provider refused: %s %s", e, landed.Query().Get("error_description"))
	}
	if landed.Query().Get("state") != state {
		return Tokens{}, errors.New("state changed on the way")
	}
	tok, err := oc.Exchange(context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 10 * time.Second}),
		landed.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return Tokens{}, err
	}
	idt, _ := tok.Extra("id_token").(string)
	if idt == "" {
		return Tokens{}, errors.New("no id_token in the token response")
	}
	return Tokens{IDToken: idt, AccessToken: tok.AccessToken}, nil
}

// Claims decodes a token's payload without checking it (for assertions in
// tests about what the provider put in).
func Claims(token string) map[string]any {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := decodeSegment(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
