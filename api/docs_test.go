package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	apidocs "camaug/mobile-api-docs"
)

// TestDocsPage_Served: /docs is HTML under a Content-Security-Policy that
// admits this origin only; every file it links is served (vendored ones
// cached for a year); the guide is served as Markdown; nothing else of
// the embedded folder is reachable.
func TestDocsPage_Served(t *testing.T) {
	env := newEnv(t, "sqlite")
	page := do(t, env.app, get("/docs"))
	wantStatus(t, page, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs: Content-Type %q, want text/html", ct)
	}
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("/docs: CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("/docs: CSP %q admits more than this origin's scripts", csp)
	}
	links := regexp.MustCompile(`(?:src|href)="(/docs/[^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	if len(links) < 4 {
		t.Fatalf("/docs links %d files, want the viewer's script and style, ours and the guide", len(links))
	}
	for _, l := range links {
		r := do(t, env.app, get(l[1]))
		wantStatus(t, r, http.StatusOK)
		cc := r.Header.Get("Cache-Control")
		if strings.Contains(l[1], "swagger-ui-5.35.0") != strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q (vendored, versioned files only are immutable)", l[1], cc)
		}
	}
	if r := do(t, env.app, get("/docs/guide.md")); string(r.body) != string(apidocs.Guide) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/markdown") {
		t.Errorf("/docs/guide.md: %s, %d bytes; want the guide as Markdown", r.Header.Get("Content-Type"), len(r.body))
	}
	for _, p := range []string{"/docs/index.html", "/docs/README.md", "/docs/nothing.js", "/docs/..%2Fopenapi.yaml"} {
		wantProblem(t, send(t, env.app, get(p)), http.StatusNotFound)
	}
}
