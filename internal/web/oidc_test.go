package web_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"camaug/internal/identity"
	"camaug/internal/oidc"
	"camaug/internal/oidc/oidctest"
	"camaug/internal/store/sqlite"
	"camaug/internal/web"
)

const (
	oidcClientID     = "camaug-console"
	oidcClientSecret = "console-secret-for-tests"
	groupOfficers    = "so-xay-dung/can-bo"
	groupIOC         = "ioc/dieu-phoi"
	groupAdmins      = "camaug/quan-tri"
)

// oidcEnv is a console whose shared-account sign-in goes to a real
// in-process OpenID provider (oidctest), with three group mappings.
type oidcEnv struct {
	*env
	op *oidctest.Provider
}

func newOIDCEnv(t *testing.T) *oidcEnv {
	t.Helper()
	op := oidctest.Start(t)
	prov, err := oidc.New(oidc.Config{Issuer: op.Issuer, ClientID: oidcClientID, ClientSecret: oidcClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := startWith(t, db, []string{"127.0.0.1"}, nil, func(c *web.Config) { c.OIDC = prov })
	op.AddClient(oidctest.Client{ID: oidcClientID, Secret: oidcClientSecret,
		RedirectURIs: []string{e.base + "/console/oidc/callback"}, PostLogoutRedirectURIs: []string{e.base + "/console/login"}})
	ctx := context.Background()
	admin := identity.Principal{UserID: "test-admin", Role: identity.RoleAdmin}
	for _, m := range []identity.GroupMappingInput{
		{Group: groupOfficers, Role: identity.RoleOfficer, AgencyCode: officerAg},
		{Group: groupIOC, Role: identity.RoleCoordinator},
		{Group: groupAdmins, Role: identity.RoleAdmin},
	} {
		if _, err := e.ids.CreateGroupMapping(ctx, admin, m); err != nil {
			t.Fatal(err)
		}
	}
	op.AddUser(oidctest.User{Subject: "lan", Name: "Phạm Thị Lan", Email: "lan@soxaydung.camau.gov.vn",
		Groups: []string{"nhan-vien", groupOfficers}})
	op.AddUser(oidctest.User{Subject: "khach", Name: "Người Ngoài", Groups: []string{"nhan-vien"}})
	return &oidcEnv{env: e, op: op}
}

// toProvider starts the flow and walks the browser's hops through the
// provider (auto-login as subject) until it is sent back to the console's
// callback, which it returns without calling.
func (o *oidcEnv) toProvider(t *testing.T, b *browserless, subject string) string {
	t.Helper()
	res, _ := b.get("/console/oidc/start?next=/console/")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: got %d, want 303", res.StatusCode)
	}
	o.op.SetAutoLogin(subject)
	defer o.op.SetAutoLogin("")
	loc := res.Header.Get("Location")
	for i := 0; i < 10; i++ {
		if strings.HasPrefix(loc, o.base+"/console/oidc/callback") {
			return strings.TrimPrefix(loc, o.base)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if !u.IsAbs() {
			u = mustParse(t, o.op.Issuer).ResolveReference(u)
		}
		res, err := b.client.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc = res.Header.Get("Location")
		if loc == "" {
			t.Fatalf("the provider stopped at %s with %d", u, res.StatusCode)
		}
	}
	t.Fatal("no way back to the console")
	return ""
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func flowCookie(t *testing.T, b *browserless, base string) *http.Cookie {
	t.Helper()
	for _, c := range b.client.Jar.Cookies(mustParse(t, base+"/console/oidc/callback")) {
		if c.Name == "camaug_oidc_flow" {
			return c
		}
	}
	t.Fatal("no flow cookie")
	return nil
}

func TestConsoleOIDC_OfficerLandsInAgencyQueue(t *testing.T) {
	o := newOIDCEnv(t)
	b := o.client(t)
	_, page := b.get("/console/login")
	if !strings.Contains(page, "Đăng nhập bằng tài khoản dùng chung của tỉnh") {
		t.Fatal("the sign-in page offers no province account button")
	}
	res, _ := b.get(o.toProvider(t, b, "lan"))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/queue" {
		t.Fatalf("callback: got %d to %q, want 303 to /console/queue", res.StatusCode, res.Header.Get("Location"))
	}
	res, page = b.get("/console/queue")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, officerAg) {
		t.Fatalf("queue: got %d, want 200 naming %s", res.StatusCode, officerAg)
	}
	// The account is an officer of the mapped agency, made from the
	// provider's claims, with no password.
	list, err := o.ids.ListUsers(context.Background(), identity.Principal{UserID: "x", Role: identity.RoleAdmin},
		identity.UserFilter{Role: identity.RoleOfficer, AgencyCode: officerAg, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var found *identity.User
	for i := range list {
		if list[i].Name == "Phạm Thị Lan" {
			found = &list[i]
		}
	}
	if found == nil || found.PasswordHash != "" || found.Email != "lan@soxaydung.camau.gov.vn" {
		t.Fatalf("the provider's officer account: got %+v", found)
	}

	// Signing out ends our session and offers the provider's end-session
	// URL, with the id_token as hint and our sign-in page to come back to.
	res, page = b.do("POST", "/console/logout", url.Values{"_csrf": {hidden(page, "_csrf")}}, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Đăng xuất cả tài khoản dùng chung của tỉnh") {
		t.Fatalf("sign-out: got %d, want the page offering the provider's sign-out", res.StatusCode)
	}
	link := page[strings.Index(page, `id="oidc-endsession" href="`)+len(`id="oidc-endsession" href="`):]
	link = strings.ReplaceAll(link[:strings.IndexByte(link, '"')], "&amp;", "&")
	u := mustParse(t, link)
	if !strings.HasPrefix(link, o.op.Issuer) || u.Query().Get("id_token_hint") == "" ||
		u.Query().Get("post_logout_redirect_uri") != o.base+"/console/login" {
		t.Fatalf("end-session link: got %s", link)
	}
	if res, _ := b.get("/console/queue"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out the queue answers %d, want 303 to sign-in", res.StatusCode)
	}
}

func TestConsoleOIDC_Refusals(t *testing.T) {
	o := newOIDCEnv(t)

	t.Run("UnmappedSubject", func(t *testing.T) {
		b := o.client(t)
		res, page := b.get(o.toProvider(t, b, "khach"))
		if res.StatusCode != http.StatusForbidden || !strings.Contains(page, "chưa được ánh xạ") {
			t.Fatalf("got %d, want 403 with the refusal page", res.StatusCode)
		}
		if sessionCookie(res) != nil {
			t.Fatal("a refused subject got a session cookie")
		}
		b2 := o.client(t)
		b2.get("/console/login?lang=en")
		if res, page := b2.get(o.toProvider(t, b2, "khach")); res.StatusCode != http.StatusForbidden || !strings.Contains(page, "none of its groups is mapped") {
			t.Fatalf("English refusal: got %d", res.StatusCode)
		}
	})
	t.Run("StateMismatch", func(t *testing.T) {
		b := o.client(t)
		cb := o.toProvider(t, b, "lan")
		u := mustParse(t, o.base+cb)
		q := u.Query()
		q.Set("state", "someone-elses-state")
		if res, _ := b.get("/console/oidc/callback?" + q.Encode()); res.StatusCode != http.StatusBadRequest || sessionCookie(res) != nil {
			t.Fatalf("forged state: got %d, want 400 and no session", res.StatusCode)
		}
		// The flow was spent by the failed attempt: the right state now
		// fails too.
		if res, _ := b.get(cb); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("after a failed attempt: got %d, want 400", res.StatusCode)
		}
	})
	t.Run("FlowReplay", func(t *testing.T) {
		// The flow cookie (state, nonce, verifier) is single use, on any
		// instance: sending it again with the same callback is refused.
		b := o.client(t)
		cb := o.toProvider(t, b, "lan")
		flow := flowCookie(t, b, o.base)
		if res, _ := b.get(cb); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: got %d, want 303", res.StatusCode)
		}
		thief := o.client(t)
		thief.client.Jar.SetCookies(mustParse(t, o.base+"/console/oidc/callback"), []*http.Cookie{{Name: flow.Name, Value: flow.Value, Path: "/console/oidc"}})
		if res, _ := thief.get(cb); res.StatusCode != http.StatusBadRequest || sessionCookie(res) != nil {
			t.Fatalf("replayed flow: got %d, want 400 and no session", res.StatusCode)
		}
	})
	t.Run("CodeReuse", func(t *testing.T) {
		b := o.client(t)
		cb := o.toProvider(t, b, "lan")
		if res, _ := b.get(cb); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: got %d", res.StatusCode)
		}
		// A fresh flow, then the old code with the new state.
		other := o.client(t)
		res, _ := other.get("/console/oidc/start")
		state := mustParse(t, res.Header.Get("Location")).Query().Get("state")
		q := mustParse(t, o.base+cb).Query()
		q.Set("state", state)
		if res, _ := other.get("/console/oidc/callback?" + q.Encode()); res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil {
			t.Fatalf("reused code: got %d, want 401 and no session", res.StatusCode)
		}
	})
	t.Run("NoImplicitAdmin", func(t *testing.T) {
		// Groups that look like admin grant nothing; with an officer
		// mapping beside them the person is an officer.
		o.op.AddUser(oidctest.User{Subject: "gia-admin", Name: "Giả Quản Trị", Groups: []string{"admin", "Admin", "camaug/quan-tri-vien", "administrators"}})
		b := o.client(t)
		if res, _ := b.get(o.toProvider(t, b, "gia-admin")); res.StatusCode != http.StatusForbidden {
			t.Fatalf("admin-looking groups only: got %d, want 403", res.StatusCode)
		}
		o.op.AddUser(oidctest.User{Subject: "gia-admin", Name: "Giả Quản Trị", Groups: []string{"admin", groupOfficers}})
		b = o.client(t)
		b.get(o.toProvider(t, b, "gia-admin"))
		if res, _ := b.get("/console/admin/oidc"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("the admin page for a mapped officer: got %d, want 403", res.StatusCode)
		}
	})
	t.Run("RoleChangesAtNextSignIn", func(t *testing.T) {
		o.op.AddUser(oidctest.User{Subject: "minh", Name: "Võ Minh", Groups: []string{groupOfficers}})
		b := o.client(t)
		b.get(o.toProvider(t, b, "minh"))
		if res, _ := b.get("/console/triage"); res.StatusCode != http.StatusForbidden {
			t.Fatalf("an officer on triage: got %d, want 403", res.StatusCode)
		}
		o.op.AddUser(oidctest.User{Subject: "minh", Name: "Võ Minh", Groups: []string{groupOfficers, groupIOC}})
		b2 := o.client(t)
		b2.get(o.toProvider(t, b2, "minh"))
		if res, _ := b2.get("/console/triage"); res.StatusCode != http.StatusOK {
			t.Fatalf("a coordinator now, on triage: got %d, want 200", res.StatusCode)
		}
		// Every group removed: refused, and the sessions already open end.
		o.op.AddUser(oidctest.User{Subject: "minh", Name: "Võ Minh", Groups: nil})
		b3 := o.client(t)
		if res, _ := b3.get(o.toProvider(t, b3, "minh")); res.StatusCode != http.StatusForbidden {
			t.Fatalf("no groups left: got %d, want 403", res.StatusCode)
		}
		if res, _ := b2.get("/console/triage"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the open session after the groups went: got %d, want 303 to sign-in", res.StatusCode)
		}
	})
	t.Run("ProviderDown", func(t *testing.T) {
		o.op.Stop()
		defer o.op.Restart()
		b := o.client(t)
		res, page := b.get("/console/oidc/start")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, "không truy cập được") {
			t.Fatalf("provider down: got %d, want 503 with the explanation", res.StatusCode)
		}
		// Our own accounts still sign in.
		if res, _ := b.signIn(officerEmail, staffPassword); res.StatusCode != http.StatusSeeOther || sessionCookie(res) == nil {
			t.Fatalf("password sign-in with the provider down: got %d", res.StatusCode)
		}
	})
}

