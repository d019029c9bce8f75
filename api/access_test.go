package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/identity"
)

// accessRule says who gets through a route. public: anyone, token or not.
// Otherwise only the listed roles; other roles get 403 and callers without
// a token 401.
type accessRule struct {
	method, path string
	query        string
	public       bool
	roles        []string
	body         func(env *testEnv) any
}

var everyone = []string{"guest", "citizen", "officer", "agency_admin", "coordinator", "analyst", "admin"}

var accessTable = []accessRule{
	{method: "GET", path: "/healthz", public: true},
	{method: "GET", path: "/readyz", public: true},
	{method: "GET", path: "/openapi.yaml", public: true},
	{method: "GET", path: "/docs", public: true},
	{method: "GET", path: "/docs/:file", public: true},
	{method: "GET", path: "/.well-known/jwks.json", public: true},
	{method: "GET", path: "/v1/categories", public: true},
	{method: "GET", path: "/v1/agencies", public: true},
	{method: "GET", path: "/v1/areas", public: true},
	{method: "POST", path: "/v1/auth/register", public: true, body: func(*testEnv) any {
		return map[string]string{"email": fmt.Sprintf("n%d@example.vn", next()), "password": "dang-ky-moi-1", "name": "Người mới"}
	}},
	{method: "POST", path: "/v1/auth/guest", public: true, body: func(*testEnv) any {
		return map[string]string{"device_id": fmt.Sprintf("device-%08d", next())}
	}},
	{method: "POST", path: "/v1/auth/login", public: true, body: func(*testEnv) any {
		return map[string]string{"login": "citizen@example.vn", "password": "vai-tro-2026"}
	}},
	{method: "POST", path: "/v1/auth/refresh", public: true, body: func(env *testEnv) any {
		tk, _ := env.ids.Login(context.Background(), "citizen@example.vn", "vai-tro-2026", "127.0.0.2")
		return map[string]string{"refresh_token": tk.RefreshToken}
	}},
	{method: "POST", path: "/v1/auth/logout", public: true, body: func(*testEnv) any { return map[string]string{"refresh_token": "x"} }},
	{method: "GET", path: "/v1/me", roles: everyone},
	{method: "PATCH", path: "/v1/me", roles: everyone, body: func(*testEnv) any { return map[string]string{"locale": "vi"} }},
	{method: "POST", path: "/v1/me/password", roles: everyone, body: func(*testEnv) any {
		return map[string]string{"current_password": "not-the-one", "new_password": "moi-hoan-toan-1"}
	}},
	{method: "DELETE", path: "/v1/me", roles: everyone},
	// OIDC is off in this env: the exchange answers 404, past the door.
	{method: "POST", path: "/v1/auth/oidc/token", public: true, body: func(*testEnv) any { return map[string]string{"id_token": "a.b.c"} }},
	{method: "GET", path: "/v1/me/identities", roles: everyone},
	{method: "DELETE", path: "/v1/me/identities/:id", roles: everyone}, // 404: not the caller's link
	{method: "POST", path: "/v1/me/devices", roles: everyone, body: func(*testEnv) any {
		return map[string]string{"platform": "android", "push_token": "access-table-push-token-0001"}
	}},
	{method: "DELETE", path: "/v1/me/devices/:key", roles: everyone},
	{method: "GET", path: "/v1/admin/users", roles: []string{"agency_admin", "admin"}},
	{method: "POST", path: "/v1/admin/users", roles: []string{"agency_admin", "admin"}, body: func(*testEnv) any {
		return map[string]string{"role": "officer", "email": fmt.Sprintf("o%d@camau.gov.vn", next()), "name": "Cán bộ", "password": "can-bo-moi-2026", "agency_code": "so-xay-dung"}
	}},
	{method: "PATCH", path: "/v1/admin/users/:id", roles: []string{"agency_admin", "admin"}, body: func(*testEnv) any {
		return map[string]bool{"disabled": false}
	}},
	{method: "POST", path: "/v1/admin/users/:id/password", roles: []string{"agency_admin", "admin"}},
	// The province provider's group mappings (oidc_admin.go): admins only.
	{method: "GET", path: "/v1/admin/oidc/group-mappings", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/oidc/group-mappings", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]string{"group": fmt.Sprintf("nhom-%d", next()), "role": "analyst"}
	}},
	{method: "GET", path: "/v1/admin/oidc/group-mappings/:id", roles: []string{"admin"}},
	{method: "PUT", path: "/v1/admin/oidc/group-mappings/:id", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]string{"group": "nhom-x", "role": "analyst"}
	}},
	{method: "DELETE", path: "/v1/admin/oidc/group-mappings/:id", roles: []string{"admin"}},
	{method: "GET", path: "/v1/admin/oidc/verified-acr-values", roles: []string{"admin"}},
	{method: "PUT", path: "/v1/admin/oidc/verified-acr-values", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"acr_values": []string{"loa3"}}
	}},
	{method: "POST", path: "/v1/reports", roles: []string{"guest", "citizen"}, body: func(*testEnv) any { return validReport() }},
	{method: "GET", path: "/v1/reports", public: true},
	{method: "GET", path: "/v1/reports.geojson", public: true},
	{method: "GET", path: "/v1/reports/nearby", query: "?lat=9.1769&lng=105.1524", public: true},
	// Any signed-in caller passes the door; the report itself is 404 to
	// those who may not see it (tested in the report tests).
	{method: "GET", path: "/v1/reports/:id", roles: everyone},
	{method: "POST", path: "/v1/reports/:id/support", roles: []string{"guest", "citizen"}},
	{method: "POST", path: "/v1/reports/:id/media", roles: []string{"guest", "citizen"}},
	{method: "GET", path: "/v1/media/:id", public: true},
	{method: "GET", path: "/v1/media/:id/thumb", public: true},
	{method: "GET", path: "/v1/me/reports", roles: everyone},
	{method: "POST", path: "/v1/reports/:id/reroute", roles: []string{"coordinator", "admin"}, body: func(*testEnv) any {
		return map[string]string{"agency_code": "so-xay-dung", "note": "đúng thẩm quyền"}
	}},
	{method: "POST", path: "/v1/reports/:id/transitions", roles: everyone, body: func(*testEnv) any { return map[string]string{"action": "accept"} }},
	{method: "GET", path: "/v1/reports/:id/history", roles: everyone},
	{method: "POST", path: "/v1/reports/:id/rating", roles: everyone, body: func(*testEnv) any { return map[string]int{"score": 5} }},
	{method: "GET", path: "/v1/agency/reports", roles: []string{"officer", "agency_admin", "coordinator", "admin"}},
	{method: "GET", path: "/v1/agency/reports/counts", roles: []string{"officer", "agency_admin", "coordinator", "admin"}},
	{method: "GET", path: "/v1/indicators/feedback", public: true},
	{method: "GET", path: "/v1/indicators/report-satisfaction", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "POST", path: "/v1/surveys", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"template": "sipas", "title": "SIPAS", "period": map[string]string{"from": "2026-01-01", "to": "2026-12-31"}}
	}},
	{method: "GET", path: "/v1/surveys", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/surveys/:id", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "PUT", path: "/v1/surveys/:id", roles: []string{"admin"}, body: func(*testEnv) any { return map[string]any{} }},
	{method: "POST", path: "/v1/surveys/:id/publish", roles: []string{"admin"}},
	{method: "POST", path: "/v1/surveys/:id/close", roles: []string{"admin"}},
	{method: "POST", path: "/v1/surveys/:id/invitations", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"count": 1, "agency_code": "so-y-te", "area_code": "ca-mau"}
	}},
	// Public: a token or a signed-in account is checked by the survey
	// (tested in the survey tests).
	{method: "GET", path: "/v1/surveys/:id/form", public: true},
	{method: "POST", path: "/v1/surveys/:id/responses", public: true, body: func(*testEnv) any { return map[string]any{"answers": map[string]any{}} }},
	{method: "GET", path: "/v1/indicators/sipas", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/indicators/sipas/ranking", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/indicators/papi", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/exports/sipas.csv", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/exports/sipas.xlsx", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/exports/responses.csv", roles: []string{"analyst", "coordinator", "admin"}},
	{method: "GET", path: "/v1/admin/routing-rules", roles: []string{"coordinator", "admin"}},
	{method: "POST", path: "/v1/admin/routing-rules", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]string{"code": fmt.Sprintf("r-test-%d", next()), "category_code": "y-te", "area_code": "phuong-an-xuyen", "agency_code": "so-y-te"}
	}},
	{method: "PUT", path: "/v1/admin/routing-rules/:code", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]string{"code": "x", "agency_code": "so-y-te"}
	}},
	{method: "DELETE", path: "/v1/admin/routing-rules/:code", roles: []string{"admin"}},
	{method: "GET", path: "/v1/admin/categories", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/categories", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": fmt.Sprintf("c-test-%d", next()), "name": map[string]string{"vi": "Thử"}, "urgent_capable": false, "out_of_scope": false, "sort_order": 99}
	}},
	{method: "PUT", path: "/v1/admin/categories/:code", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": "x", "name": map[string]string{"vi": "Thử"}}
	}},
	{method: "GET", path: "/v1/admin/agencies", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/agencies", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": fmt.Sprintf("a-test-%d", next()), "name": map[string]string{"vi": "Thử"}, "kind": "department", "active": true}
	}},
	{method: "PUT", path: "/v1/admin/agencies/:code", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": "x", "name": map[string]string{"vi": "Thử"}, "kind": "department"}
	}},
	{method: "GET", path: "/v1/admin/areas", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/areas", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": fmt.Sprintf("ar-test-%d", next()), "name": map[string]string{"vi": "Thử"}, "level": "ward", "parent_code": "ca-mau"}
	}},
	{method: "PUT", path: "/v1/admin/areas/:code", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"code": "x", "name": map[string]string{"vi": "Thử"}, "level": "ward"}
	}},
	{method: "GET", path: "/v1/admin/calendar", roles: []string{"admin"}},
	{method: "PUT", path: "/v1/admin/calendar", roles: []string{"admin"}, body: func(*testEnv) any { return map[string]any{"time_zone": "Mars/Olympus"} }},
	{method: "GET", path: "/v1/admin/audit", roles: []string{"admin"}},
	// Open311: no bearer token; POST needs an api_key (tested in open311_test.go).
	{method: "GET", path: "/open311/v2/discovery.:format", public: true},
	{method: "GET", path: "/open311/v2/services.:format", public: true},
	{method: "GET", path: "/open311/v2/services/:service_code.:format", public: true},
	{method: "GET", path: "/open311/v2/requests.:format", public: true},
	{method: "POST", path: "/open311/v2/requests.:format", query: "?api_key=" + testOpen311Key, public: true},
	{method: "GET", path: "/open311/v2/requests/:id.:format", public: true},
	{method: "GET", path: "/open311/v2/tokens/:token.:format", public: true},
	// API clients (stats_test.go has the API keys' side).
	{method: "GET", path: "/v1/stats/reports", roles: []string{"coordinator", "analyst", "admin"}},
	{method: "GET", path: "/v1/stats/reports/changes", roles: []string{"coordinator", "analyst", "admin"}},
	{method: "GET", path: "/v1/admin/clients", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/clients", roles: []string{"admin"}, body: func(*testEnv) any {
		return map[string]any{"name": "LGSP", "scopes": []string{"stats:read"}}
	}},
	{method: "GET", path: "/v1/admin/clients/:id", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/clients/:id/rotate", roles: []string{"admin"}},
	{method: "POST", path: "/v1/admin/clients/:id/revoke", roles: []string{"admin"}},
}

