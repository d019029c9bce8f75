package web

import (
	"errors"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// The public pages (no sign-in): the track page, the map and the survey
// form. They call the same domain services as the API and show only what
// the API shows the public.

// publicLangCookie remembers a visitor's language choice on the public
// pages (the console's cookie is scoped to /console).
const publicLangCookie = "camaug_publang"

// publicRoutes lists the public pages.
func (w *Console) publicRoutes(app *fiber.App) {
	mw := []fiber.Handler{w.securityHeaders, w.publicLanguage}
	get := func(path string, h fiber.Handler) { app.Get(path, append(mw, h)...) }
	post := func(path string, h fiber.Handler) { app.Post(path, append(mw, h)...) }
	get("/t", w.trackLookup)
	get("/t/:code", w.trackPage)
	get("/map", w.mapPage)
	get("/s/:id", w.surveyForm)
	post("/s/:id", w.surveySubmit)
	get("/s/:id/thanks", w.surveyThanks)
	post("/s/:id/asked", w.surveyAsked) // live skip logic for the form's script
}

// publicLanguage picks the page language: ?lang= (remembered), the
// cookie, then the browser's Accept-Language, then Vietnamese.
func (w *Console) publicLanguage(c *fiber.Ctx) error {
	lang := i18n.Negotiate(c.Get(fiber.HeaderAcceptLanguage))
	switch q := c.Query("lang"); q {
	case "vi", "en":
		lang = i18n.Lang(q)
		c.Cookie(&fiber.Cookie{Name: publicLangCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: w.secure(c)})
	default:
		switch c.Cookies(publicLangCookie) {
		case "vi":
			lang = i18n.VI
		case "en":
			lang = i18n.EN
		}
	}
	c.Locals(localLang, lang)
	return c.Next()
}

// publicPage is what every public view model embeds.
type publicPage struct {
	Lang    i18n.Lang
	Title   string
	Path    string // this page's path and query, less lang, for the language switch
	Sep     string // "?" or "&" before lang= on Path
	TileURL string
}

func (w *Console) publicBase(c *fiber.Ctx, title string) publicPage {
	lang := langOf(c)
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Del("lang")
	p := publicPage{Lang: lang, Title: title, Path: c.Path(), Sep: "?", TileURL: w.tileURL}
	if enc := q.Encode(); enc != "" {
		p.Path += "?" + enc
		p.Sep = "&"
	}
	return p
}

// publicError is a public page's error view.
type publicError struct {
	publicPage
	Message string
}

// publicFail renders a public error page with a message in the page's
// language.
func (w *Console) publicFail(c *fiber.Ctx, status int, msg string) error {
	p := w.publicBase(c, msg)
	return w.render(c, status, "public_error", "public", publicError{publicPage: p, Message: msg})
}

// publicErr turns a domain error into a public error page; an internal
// error's text never reaches the page.
func (w *Console) publicErr(c *fiber.Ctx, err error) error {
	lang := langOf(c)
	var e *apperr.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, retryAfter(e.RetryAfter))
	}
	switch apperr.CodeOf(err) {
	case apperr.ENOTFOUND, apperr.EINVALID, apperr.ECONFLICT, apperr.ETOOMANY, apperr.EFORBIDDEN, apperr.EUNAUTHORIZED:
		return w.publicFail(c, statusOf(err), messageOf(err, lang))
	}
	w.cfg.Logger.Error("public page", "path", c.Path(), "error", err)
	return w.publicFail(c, fiber.StatusInternalServerError, tr(lang, "error"))
}

// trackLookup is the form to type a tracking code; with ?code= it sends
// the visitor to that code's page.
func (w *Console) trackLookup(c *fiber.Ctx) error {
	if code := c.Query("code"); code != "" {
		if n := feedback.NormalizeTrackingCode(code); n != "" {
			return c.Redirect("/t/"+n, fiber.StatusSeeOther)
		}
		return w.publicFail(c, fiber.StatusNotFound, tr(langOf(c), "track.unknown"))
	}
	p := w.publicBase(c, tr(langOf(c), "track.title"))
	return w.render(c, fiber.StatusOK, "public_track", "public", trackView{publicPage: p})
}

// trackStep is one line of the track page's timeline.
type trackStep struct {
	At     time.Time
	Action string
	Status feedback.Status
	Agency string
	To     string
}

type trackView struct {
	publicPage
	T        *feedback.Tracking
	Category string
	Agency   string
	Area     string
	Steps    []trackStep
}