func TestConsoleOIDC_OffWhenNotConfigured(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	if _, page := b.get("/console/login"); strings.Contains(page, "oidc-signin") {
		t.Fatal("the button shows without a configured provider")
	}
	if res, _ := b.get("/console/oidc/start"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("start without a provider: got %d, want 404", res.StatusCode)
	}
}

// The mapping page is the admin's alone, and its forms need the session's
// CSRF token; a refused form writes nothing.
func TestConsoleOIDC_AdminPageGuards(t *testing.T) {
	o := newOIDCEnv(t)
	coord := o.client(t)
	coord.signIn(coordEmail, staffPassword)
	if res, _ := coord.get("/console/admin/oidc"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a coordinator on the mapping page: got %d, want 403", res.StatusCode)
	}
	if res, _ := coord.do("POST", "/console/admin/oidc/mappings", url.Values{"_csrf": {coord.csrf()}, "group": {"ioc-2"}, "role": {"admin"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a coordinator adding a mapping: got %d, want 403", res.StatusCode)
	}
	admin := o.client(t)
	admin.signIn(adminEmail, staffPassword)
	res, page := admin.get("/console/admin/oidc")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, groupOfficers) {
		t.Fatalf("the admin's page: got %d", res.StatusCode)
	}
	if res, _ := admin.do("POST", "/console/admin/oidc/mappings", url.Values{"group": {"khong-csrf"}, "role": {"analyst"}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a form without CSRF: got %d, want 403", res.StatusCode)
	}
	// A broken rule is shown beside the field, with the input kept.
	res, page = admin.do("POST", "/console/admin/oidc/mappings", url.Values{"_csrf": {hidden(page, "_csrf")}, "group": {"thieu-co-quan"}, "role": {"officer"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `value="thieu-co-quan"`) || !strings.Contains(page, "Cán bộ phải thuộc một cơ quan") {
		t.Fatalf("an officer rule without agency: got %d", res.StatusCode)
	}
	list, err := o.ids.GroupMappings(context.Background(), identity.Principal{UserID: "x", Role: identity.RoleAdmin})
	if err != nil || len(list) != 3 {
		t.Fatalf("mappings after the refused forms: got %d, %v; want the 3 of the set-up", len(list), err)
	}
}
