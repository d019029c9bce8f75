package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// Cookie names. The session cookie holds an opaque token; the server keeps
// only its hash (identity.Session).
const (
	sessionCookie = "camaug_console"
	preCSRFCookie = "camaug_csrf" // double-submit token for the sign-in form only
	langCookie    = "camaug_lang"
	flashCookie   = "camaug_flash"
)

// Fiber locals set by the middleware.
const (
	localUser    = "web.principal"
	localSession = "web.session"
	localLang    = "web.lang"
)

// page is what every view model embeds: the layout's needs.
type page struct {
	Lang      i18n.Lang
	Title     string
	CSRF      string
	Flash     string
	User      identity.Principal
	SignedIn  bool
	Nav       string // the active menu entry
	CanTriage bool
	CanStaff  bool
	CanRef    bool
	CanQueue  bool
	CanStats  bool   // the analyst dashboard
	Path      string // this page's path, for the language switch

	// CanSurveys shows the survey administration (surveys_admin.go).
	CanSurveys bool
}

// securityHeaders sets the console's browser protections on every response
// under /console/.
func (w *Console) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", w.csp)
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	return c.Next()
}

// language picks the console's language: ?lang= (remembered in a cookie),
// then the cookie, then Vietnamese.
func (w *Console) language(c *fiber.Ctx) error {
	lang := i18n.VI
	switch q := c.Query("lang"); q {
	case "vi", "en":
		lang = i18n.Lang(q)
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: q, Path: "/console", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c)})
	default:
		if c.Cookies(langCookie) == "en" {
			lang = i18n.EN
		}
	}
	c.Locals(localLang, lang)
	return c.Next()
}

func langOf(c *fiber.Ctx) i18n.Lang {
	l, _ := c.Locals(localLang).(i18n.Lang)
	if l == "" {
		return i18n.VI
	}
	return l
}

// secure reports whether the request came over TLS: directly, or through a
// trusted proxy that says so (Fiber believes X-Forwarded-Proto only from the
// configured trusted proxies).
func (w *Console) secure(c *fiber.Ctx) bool { return c.Protocol() == "https" }

// loadSession resumes the browser's session, if any, for every console
// request. A session that ended (signed out, expired, idle, account
// disabled or password changed) is simply absent.
func (w *Console) loadSession(c *fiber.Ctx) error {
	token := c.Cookies(sessionCookie)
	if token == "" {
		return c.Next()
	}
	sess, p, err := w.cfg.Identity.ResumeSession(c.UserContext(), token)
	switch apperr.CodeOf(err) {
	case "":
		c.Locals(localUser, p)
		c.Locals(localSession, sess)
	case apperr.EUNAUTHORIZED:
		w.clearCookie(c, sessionCookie)
	default:
		return err
	}
	return c.Next()
}

func userOf(c *fiber.Ctx) (identity.Principal, bool) {
	p, ok := c.Locals(localUser).(identity.Principal)
	return p, ok && !p.IsAnonymous()
}

func sessionOf(c *fiber.Ctx) (identity.Session, bool) {
	s, ok := c.Locals(localSession).(identity.Session)
	return s, ok
}

// signedIn sends visitors without a session to the sign-in page, back to
// where they were going afterwards (a path only: never another site).
func (w *Console) signedIn(c *fiber.Ctx) error {
	if _, ok := userOf(c); ok {
		return c.Next()
	}
	if (c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead) || c.Get("HX-Request") != "" {
		if c.Get("HX-Request") != "" {
			c.Set("HX-Redirect", "/console/login")
		}
		return w.fail(c, fiber.StatusUnauthorized, "csrf")
	}
	return c.Redirect("/console/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// checkCSRF refuses a state-changing request whose form (or htmx header)
// does not echo the session's CSRF token. SameSite=Lax already keeps the
// cookie off cross-site posts; the token also stops same-site attackers.
func (w *Console) checkCSRF(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	sess, ok := sessionOf(c)
	if !ok {
		return w.fail(c, fiber.StatusForbidden, "csrf")
	}
	sent := c.FormValue("_csrf")
	if sent == "" {
		sent = c.Get("X-CSRF-Token")
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(sess.CSRF)) != 1 {
		return w.fail(c, fiber.StatusForbidden, "csrf")
	}
	return c.Next()
}

// base fills the layout's part of a view model.
func (w *Console) base(c *fiber.Ctx, title, nav string) page {
	p := page{Lang: langOf(c), Title: title, Nav: nav, Path: c.Path()}
	if u, ok := userOf(c); ok {
		p.User, p.SignedIn = u, true
		p.CanQueue = u.Can(identity.PermReportsHandle)
		p.CanTriage = u.Can(identity.PermReportsAll)
		p.CanStaff = u.Can(identity.PermUsersManage) || u.Can(identity.PermOfficersManage)
		p.CanRef = u.Can(identity.PermReferenceAdmin)
		p.CanSurveys = u.Can(identity.PermSurveysAdmin)
		p.CanStats = u.Can(identity.PermIndicatorsRead)
	}
	if s, ok := sessionOf(c); ok {
		p.CSRF = s.CSRF
	}
	if f := c.Cookies(flashCookie); f != "" {
		if msg, ok := messages[f]; ok {
			p.Flash = msg.In(p.Lang)
		}
		w.clearCookie(c, flashCookie)
	}
	return p
}

// redirect ends a successful form post (post/redirect/get) with a flash
// message key shown once on the next page.
func (w *Console) redirect(c *fiber.Ctx, to, flash string) error {
	if flash != "" {
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: flash, Path: "/console", MaxAge: 60,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c)})
	}
	if c.Get("HX-Request") != "" {
		c.Set("HX-Redirect", to)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (w *Console) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/console", Expires: time.Unix(1, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c)})
}