var counter int

func next() int { counter++; return counter }

// roleTokens signs in one account of each role (a fresh set each call, so
// DELETE /v1/me can erase them).
func roleTokens(t *testing.T, env *testEnv, tag string) map[string]string {
	t.Helper()
	out := map[string]string{"anonymous": ""}
	var g registered
	do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "access-device-" + tag})).json(t, &g)
	out["guest"] = g.AccessToken
	r := do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"email": tag + "citizen@example.vn", "password": "vai-tro-2026", "name": "Công dân"}))
	var c registered
	r.json(t, &c)
	out["citizen"] = c.AccessToken
	for _, role := range []identity.Role{identity.RoleOfficer, identity.RoleAgencyAdmin, identity.RoleCoordinator, identity.RoleAnalyst, identity.RoleAdmin} {
		agency := ""
		if role.HasAgency() {
			agency = "so-xay-dung"
		}
		out[string(role)] = staff(t, env, role, fmt.Sprintf("%s%s@camau.gov.vn", tag, role), agency).AccessToken
	}
	return out
}

func TestAccessTable(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		// Every served route has a row.
		param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
		rows := map[string]bool{}
		for _, r := range accessTable {
			rows[r.method+" "+r.path] = true
		}
		for _, r := range env.app.GetRoutes(true) {
			if r.Method == fiber.MethodHead || r.Path == "/" {
				continue
			}
			if !rows[r.Method+" "+r.Path] {
				t.Errorf("route %s %s has no row in the access table", r.Method, param.ReplaceAllString(r.Path, "{$1}"))
			}
		}
		tokens := roleTokens(t, env, "")
		// A target for PATCH /v1/admin/users/:id that both admins may manage.
		officer := staff(t, env, identity.RoleOfficer, "target@camau.gov.vn", "so-xay-dung")
		var target user
		do(t, env.app, req("GET", "/v1/me", officer.AccessToken, nil)).json(t, &target)

		for _, rule := range accessTable {
			path := regexp.MustCompile(`:id`).ReplaceAllString(rule.path, target.ID)
			path = regexp.MustCompile(`:code`).ReplaceAllString(path, "no-such-rule")
			path = strings.NewReplacer(":format", "json", ":service_code", "cap-thoat-nuoc", ":token", target.ID).Replace(path)
			callers := append([]string{"anonymous"}, everyone...)
			toks := tokens
			if rule.method == "DELETE" && rule.path == "/v1/me" {
				toks = roleTokens(t, env, "del-")
			}
			for _, role := range callers {
				if rule.public && role != "anonymous" {
					continue
				}
				var body any
				if rule.body != nil {
					body = rule.body(env)
				}
				r := do(t, env.app, req(rule.method, path+rule.query, toks[role], body))
				allowed := rule.public || contains(rule.roles, role)
				switch {
				case allowed && (r.StatusCode == http.StatusUnauthorized || r.StatusCode == http.StatusForbidden):
					t.Errorf("%s %s as %s: got %d, want through; %s", rule.method, rule.path, role, r.StatusCode, r.body)
				case !allowed && role == "anonymous" && r.StatusCode != http.StatusUnauthorized:
					t.Errorf("%s %s without a token: got %d, want 401", rule.method, rule.path, r.StatusCode)
				case !allowed && role != "anonymous" && r.StatusCode != http.StatusForbidden:
					t.Errorf("%s %s as %s: got %d, want 403", rule.method, rule.path, role, r.StatusCode)
				}
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
