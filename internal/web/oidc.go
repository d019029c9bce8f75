package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/oidc"
)

// Sign-in with the province's shared account (issue 19): the authorization
// code flow with PKCE, state and nonce. The flow's secrets travel in a
// short-lived cookie signed with the service's keys (any instance can read
// it) and are spent once (identity.OpenFlow); the callback verifies the
// id_token (internal/oidc), maps the provider's groups to a role and agency
// (identity.StartProviderSession) and starts the same console session as
// the password sign-in.

const (
	oidcFlowCookie = "camaug_oidc_flow" // the signed flow, for the callback only
	oidcHintCookie = "camaug_oidc_hint" // the id_token, for the provider's sign-out
	oidcFlowTTL    = 10 * time.Minute
	oidcCallback   = "/console/oidc/callback"
)

var oidcMessages = map[string]i18n.Text{
	"oidc.signin":        i18n.T("Đăng nhập bằng tài khoản dùng chung của tỉnh", "Sign in with the province's shared account"),
	"oidc.or":            i18n.T("hoặc dùng tài khoản riêng của hệ thống", "or use an account of this service"),
	"oidc.down":          i18n.T("Hệ thống tài khoản dùng chung của tỉnh đang không truy cập được. Hãy thử lại sau ít phút, hoặc đăng nhập bằng tài khoản riêng của hệ thống.", "The province's shared account service cannot be reached. Try again in a few minutes, or sign in with an account of this service."),
	"oidc.refused":       i18n.T("Không thể đăng nhập bằng tài khoản dùng chung", "Sign-in with the province account refused"),
	"oidc.invalid":       i18n.T("Phiên đăng nhập bằng tài khoản dùng chung không hợp lệ, đã hết hạn hoặc đã được dùng. Hãy đăng nhập lại.", "The sign-in with the province account is invalid, expired or already used. Sign in again."),
	"oidc.cancelled":     i18n.T("Đăng nhập tại hệ thống tài khoản dùng chung đã bị hủy hoặc từ chối.", "The sign-in at the province's account service was cancelled or refused."),
	"oidc.signedout":     i18n.T("Bạn đã đăng xuất khỏi trang cán bộ.", "You have signed out of the staff console."),
	"oidc.endsession":    i18n.T("Đăng xuất cả tài khoản dùng chung của tỉnh", "Also sign out of the province's shared account"),
	"oidc.endsession.hl": i18n.T("Bạn vẫn đang đăng nhập tại hệ thống tài khoản dùng chung của tỉnh (dùng cho các hệ thống khác của tỉnh).", "You are still signed in at the province's shared account service (used by the province's other systems)."),
}

func init() {
	for k, v := range oidcMessages {
		messages[k] = v
	}
}

// oidcRoutes mounts the flow's two steps (no session needed).
func (w *Console) oidcRoutes(g fiber.Router) {
	g.Get("/oidc/start", w.oidcStart)
	g.Get("/oidc/callback", w.oidcCallbackPage)
}

// oidcFlow is what the flow cookie carries.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

func (w *Console) oidcEnabled() bool { return w.cfg.OIDC.Enabled() }

// redirectURL is the callback registered at the provider: configured, or
// this service's public address (behind a trusted proxy, its scheme).
func (w *Console) redirectURL(c *fiber.Ctx) string {
	if u := w.cfg.OIDC.Config().RedirectURL; u != "" {
		return u
	}
	return c.BaseURL() + oidcCallback
}

// oidcFail renders the flow's error page: the message, and the way back
// to the sign-in page (whose own accounts always work).
func (w *Console) oidcFail(c *fiber.Ctx, status int, msg string) error {
	p := w.base(c, tr(langOf(c), "oidc.refused"), "")
	return w.render(c, status, "error", "", errorPage{page: p, Message: msg})
}

func (w *Console) oidcStart(c *fiber.Ctx) error {
	if !w.oidcEnabled() {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	fs := oidc.NewFlowState()
	authURL, err := w.cfg.OIDC.AuthCodeURL(c.UserContext(), w.redirectURL(c), fs)
	if err == nil {
		err = w.providerReachable(c.UserContext())
	}
	if err != nil {
		w.cfg.Logger.Warn("oidc: provider unavailable", "step", "start", "error", err)
		c.Set(fiber.HeaderRetryAfter, "30")
		return w.oidcFail(c, fiber.StatusServiceUnavailable, tr(langOf(c), "oidc.down"))
	}
	data, _ := json.Marshal(oidcFlow{State: fs.State, Nonce: fs.Nonce, Verifier: fs.Verifier, Next: safeNext(c.Query("next"))})
	sealed, err := w.cfg.Identity.SealFlow(c.UserContext(), string(data), oidcFlowTTL)
	if err != nil {
		return w.failErr(c, err)
	}
	// Lax: the provider sends the browser back with a top-level GET.
	c.Cookie(&fiber.Cookie{Name: oidcFlowCookie, Value: sealed, Path: "/console/oidc", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c), MaxAge: int(oidcFlowTTL.Seconds())})
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

// providerProbe asks the provider for its discovery document before a
// browser is sent there: the metadata is cached, so without this a down
// provider would leave the person on a browser error instead of our page.
var providerProbe = &http.Client{Timeout: 3 * time.Second}

func (w *Console) providerReachable(ctx context.Context) error {
	iss := strings.TrimSuffix(w.cfg.OIDC.Config().Issuer, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iss+"/.well-known/openid-configuration", nil)
	if err != nil {
		return err
	}
	res, err := providerProbe.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("oidc: discovery answered %d", res.StatusCode)
	}
	return nil
}

