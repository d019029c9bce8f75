package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// loadBoundaries gives two wards a square boundary through the admin API,
// so the dashboard draws its choropleth.
func loadBoundaries(t *testing.T, e *env) {
	t.Helper()
	admin := e.token(t, adminEmail, staffPassword)
	for i, code := range []string{"phuong-an-xuyen", "phuong-tan-thanh"} {
		var a map[string]any
		var all struct{ Items []map[string]any }
		if st := e.call(t, "GET", "/v1/admin/areas", admin, nil, &all); st != 200 {
			t.Fatalf("areas: %d", st)
		}
		for _, x := range all.Items {
			if x["code"] == code {
				a = x
			}
		}
		if a == nil {
			t.Fatalf("no area %s", code)
		}
		x0 := 105.10 + 0.05*float64(i)
		a["boundary"] = json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]g,9.15],[%[2]g,9.15],[%[2]g,9.20],[%[1]g,9.20],[%[1]g,9.15]]]}`, x0, x0+0.05))
		if st := e.call(t, "PUT", "/v1/admin/areas/"+code, admin, a, nil); st != 200 {
			t.Fatalf("boundary of %s: %d", code, st)
		}
	}
}

// An analyst signs in and reads the dashboard in a real browser: the
// overall index is the API's for the same filters, a group under the
// minimum shows no value, every chart and the map are drawn under the
// strict CSP, a CSV download's totals match the page, and the page prints;
// then an officer is refused.
func TestBrowser_AnalystDashboard(t *testing.T) {
	e := newEnv(t)
	d := seedDashboard(t, e)
	loadBoundaries(t, e)
	ctx := browser(t)
	analyst := e.token(t, analystEmail, staffPassword)
	var api sipasAPI
	if st := e.call(t, "GET", "/v1/indicators/sipas?survey_id="+d.sipas+"&from=2026-03&to=2026-03", analyst, nil, &api); st != 200 || api.Overall.Value == nil {
		t.Fatalf("API: %d", st)
	}

	signInBrowser(t, ctx, e, analystEmail)
	// The analyst's menu leads to the dashboard; choose the months there.
	run(t, ctx,
		chromedp.Click(`//nav//a[@href="/console/analytics"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#an-filters`, chromedp.ByQuery),
		chromedp.SetValue(`#f-from`, "2026-03", chromedp.ByQuery),
		chromedp.SetValue(`#f-to`, "2026-03", chromedp.ByQuery),
		chromedp.Click(`#f-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`//strong[@id="period"][contains(., "2026-03 – 2026-03")]`, chromedp.BySearch),
		chromedp.WaitVisible(`#an-map[data-drawn="2"]`, chromedp.ByQuery),
	)
	if got, want := strings.ReplaceAll(textOf(t, ctx, `#overall-value`), "\u2009", " "), oneDecimal(*api.Overall.Value)+" %"; got != want {
		t.Errorf("overall index: got %q, want the API's %q", got, want)
	}
	if got := textOf(t, ctx, `#overall-n`); got != fmt.Sprint(api.Overall.N) {
		t.Errorf("overall n: got %s, want %d", got, api.Overall.N)
	}
	// Health has 3 answers, under the minimum of 5.
	var health []string
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll("#d-agencies tbody tr")].map(tr => tr.innerText).filter(s => s.includes("so-y-te"))`, &health))
	if len(health) != 1 || !strings.Contains(health[0], "Quá ít trả lời") || strings.ContainsAny(strings.SplitN(health[0], "so-y-te", 2)[1][1:], ",%") {
		t.Errorf("Health's row: %q", health)
	}
	// Every chart is drawn (Chart.js ran under the CSP) and has its table.
	var charts, drawn, tables int
	run(t, ctx,
		chromedp.Evaluate(`document.querySelectorAll("canvas[data-table]").length`, &charts),
		chromedp.Evaluate(`document.querySelectorAll("canvas[data-drawn]").length`, &drawn),
		chromedp.Evaluate(`[...document.querySelectorAll("canvas[data-table]")].filter(c => document.getElementById(c.dataset.table)).length`, &tables),
	)
	if charts < 9 || drawn != charts || tables != charts {
		t.Errorf("charts: %d, drawn %d, with their table %d", charts, drawn, tables)
	}

	// The agencies' CSV, fetched as the browser would download it: its n
	// column adds up to the page's.
	var sums []int
	run(t, ctx, chromedp.Evaluate(`(async () => {
		const a = document.querySelector('#t-agencies a[href*=".csv"]');
		const text = await (await fetch(a.href)).text();
		const lines = text.replace(/^\ufeff/, "").trim().split(/\r\n/).slice(1);
		const csv = lines.map(l => parseInt(l.split(",")[4], 10)).reduce((x, y) => x + y, 0);
		const page = [...document.querySelectorAll("#d-agencies tbody tr")].map(tr => parseInt(tr.children[4].innerText, 10)).reduce((x, y) => x + y, 0);
		return [csv, page, lines.length];
	})()`, &sums, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if len(sums) != 3 || sums[0] != sums[1] || sums[0] != 9 || sums[2] != 2 {
		t.Errorf("CSV n total %v, want the page's (9) over 2 rows", sums)
	}
	// The monthly report prints without the menu, the filters and the
	// download links, with every table, and Chromium makes a PDF of it.
	var hidden, shown bool
	var pdf []byte
	run(t, ctx,
		emulation.SetEmulatedMedia().WithMedia("print"),
		chromedp.Evaluate(`[...document.querySelectorAll("header.top, #an-filters, .downloads, .actions")].every(e => getComputedStyle(e).display === "none")`, &hidden),
		chromedp.Evaluate(`[...document.querySelectorAll("table.figures")].every(e => getComputedStyle(e).display !== "none")`, &shown),
		emulation.SetEmulatedMedia().WithMedia(""),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().WithPaperWidth(8.27).WithPaperHeight(11.69).Do(ctx)
			return err
		}),
	)
	if !hidden || !shown || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("print: controls hidden %v, tables shown %v, PDF %d bytes", hidden, shown, len(pdf))
	}
	viewportShot(t, ctx, "analytics-desktop", 1280, 1000)
	viewportShot(t, ctx, "analytics-phone", 360, 740)

	// An officer in the same browser gets the refusal page, no figures
	// and no menu entry.
	run(t, ctx, chromedp.Click(`#signout`, chromedp.ByQuery), chromedp.WaitVisible(`#login`, chromedp.ByQuery))
	signInBrowser(t, ctx, e, officerEmail)
	run(t, ctx, chromedp.Navigate(e.base+"/console/analytics?survey="+d.sipas+"&from=2026-03&to=2026-03"), chromedp.WaitVisible(`#error-message`, chromedp.ByQuery))
	var n int
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll("#overall-value, table.figures, a[href='/console/analytics']").length`, &n))
	if n != 0 {
		t.Errorf("the officer sees the dashboard or its menu entry (%d elements)", n)
	}
}

// viewportShot is screenshot for a long page: the top of the page only
// (the whole dashboard would be a 10,000-pixel image).
func viewportShot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("CAMAUG_SCREENSHOTS") == "update" {
		dir = "screenshots"
	}
	var png []byte
	run(t, ctx,
		emulation.SetDeviceMetricsOverride(width, height, 1, width < 600),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		chromedp.Sleep(300*time.Millisecond), // layout after the resize; nothing is awaited on it
		chromedp.CaptureScreenshot(&png),
		emulation.ClearDeviceMetricsOverride(),
	)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
