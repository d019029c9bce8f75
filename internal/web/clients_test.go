package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestConsole_APIClients: an admin creates an API client on the console
// page (CSRF like every form), sees its key once, the key reads the
// statistics, and revoking it on the page refuses it on the next call.
// Coordinators may not open the page; the page speaks Vietnamese and
// English.
func TestConsole_APIClients(t *testing.T) {
	e := newEnv(t)
	admin := e.client(t)
	admin.signIn(adminEmail, staffPassword)
	res, page := admin.get("/console/clients")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Ứng dụng kết nối") || !strings.Contains(page, "Chưa có ứng dụng nào.") {
		t.Fatalf("the page: %d\n%s", res.StatusCode, page)
	}
	csrf := hidden(page, "_csrf")
	form := url.Values{"_csrf": {csrf}, "name": {"LGSP Cà Mau"}, "scopes": {"stats:read"}, "rate_limit": {"60"}}
	noToken := url.Values{"name": {"X"}, "scopes": {"stats:read"}}
	if res, _ := admin.do("POST", "/console/clients", noToken, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("without the CSRF token: got %d, want 403", res.StatusCode)
	}
	bad := url.Values{"_csrf": {csrf}, "name": {"Thiếu quyền"}}
	if res, body := admin.do("POST", "/console/clients", bad, nil); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Thiếu quyền"`) {
		t.Fatalf("no scope: got %d, want 422 with the input kept", res.StatusCode)
	}
	res, page = admin.do("POST", "/console/clients", form, nil)
	key := regexp.MustCompile(`<code id="new-key">(cmg_\w{26}_[\w-]{43})</code>`).FindStringSubmatch(page)
	if res.StatusCode != http.StatusCreated || key == nil || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: got %d (Cache-Control %q), key %v", res.StatusCode, res.Header.Get("Cache-Control"), key)
	}
	stats := func() int {
		req, _ := http.NewRequest("GET", e.base+"/v1/stats/reports", nil)
		req.Header.Set("X-Api-Key", key[1])
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if got := stats(); got != http.StatusOK {
		t.Fatalf("the new key: got %d, want 200", got)
	}
	_, page = admin.get("/console/clients?lang=en")
	if strings.Contains(page, key[1]) || !strings.Contains(page, "LGSP Cà Mau") || !strings.Contains(page, "API clients") || !strings.Contains(page, "Revoke") {
		t.Fatalf("the list shows the key again, or misses the client or the English labels:\n%s", page)
	}
	id := regexp.MustCompile(`/console/clients/(\w{26})/revoke`).FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no revoke form")
	}
	if res, _ := admin.do("POST", "/console/clients/"+id[1]+"/revoke", url.Values{"_csrf": {csrf}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: got %d, want 303", res.StatusCode)
	}
	if got := stats(); got != http.StatusUnauthorized {
		t.Fatalf("the revoked key: got %d, want 401", got)
	}
	_, page = admin.get("/console/clients")
	if !strings.Contains(page, "Revoked") || !strings.Contains(page, "The keys were revoked.") { // English since ?lang=en; the flash once
		t.Fatal("the list does not show the client as revoked, or no flash message")
	}

	coord := e.client(t)
	coord.signIn(coordEmail, staffPassword)
	if res, _ := coord.get("/console/clients"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a coordinator: got %d, want 403", res.StatusCode)
	}
}
