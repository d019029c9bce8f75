package api

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/identity"
)

// register lists every route of the service: the whole surface at a glance.
// Each must also be in mobile-api-docs/openapi.yaml (a test checks).
func registerRoutes(app *fiber.App, routes *routeTable, cfg Config, pc *publicCache) {
	r := func(method, path string, h ...fiber.Handler) {
		routes.add(method, path)
		h = append([]fiber.Handler{tokenCheck(method, path)}, h...)
		app.Add(method, path, h...)
		if method == fiber.MethodGet { // app.Add, unlike app.Get, does not serve HEAD
			app.Add(fiber.MethodHead, path, h...)
		}
	}
	id := cfg.Identity
	self := require(identity.PermSelf)
	manager := func(c *fiber.Ctx) error { // admins, and agency admins for their own officers
		p := principal(c)
		if p.Can(identity.PermUsersManage) {
			return c.Next()
		}
		return require(identity.PermOfficersManage)(c)
	}

	// Operations. (/metrics is not here: the program serves cfg.Registry on
	// a listener of its own, off the public one.)
	r(fiber.MethodGet, "/healthz", healthz)
	r(fiber.MethodGet, "/readyz", readyz(cfg.Ready))
	r(fiber.MethodGet, "/openapi.yaml", openapiDoc)
	r(fiber.MethodGet, "/docs", docsPage)
	r(fiber.MethodGet, "/docs/:file", docsFile)

	// Reference data, public.
	r(fiber.MethodGet, "/v1/categories", listCategories(cfg.Reference))
	r(fiber.MethodGet, "/v1/agencies", listAgencies(cfg.Reference))
	r(fiber.MethodGet, "/v1/areas", listAreas(cfg.Reference))

	// Identity.
	r(fiber.MethodGet, "/.well-known/jwks.json", jwks(id))
	r(fiber.MethodPost, "/v1/auth/register", register(id, cfg.Limits)) // a guest's token, if sent, turns that guest into the account
	r(fiber.MethodPost, "/v1/auth/guest", guest(id, cfg.Limits))
	r(fiber.MethodPost, "/v1/auth/login", login(id))
	r(fiber.MethodPost, "/v1/auth/refresh", refresh(id))
	r(fiber.MethodPost, "/v1/auth/logout", logout(id))
	r(fiber.MethodGet, "/v1/me", self, getMe(id))
	r(fiber.MethodPatch, "/v1/me", self, patchMe(id))
	r(fiber.MethodDelete, "/v1/me", self, forgetDevices(cfg.Devices), deleteMe(id))
	r(fiber.MethodPost, "/v1/me/password", self, changePassword(id))
	r(fiber.MethodPost, "/v1/auth/oidc/token", oidcToken(id, cfg.OIDC, cfg.Logger))
	r(fiber.MethodGet, "/v1/me/identities", self, myIdentities(id))
	r(fiber.MethodDelete, "/v1/me/identities/:id", self, unlinkIdentity(id))
	r(fiber.MethodPost, "/v1/me/devices", self, registerDevice(cfg.Devices))
	r(fiber.MethodDelete, "/v1/me/devices/:key", self, unregisterDevice(cfg.Devices))
	r(fiber.MethodGet, "/v1/admin/users", manager, listUsers(id))
	r(fiber.MethodPost, "/v1/admin/users", manager, createUser(id))
	r(fiber.MethodPatch, "/v1/admin/users/:id", manager, patchUser(id))
	r(fiber.MethodPost, "/v1/admin/users/:id/password", manager, resetPassword(id))
	{ // machine clients (api/clients.go)
		admin := require(identity.PermUsersManage)
		r(fiber.MethodGet, "/v1/admin/clients", admin, listClients(cfg.Clients))
		r(fiber.MethodPost, "/v1/admin/clients", admin, createClient(cfg.Clients))
		r(fiber.MethodGet, "/v1/admin/clients/:id", admin, getClient(cfg.Clients))
		r(fiber.MethodPost, "/v1/admin/clients/:id/rotate", admin, rotateClient(cfg.Clients))
		r(fiber.MethodPost, "/v1/admin/clients/:id/revoke", admin, revokeClient(cfg.Clients))
	}
	oidcAdminRoutes(r, id) // province provider: group mappings, verified acr values (oidc_admin.go)

	// Field reports.
	reports, ref := cfg.Reports, cfg.Reference
	reporter := require(identity.PermReportsCreate)
	r(fiber.MethodPost, "/v1/reports", reporter, submitReport(reports, ref))
	r(fiber.MethodGet, "/v1/reports", pc.cached(publicFeed(reports, ref)))
	r(fiber.MethodGet, "/v1/reports.geojson", pc.cached(publicGeoJSON(reports, ref)))
	r(fiber.MethodGet, "/v1/reports/nearby", nearbyReports(reports, ref)) // before /v1/reports/:id
	r(fiber.MethodGet, "/v1/reports/:id", getReport(reports, ref))
	r(fiber.MethodPost, "/v1/reports/:id/support", reporter, supportReport(reports, id, cfg.Limits))
	r(fiber.MethodPost, "/v1/reports/:id/media", reporter, uploadPhoto(reports))
	r(fiber.MethodGet, "/v1/media/:id", servePhoto(reports, false))
	r(fiber.MethodGet, "/v1/media/:id/thumb", servePhoto(reports, true))
	r(fiber.MethodPost, "/v1/reports/:id/reroute", require(identity.PermReportsAll), rerouteReport(reports, ref))
	r(fiber.MethodPost, "/v1/reports/:id/transitions", self, transitionReport(reports, ref))
	r(fiber.MethodGet, "/v1/reports/:id/history", self, reportHistory(reports, ref))
	r(fiber.MethodPost, "/v1/reports/:id/rating", self, rateReport(reports))
	r(fiber.MethodGet, "/v1/me/reports", self, myReports(reports, ref))
	r(fiber.MethodGet, "/v1/agency/reports", require(identity.PermReportsHandle), agencyQueue(reports, ref))
	r(fiber.MethodGet, "/v1/agency/reports/counts", require(identity.PermReportsHandle), agencyQueueCounts(reports))
	r(fiber.MethodGet, "/v1/indicators/feedback", handlingFigures(reports))
	r(fiber.MethodGet, "/v1/indicators/report-satisfaction", require(identity.PermIndicatorsRead), reportSatisfaction(reports))
	r(fiber.MethodGet, "/v1/stats/reports", requireScopeOr(apiclient.ScopeStatsRead, identity.PermIndicatorsRead), statsReports(reports))
	r(fiber.MethodGet, "/v1/stats/reports/changes", requireScopeOr(apiclient.ScopeStatsRead, identity.PermIndicatorsRead), statsChanges(reports))

	// Open311 GeoReport v2: the same reports, in the standard's shapes.
	{
		o := newOpen311(cfg.Open311, cfg.Logger)
		o.clients, o.limits = cfg.Clients, id
		r(fiber.MethodGet, "/open311/v2/discovery.:format", o.handle(o.discovery))
		r(fiber.MethodGet, "/open311/v2/services.:format", o.handle(services(ref)))
		r(fiber.MethodGet, "/open311/v2/services/:service_code.:format", o.handle(serviceDefinition(ref)))
		r(fiber.MethodGet, "/open311/v2/requests.:format", o.handle(o.listRequests(reports, ref)))
		r(fiber.MethodPost, "/open311/v2/requests.:format", o.handle(o.createRequest(reports, id, cfg.Limits)))
		r(fiber.MethodGet, "/open311/v2/requests/:id.:format", o.handle(o.getRequest(reports, ref)))
		r(fiber.MethodGet, "/open311/v2/tokens/:token.:format", o.handle(token(reports)))
		app.Use("/open311/v2", o.unmatched(routes)) // after its routes: only what they miss
	}

	// Surveys and satisfaction indicators.
	{
		sv := cfg.Surveys
		surveys := require(identity.PermSurveysAdmin)
		analyst := require(identity.PermIndicatorsRead)
		r(fiber.MethodPost, "/v1/surveys", surveys, createSurvey(sv))
		r(fiber.MethodGet, "/v1/surveys", self, listSurveys(sv))
		r(fiber.MethodGet, "/v1/surveys/:id", self, getSurvey(sv))
		r(fiber.MethodPut, "/v1/surveys/:id", surveys, updateSurvey(sv))
		r(fiber.MethodPost, "/v1/surveys/:id/publish", surveys, surveyAction(publishSurvey, sv))
		r(fiber.MethodPost, "/v1/surveys/:id/close", surveys, surveyAction(closeSurvey, sv))
		r(fiber.MethodPost, "/v1/surveys/:id/invitations", surveys, inviteSurvey(sv))
		r(fiber.MethodGet, "/v1/surveys/:id/form", surveyForm(sv))
		r(fiber.MethodPost, "/v1/surveys/:id/responses", submitSurveyResponse(sv))
		r(fiber.MethodGet, "/v1/indicators/sipas", analyst, indicators(sv.SIPASIndicators))
		r(fiber.MethodGet, "/v1/indicators/sipas/ranking", analyst, indicators(sv.Ranking))
		r(fiber.MethodGet, "/v1/indicators/papi", analyst, indicators(sv.PAPIIndicators))
		r(fiber.MethodGet, "/v1/exports/sipas.csv", analyst, sipasExport(sv, "csv"))
		r(fiber.MethodGet, "/v1/exports/sipas.xlsx", analyst, sipasExport(sv, "xlsx"))
		r(fiber.MethodGet, "/v1/exports/responses.csv", analyst, responsesExport(sv))
	}

	// Reference data administration.
	r(fiber.MethodGet, "/v1/admin/routing-rules", self, listRoutingRules(ref))
	r(fiber.MethodPost, "/v1/admin/routing-rules", require(identity.PermReferenceAdmin), createRoutingRule(ref))
	r(fiber.MethodPut, "/v1/admin/routing-rules/:code", require(identity.PermReferenceAdmin), replaceRoutingRule(ref))
	r(fiber.MethodDelete, "/v1/admin/routing-rules/:code", require(identity.PermReferenceAdmin), deleteRoutingRule(ref))
	{
		admin := require(identity.PermReferenceAdmin)
		r(fiber.MethodGet, "/v1/admin/categories", admin, adminList(func(c *fiber.Ctx) ([]feedback.Category, error) { return ref.Categories(c.UserContext()) }))
		r(fiber.MethodPost, "/v1/admin/categories", admin, adminCreate("/v1/admin/categories", ref.SaveCategory))
		r(fiber.MethodPut, "/v1/admin/categories/:code", admin, adminReplace(ref.SaveCategory))
		r(fiber.MethodGet, "/v1/admin/agencies", admin, adminList(func(c *fiber.Ctx) ([]feedback.Agency, error) { return ref.AllAgencies(c.UserContext()) }))
		r(fiber.MethodPost, "/v1/admin/agencies", admin, adminCreate("/v1/admin/agencies", ref.SaveAgency))
		r(fiber.MethodPut, "/v1/admin/agencies/:code", admin, adminReplace(ref.SaveAgency))
		r(fiber.MethodGet, "/v1/admin/areas", admin, adminList(allAreas(ref)))
		r(fiber.MethodPost, "/v1/admin/areas", admin, adminCreate("/v1/admin/areas", ref.SaveArea))
		r(fiber.MethodPut, "/v1/admin/areas/:code", admin, adminReplace(ref.SaveArea))
		r(fiber.MethodGet, "/v1/admin/calendar", admin, getCalendar(ref))
		r(fiber.MethodPut, "/v1/admin/calendar", admin, putCalendar(ref))
		r(fiber.MethodGet, "/v1/admin/audit", admin, auditLog(ref))
	}
}

// routeTable remembers the registered routes so a 405 can list the methods
// a path does allow.
type routeTable struct {
	routes []struct{ method, path string }
}

func (t *routeTable) add(method, path string) {
	t.routes = append(t.routes, struct{ method, path string }{method, path})
}

// has reports whether method and pattern were registered (HEAD rides on GET).
func (t *routeTable) has(method, pattern string) bool {
	if method == fiber.MethodHead {
		method = fiber.MethodGet
	}
	for _, r := range t.routes {
		if r.method == method && r.path == pattern {
			return true
		}
	}
	return false
}

// allowed returns the methods registered for paths matching path.
func (t *routeTable) allowed(path string) []string {
	set := map[string]bool{}
	for _, r := range t.routes {
		if matchPattern(r.path, path) {
			set[r.method] = true
			if r.method == fiber.MethodGet {
				set[fiber.MethodHead] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// matchPattern matches a Fiber pattern with ":param" segments.
func matchPattern(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return true
}
