package api_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"camaug/api"
)

// docsBrowser starts a headless Chromium with a fresh profile, with the
// flags of the console's browser tests (internal/web/browser_test.go).
// Without Chromium the test is skipped on a developer's machine and fails
// in CI, which installs it.
func docsBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("the browser tests need Chromium, and CI must install it (apt-get install chromium)")
		}
		t.Skip("Chromium is not installed (apt-get install chromium); the browser test did not run")
	}
	profile, err := os.MkdirTemp("", "camaug-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// TestDocsPage_Browser: /docs, served by the real app on a real listener,
// renders the OpenAPI document in Chromium (operation names visible), with
// every request to the service itself (offline: no CDN, no fonts) and no
// Content-Security-Policy violation.
func TestDocsPage_Browser(t *testing.T) {
	env := newEnv(t, "sqlite")
	base := "http://" + serveOn(t, env.app, api.ConnLimits{})
	ctx := docsBrowser(t)

	var mu sync.Mutex
	var elsewhere, complaints []string
	chromedp.ListenTarget(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(ev.Request.URL)
			if err != nil || (u.Scheme != "data" && "http://"+u.Host != base) {
				elsewhere = append(elsewhere, ev.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning {
				for _, a := range ev.Args {
					complaints = append(complaints, string(a.Value)+a.Description)
				}
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.LevelError || ev.Entry.Level == cdplog.LevelWarning {
				complaints = append(complaints, ev.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			complaints = append(complaints, ev.ExceptionDetails.Error())
		}
	})
	var text string
	step, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := chromedp.Run(step,
		network.Enable(), runtime.Enable(), cdplog.Enable(),
		chromedp.Navigate(base+"/docs"),
		chromedp.Poll(`document.querySelectorAll(".opblock").length > 0`, nil, chromedp.WithPollingTimeout(50*time.Second)),
		chromedp.Text(`#swagger-ui`, &text, chromedp.ByQuery),
	)
	if err != nil {
		var body string
		chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &body))
		mu.Lock()
		t.Fatalf("the docs page did not render: %v\nthe page reads:\n%.2000s\nthe browser logged: %v", err, body, complaints)
	}
	for _, want := range []string{"CaMau-G Citizen Voice API", "Submit a field report", "/v1/reports/{id}/media", "Sign in a device as a guest"} {
		if !strings.Contains(text, want) {
			t.Errorf("the docs page does not show %q; it reads:\n%.2000s", want, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) > 0 {
		t.Errorf("the docs page requested other hosts (it must work offline): %v", elsewhere)
	}
	for _, c := range complaints {
		t.Errorf("the page logged an error (a Content-Security-Policy violation, a failed load...): %s", c)
	}
}
