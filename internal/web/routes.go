package web

import (
	"github.com/gofiber/fiber/v2"

	"camaug/internal/identity"
)

// routes lists every console page: the whole surface at a glance. Every
// page needs a staff session; every POST needs the session's CSRF token.
func (w *Console) routes(app *fiber.App) {
	app.Get("/console/static/*", serveStatic)
	w.publicRoutes(app) // /t, /map, /s: no sign-in (public.go)

	g := app.Group("/console", w.securityHeaders, w.language, w.loadSession)
	g.Get("/login", w.signInForm)
	g.Post("/login", w.signIn)
	w.oidcRoutes(g) // sign-in with the province's shared account (oidc.go)

	s := g.Group("", w.signedIn, w.checkCSRF)
	s.Post("/logout", w.signOut)

	// Work: officers, agency admins, coordinators, admins.
	handle := w.need(identity.PermReportsHandle)
	s.Get("/", w.home)
	s.Get("/queue", handle, w.queuePage)
	s.Get("/queue/rows", handle, w.queueRows) // htmx polling fragment
	s.Get("/reports/:id", handle, w.reportPage)
	s.Post("/reports/:id/act", handle, w.reportAct)
	s.Get("/media/:id", handle, w.photo(false))
	s.Get("/media/:id/thumb", handle, w.photo(true))

	// Coordinators.
	all := w.need(identity.PermReportsAll)
	s.Get("/triage", all, w.triagePage)

	// Analysts, coordinators and admins: the dashboard (analytics.go).
	an := w.need(identity.PermIndicatorsRead)
	s.Get("/analytics", an, w.analyticsPage)
	s.Get("/analytics/areas.geojson", an, w.analyticsAreas)
	s.Get("/analytics/download/:file", an, w.analyticsDownload)

	// Agency admins (their officers) and admins (every staff account).
	s.Get("/staff", w.staffPage)
	s.Post("/staff", w.staffCreate)
	s.Post("/staff/:id", w.staffUpdate)
	s.Post("/staff/:id/password", w.staffReset)

	// Administrators: reference data.
	ref := w.need(identity.PermReferenceAdmin)
	s.Get("/admin", ref, func(c *fiber.Ctx) error { return c.Redirect("/console/admin/categories", fiber.StatusSeeOther) })
	s.Get("/admin/calendar", ref, w.calendarPage)
	s.Post("/admin/calendar", ref, w.calendarSave)
	s.Get("/admin/audit", ref, w.auditPage)
	s.Post("/admin/routing_rule/:code/delete", ref, w.ruleDelete)
	w.oidcAdminRoutes(s) // /console/admin/oidc: admins (oidc_admin.go)
	s.Get("/admin/:kind", ref, w.refList)
	s.Get("/admin/:kind/new", ref, w.refForm)
	s.Get("/admin/:kind/:code", ref, w.refForm)
	s.Post("/admin/:kind", ref, w.refSave)
	s.Post("/admin/:kind/:code", ref, w.refSave)

	w.surveyAdminRoutes(s) // /console/surveys (surveys_admin.go)
	w.clientRoutes(s)      // /console/clients: API clients (clients.go)

	g.Use(func(c *fiber.Ctx) error { return w.fail(c, fiber.StatusNotFound, "notfound") })
}

// need lets the request through when the staff member's role grants perm;
// others get the forbidden page.
func (w *Console) need(perm identity.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if u, ok := userOf(c); ok && u.Can(perm) {
			return c.Next()
		}
		return w.fail(c, fiber.StatusForbidden, "forbidden")
	}
}

// home sends each role to its first screen.
func (w *Console) home(c *fiber.Ctx) error {
	u, _ := userOf(c)
	switch {
	case u.Can(identity.PermReportsHandle):
		return w.queuePage(c)
	case u.Can(identity.PermUsersManage) || u.Can(identity.PermOfficersManage):
		return c.Redirect("/console/staff", fiber.StatusSeeOther)
	case u.Can(identity.PermIndicatorsRead):
		return c.Redirect("/console/analytics", fiber.StatusSeeOther)
	}
	return w.fail(c, fiber.StatusForbidden, "forbidden")
}
