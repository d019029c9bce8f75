package api_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"camaug/api"
	"camaug/internal/browsertest"
)

// docsBrowser starts a headless Chromium of its own for one test.
func docsBrowser(t *testing.T) context.Context { return browsertest.Start(t) }

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