// trackPage is /t/{code}: what the holder of a tracking code may read.
// Each lookup counts against the address's limit, so codes cannot be
// guessed in bulk.
func (w *Console) trackPage(c *fiber.Ctx) error {
	lang := langOf(c)
	ctx := c.UserContext()
	if err := w.cfg.Identity.Limit(ctx, "track:"+api.ClientAddr(c), w.cfg.PublicLimit, w.cfg.PublicWindow); err != nil {
		return w.publicErr(c, err)
	}
	t, err := w.cfg.Reports.Track(ctx, string([]byte(c.Params("code"))))
	if err != nil {
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			return w.publicFail(c, fiber.StatusNotFound, tr(lang, "track.unknown"))
		}
		return w.publicErr(c, err)
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return w.publicErr(c, err)
	}
	agencies := map[string]string{}
	for _, a := range ref.Agencies {
		agencies[a.Code] = a.Name.In(lang)
	}
	v := trackView{publicPage: w.publicBase(c, tr(lang, "track.title")+" "+t.TrackingCode), T: t, Agency: agencies[t.AgencyCode]}
	for _, cat := range ref.Categories {
		if cat.Code == t.CategoryCode {
			v.Category = cat.Name.In(lang)
		}
	}
	for _, a := range ref.Areas {
		if a.Code == t.AreaCode {
			v.Area = a.Name.In(lang)
		}
	}
	for _, s := range t.Steps {
		v.Steps = append(v.Steps, trackStep{At: s.At, Action: string(s.Action), Status: s.ToStatus, Agency: agencies[s.AgencyCode], To: agencies[s.ToAgency]})
	}
	return w.render(c, fiber.StatusOK, "public_track", "public", v)
}

// mapView is the public map and list.
type mapView struct {
	publicPage
	Categories, Areas []option
	Statuses          []option
	Category, Area    string
	Status            string
	GeoJSON           string // the feed URL the map's script reads, with the filters
	Reports           []mapItem
	Next              string // the list's next page URL
	Figures           *feedback.HandlingFigures
	MinGroup          int
}

type mapItem struct {
	Code, Title, Category, Agency, Area string
	Status                              feedback.Status
	At                                  time.Time
}

// mapPage is /map: published reports on a map and in a list, filtered by
// category, area and status, and each agency's public handling figures.
// The list and figures are rendered here (no script needed); the map's
// script reads the public GeoJSON feed with the same filters.
func (w *Console) mapPage(c *fiber.Ctx) error {
	lang := langOf(c)
	ctx := c.UserContext()
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return w.publicErr(c, err)
	}
	v := mapView{publicPage: w.publicBase(c, tr(lang, "map.title")), Category: c.Query("category"), Area: c.Query("area"), Status: c.Query("status"),
		MinGroup: feedback.FiguresMinGroup}
	names := map[string]map[string]string{"cat": {}, "area": {}, "agency": {}}
	for _, x := range ref.Categories {
		names["cat"][x.Code] = x.Name.In(lang)
		if !x.OutOfScope {
			v.Categories = append(v.Categories, option{Value: x.Code, Label: x.Name.In(lang)})
		}
	}
	for _, x := range ref.Areas {
		names["area"][x.Code] = x.Name.In(lang)
		if x.ParentCode != "" {
			v.Areas = append(v.Areas, option{Value: x.Code, Label: x.Name.In(lang)})
		}
	}
	for _, x := range ref.Agencies {
		names["agency"][x.Code] = x.Name.In(lang)
	}
	for _, s := range feedback.PublicStatuses {
		v.Statuses = append(v.Statuses, option{Value: string(s), Label: statusLabel(lang, s)})
	}
	in := feedback.FeedInput{CategoryCode: v.Category, AreaCode: v.Area, Status: v.Status, Cursor: c.Query("cursor"), Limit: 20}
	list, next, err := w.cfg.Reports.Feed(ctx, in)
	if err != nil {
		return w.publicErr(c, err)
	}
	for _, r := range list {
		v.Reports = append(v.Reports, mapItem{Code: r.TrackingCode, Title: r.Title, Category: names["cat"][r.CategoryCode],
			Agency: names["agency"][r.AgencyCode], Area: names["area"][r.AreaCode], Status: r.Status, At: r.CreatedAt})
	}
	q := url.Values{}
	for k, val := range map[string]string{"category_code": v.Category, "area_code": v.Area, "status": v.Status} {
		if val != "" {
			q.Set(k, val)
		}
	}
	q.Set("limit", "100")
	v.GeoJSON = "/v1/reports.geojson?" + q.Encode()
	if next != "" {
		nq := url.Values{}
		for k, val := range map[string]string{"category": v.Category, "area": v.Area, "status": v.Status, "cursor": next} {
			if val != "" {
				nq.Set(k, val)
			}
		}
		v.Next = "/map?" + nq.Encode()
	}
	v.Figures, err = w.cfg.Reports.HandlingFigures(ctx, feedback.FiguresQuery{GroupBy: "agency", Lang: lang})
	if err != nil {
		return w.publicErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "public_map", "public", v)
}