func (w *Console) oidcCallbackPage(c *fiber.Ctx) error {
	if !w.oidcEnabled() {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	lang := langOf(c)
	sealed := c.Cookies(oidcFlowCookie)
	c.Cookie(&fiber.Cookie{Name: oidcFlowCookie, Value: "", Path: "/console/oidc", Expires: time.Unix(1, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c)})
	if sealed == "" {
		return w.oidcFail(c, fiber.StatusBadRequest, tr(lang, "oidc.invalid"))
	}
	data, err := w.cfg.Identity.OpenFlow(c.UserContext(), sealed)
	if apperr.CodeOf(err) == apperr.EUNAUTHORIZED {
		w.cfg.Logger.Warn("oidc: flow refused", "reason", "cookie", "addr", api.ClientAddr(c))
		return w.oidcFail(c, fiber.StatusBadRequest, tr(lang, "oidc.invalid"))
	}
	if err != nil {
		return w.failErr(c, err)
	}
	var flow oidcFlow
	if json.Unmarshal([]byte(data), &flow) != nil || flow.State == "" ||
		subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(flow.State)) != 1 {
		w.cfg.Logger.Warn("oidc: flow refused", "reason", "state", "addr", api.ClientAddr(c))
		return w.oidcFail(c, fiber.StatusBadRequest, tr(lang, "oidc.invalid"))
	}
	if c.Query("error") != "" || c.Query("code") == "" {
		return w.oidcFail(c, fiber.StatusForbidden, tr(lang, "oidc.cancelled"))
	}
	id, err := w.cfg.OIDC.ExchangeCode(c.UserContext(), w.redirectURL(c), c.Query("code"),
		oidc.FlowState{State: flow.State, Nonce: flow.Nonce, Verifier: flow.Verifier})
	switch {
	case errors.Is(err, oidc.ErrInvalidToken):
		reason := "token"
		var te *oidc.TokenError
		if errors.As(err, &te) {
			reason = te.Reason
		}
		w.cfg.Logger.Warn("oidc: token refused", "reason", reason, "addr", api.ClientAddr(c))
		return w.oidcFail(c, fiber.StatusUnauthorized, tr(lang, "oidc.invalid"))
	case err != nil:
		w.cfg.Logger.Warn("oidc: provider unavailable", "step", "callback", "error", err)
		c.Set(fiber.HeaderRetryAfter, "30")
		return w.oidcFail(c, fiber.StatusServiceUnavailable, tr(lang, "oidc.down"))
	}
	token, sess, p, err := w.cfg.Identity.StartProviderSession(c.UserContext(), identity.ProviderStaff{
		Issuer: id.Issuer, Subject: id.Subject, Name: id.Name, Email: id.Email, ACR: id.ACR, Groups: id.Groups})
	if err != nil {
		if apperr.CodeOf(err) == apperr.EFORBIDDEN {
			w.cfg.Logger.Info("oidc: staff sign-in refused", "issuer", id.Issuer, "subject", id.Subject)
			return w.oidcFail(c, fiber.StatusForbidden, messageOf(err, lang))
		}
		return w.failErr(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/console", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c), Expires: sess.ExpiresAt})
	if len(id.RawIDToken) < 3500 { // fits a cookie: the hint for the provider's sign-out
		c.Cookie(&fiber.Cookie{Name: oidcHintCookie, Value: id.RawIDToken, Path: "/console", HTTPOnly: true,
			SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c), Expires: sess.ExpiresAt})
	}
	next := safeNext(flow.Next)
	if next == "/console/" && p.Can(identity.PermReportsHandle) {
		next = "/console/queue" // officers land in their agency's queue
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// oidcSignedOutPage is the view model of the page after signing out of a
// session opened through the provider.
type oidcSignedOutPage struct {
	page
	EndSessionURL string
}

// oidcSignedOut, called once the console session has ended, offers the
// provider's end-session URL to a staff member who signed in through it.
// It reports whether it answered the request.
func (w *Console) oidcSignedOut(c *fiber.Ctx) (bool, error) {
	hint := c.Cookies(oidcHintCookie)
	if hint == "" || !w.oidcEnabled() {
		return false, nil
	}
	w.clearCookie(c, oidcHintCookie)
	end := w.cfg.OIDC.EndSessionURL(c.UserContext(), hint, c.BaseURL()+"/console/login")
	if end == "" {
		return false, nil
	}
	if u, err := url.Parse(end); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false, nil
	}
	p := w.base(c, tr(langOf(c), "oidc.signedout"), "")
	return true, w.render(c, fiber.StatusOK, "oidc_signedout", "", oidcSignedOutPage{page: p, EndSessionURL: end})
}
