// Package oidc is the service's OpenID Connect relying party for the
// province's shared accounts: configuration from the environment, lazy
// discovery of the provider (the service starts while the provider is down),
// the provider's signing keys (fetched again when an unknown key id shows up,
// so key rotation needs no restart), a verifier for id_tokens with every
// check the service relies on (signature, issuer, audience, authorized party,
// expiry, nonce), and the pieces of the authorization code flow with PKCE,
// state and nonce that the console uses.
//
// It knows nothing about accounts: it turns a token into an [Identity], and
// callers decide what that identity may do.
package oidc

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// ClaimNames are the names of the id_token claims the service reads. The
// defaults are the standard claims of OpenID Connect Core 1.0 §5.1 (phone,
// name, email), §2 (acr), and the common "groups" claim.
type ClaimNames struct {
	Phone         string
	PhoneVerified string
	Name          string
	Email         string
	ACR           string
	Groups        string
}

// DefaultClaimNames returns the standard claim names.
func DefaultClaimNames() ClaimNames {
	return ClaimNames{
		Phone:         "phone_number",
		PhoneVerified: "phone_number_verified",
		Name:          "name",
		Email:         "email",
		ACR:           "acr",
		Groups:        "groups",
	}
}

// DefaultScopes are the scopes the console asks for in the code flow.
var DefaultScopes = []string{"openid", "profile", "phone", "email"}

// Config configures the relying party. The zero Config is "off".
type Config struct {
	// Issuer is the provider's issuer URL, exactly as in its discovery
	// document. It must be https, except on a loopback address.
	Issuer string
	// ClientID and ClientSecret are the service's own (confidential) client
	// at the provider, used by the console's code flow. ClientID is also an
	// accepted audience for the app exchange.
	ClientID     string
	ClientSecret string
	// AppClientIDs are further accepted audiences for id_tokens the mobile
	// app exchanges (the app is usually a public client of its own).
	AppClientIDs []string
	// RedirectURL is the console's callback URL registered at the provider.
	// Empty means the console derives it from the service's public base URL.
	RedirectURL string
	// Scopes for the code flow; DefaultScopes when empty.
	Scopes []string
	// Claims are the claim names to read.
	Claims ClaimNames
	// VerifiedACR lists the acr values that count as a verified identity
	// (Identity.VerifiedACR). Empty: no acr counts as verified.
	VerifiedACR []string
	// HTTPTimeout bounds each request to the provider; 10s when zero.
	HTTPTimeout time.Duration
	// RetryAfter is how long a failed discovery is remembered before the
	// next sign-in tries again; 5s when zero.
	RetryAfter time.Duration
}

// Enabled reports whether OpenID Connect is configured at all.
func (c Config) Enabled() bool { return c.Issuer != "" }

// Audiences returns every client id accepted as an id_token audience in the
// app exchange: ClientID first, then AppClientIDs.
func (c Config) Audiences() []string {
	out := []string{c.ClientID}
	for _, id := range c.AppClientIDs {
		if id != "" && id != c.ClientID {
			out = append(out, id)
		}
	}
	return out
}

// IsVerifiedACR reports whether acr is one of the values counted as a
// verified identity.
func (c Config) IsVerifiedACR(acr string) bool {
	if acr == "" {
		return false
	}
	for _, v := range c.VerifiedACR {
		if v == acr {
			return true
		}
	}
	return false
}

func (c Config) withDefaults() Config {
	d := DefaultClaimNames()
	set := func(p *string, def string) {
		if *p == "" {
			*p = def
		}
	}
	set(&c.Claims.Phone, d.Phone)
	set(&c.Claims.PhoneVerified, d.PhoneVerified)
	set(&c.Claims.Name, d.Name)
	set(&c.Claims.Email, d.Email)
	set(&c.Claims.ACR, d.ACR)
	set(&c.Claims.Groups, d.Groups)
	if len(c.Scopes) == 0 {
		c.Scopes = append([]string(nil), DefaultScopes...)
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = 10 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Second
	}
	return c
}

// Validate checks an enabled Config: issuer, client id and secret present,
// and an https issuer unless it is on a loopback address.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var missing []string
	if c.ClientID == "" {
		missing = append(missing, "CAMAUG_OIDC_CLIENT_ID")
	}
	if c.ClientSecret == "" {
		missing = append(missing, "CAMAUG_OIDC_CLIENT_SECRET")
	}
	if len(missing) > 0 {
		return fmt.Errorf("oidc: CAMAUG_OIDC_ISSUER is set but %s is not", strings.Join(missing, " and "))
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oidc: CAMAUG_OIDC_ISSUER: want an absolute URL, got %q", c.Issuer)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("oidc: CAMAUG_OIDC_ISSUER: an http issuer is accepted only on a loopback address, got %q", c.Issuer)
		}
	default:
		return fmt.Errorf("oidc: CAMAUG_OIDC_ISSUER: want https, got %q", c.Issuer)
	}
	if c.RedirectURL != "" {
		r, err := url.Parse(c.RedirectURL)
		if err != nil || r.Host == "" || (r.Scheme != "https" && r.Scheme != "http") {
			return fmt.Errorf("oidc: CAMAUG_OIDC_REDIRECT_URL: want an absolute http(s) URL, got %q", c.RedirectURL)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ConfigFromEnv reads the configuration from the environment:
//
//	CAMAUG_OIDC_ISSUER, CAMAUG_OIDC_CLIENT_ID, CAMAUG_OIDC_CLIENT_SECRET  (all three, or none: off)
//	CAMAUG_OIDC_APP_CLIENT_IDS      further app audiences, comma or space separated
//	CAMAUG_OIDC_REDIRECT_URL        console callback (default: from the public base URL)
//	CAMAUG_OIDC_SCOPES              default "openid profile phone email"
//	CAMAUG_OIDC_CLAIM_PHONE, _PHONE_VERIFIED, _NAME, _EMAIL, _ACR, _GROUPS
//	CAMAUG_OIDC_VERIFIED_ACR        acr values counted as verified identity
//
// When none of the three required variables is set it returns the zero
// Config (off) and no error; when only some are, an error naming the missing.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	issuer := strings.TrimSpace(getenv("CAMAUG_OIDC_ISSUER"))
	id := strings.TrimSpace(getenv("CAMAUG_OIDC_CLIENT_ID"))
	secret := getenv("CAMAUG_OIDC_CLIENT_SECRET")
	if issuer == "" && id == "" && secret == "" {
		return Config{}, nil
	}
	if issuer == "" {
		return Config{}, errors.New("oidc: CAMAUG_OIDC_CLIENT_ID or CAMAUG_OIDC_CLIENT_SECRET is set but CAMAUG_OIDC_ISSUER is not")
	}
	c := Config{
		Issuer:       issuer,
		ClientID:     id,
		ClientSecret: secret,
		AppClientIDs: splitList(getenv("CAMAUG_OIDC_APP_CLIENT_IDS")),
		RedirectURL:  strings.TrimSpace(getenv("CAMAUG_OIDC_REDIRECT_URL")),
		Scopes:       splitList(getenv("CAMAUG_OIDC_SCOPES")),
		VerifiedACR:  splitList(getenv("CAMAUG_OIDC_VERIFIED_ACR")),
		Claims: ClaimNames{
			Phone:         strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_PHONE")),
			PhoneVerified: strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_PHONE_VERIFIED")),
			Name:          strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_NAME")),
			Email:         strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_EMAIL")),
			ACR:           strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_ACR")),
			Groups:        strings.TrimSpace(getenv("CAMAUG_OIDC_CLAIM_GROUPS")),
		},
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}