// errorPage is the view model of an error page.
type errorPage struct {
	page
	Message string
}

// fail renders an error page with a status; domain errors go through
// failErr.
func (w *Console) fail(c *fiber.Ctx, status int, key string) error {
	p := w.base(c, tr(langOf(c), key), "")
	return w.render(c, status, "error", "", errorPage{page: p, Message: tr(p.Lang, key)})
}

// failErr turns a domain error into the same page the API's status mapping
// would give: 404 for what the caller may not see, 403, 409...
func (w *Console) failErr(c *fiber.Ctx, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.ENOTFOUND:
		return w.fail(c, fiber.StatusNotFound, "notfound")
	case apperr.EFORBIDDEN:
		return w.fail(c, fiber.StatusForbidden, "forbidden")
	case apperr.EUNAUTHORIZED:
		return c.Redirect("/console/login", fiber.StatusSeeOther)
	case apperr.EINVALID, apperr.ECONFLICT, apperr.ETOOMANY, apperr.EUNAVAILABLE:
		var e *apperr.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, retryAfter(e.RetryAfter))
		}
		p := w.base(c, tr(langOf(c), "error"), "")
		return w.render(c, statusOf(err), "error", "", errorPage{page: p, Message: messageOf(err, p.Lang)})
	}
	w.cfg.Logger.Error("console", "path", c.Path(), "error", err)
	return w.fail(c, fiber.StatusInternalServerError, "error")
}

// statusOf is the API's status for a domain error: one mapping for both.
func statusOf(err error) int { return api.StatusOf(err) }

// fieldErrors maps a validation error's fields to their messages.
func fieldErrors(err error, lang i18n.Lang) map[string]string {
	out := map[string]string{}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			out[f.Field] = f.Message.In(lang)
		}
	}
	return out
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// signInPage is the sign-in form's view model.
type signInPage struct {
	page
	Login string
	Next  string
	Error string
	OIDC  bool // offer the province's shared account (oidc.go)
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/console//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console/"
	}
	return next
}

func (w *Console) preCSRF(c *fiber.Ctx) string {
	tok := c.Cookies(preCSRFCookie)
	if len(tok) != 43 {
		tok = randomToken()
		c.Cookie(&fiber.Cookie{Name: preCSRFCookie, Value: tok, Path: "/console", HTTPOnly: true,
			SameSite: fiber.CookieSameSiteStrictMode, Secure: w.secure(c)})
	}
	return tok
}

func (w *Console) signInForm(c *fiber.Ctx) error {
	if _, ok := userOf(c); ok {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	p := w.base(c, tr(langOf(c), "signin.title"), "")
	p.CSRF = w.preCSRF(c)
	return w.render(c, fiber.StatusOK, "signin", "", signInPage{page: p, Next: safeNext(c.Query("next")), OIDC: w.oidcEnabled()})
}

func (w *Console) signIn(c *fiber.Ctx) error {
	lang := langOf(c)
	p := w.base(c, tr(lang, "signin.title"), "")
	form := signInPage{page: p, Login: c.FormValue("login"), Next: safeNext(c.FormValue("next")), OIDC: w.oidcEnabled()}
	pre := c.Cookies(preCSRFCookie)
	if pre == "" || subtle.ConstantTimeCompare([]byte(c.FormValue("_csrf")), []byte(pre)) != 1 {
		return w.fail(c, fiber.StatusForbidden, "csrf")
	}
	form.CSRF = pre
	token, sess, _, err := w.cfg.Identity.StartSession(c.UserContext(), c.FormValue("login"), c.FormValue("password"), api.ClientAddr(c))
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.EUNAUTHORIZED, apperr.EFORBIDDEN, apperr.ETOOMANY, apperr.EINVALID, apperr.EUNAVAILABLE:
			form.Error = messageOf(err, lang)
			var e *apperr.Error
			if errors.As(err, &e) && e.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, retryAfter(e.RetryAfter))
			}
			return w.render(c, statusOf(err), "signin", "", form)
		}
		return w.failErr(c, err)
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/console", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c), Expires: sess.ExpiresAt})
	w.clearCookie(c, preCSRFCookie)
	return c.Redirect(form.Next, fiber.StatusSeeOther)
}

func retryAfter(d time.Duration) string { return strconv.Itoa(max(1, int(d.Seconds()))) }

func (w *Console) signOut(c *fiber.Ctx) error {
	if err := w.cfg.Identity.EndSession(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return w.failErr(c, err)
	}
	w.clearCookie(c, sessionCookie)
	c.Locals(localUser, identity.Anonymous)
	c.Locals(localSession, nil)
	if done, err := w.oidcSignedOut(c); done {
		return err
	}
	return w.redirect(c, "/console/login", "signedout")
}

// messageOf is a domain error's safe message (never an internal error's
// text).
func messageOf(err error, lang i18n.Lang) string {
	var e *apperr.Error
	if errors.As(err, &e) && e.Code != apperr.EINTERNAL && !e.Message.IsZero() {
		return e.Message.In(lang)
	}
	return tr(lang, "error")
}
