package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"camaug/internal/browsertest"
)

// browser starts a headless Chromium of its own for one test.
func browser(t *testing.T) context.Context { return browsertest.Start(t) }

// run performs the actions, each batch within 20 s; on failure it prints
// where the browser is and what it shows.
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		var loc, text string
		chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Evaluate(`document.body ? document.body.innerText : ""`, &text))
		t.Fatalf("%v\nat %s the page reads:\n%s", err, loc, text)
	}
}

// signInBrowser fills the sign-in form like a person would.
func signInBrowser(t *testing.T, ctx context.Context, e *env, login string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/login"),
		chromedp.WaitVisible(`#login`, chromedp.ByQuery),
		chromedp.SendKeys(`#login`, login, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`#signin-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signout`, chromedp.ByQuery),
	)
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	run(t, ctx, chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

// screenshot saves the page at a width for the README when
// CAMAUG_SCREENSHOTS=update; otherwise it still renders, into the test's
// temporary folder.
func screenshot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	dir := t.TempDir()
	if os.Getenv("CAMAUG_SCREENSHOTS") == "update" {
		dir = "screenshots"
	}
	var png []byte
	run(t, ctx,
		emulation.SetDeviceMetricsOverride(width, height, 1, width < 600),
		chromedp.Sleep(300*time.Millisecond), // layout after the resize; nothing is awaited on it
		chromedp.FullScreenshot(&png, 100),
		emulation.ClearDeviceMetricsOverride(),
	)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The officer's day: sign in, a new report appears in the queue without a
// reload, accept, start, answer; the citizen reads the answer in the API.
func TestBrowser_OfficerHandlesAReport(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	citizen := e.citizen(t)
	signInBrowser(t, ctx, e, officerEmail)
	run(t, ctx, chromedp.Navigate(e.base+"/console/queue"), chromedp.WaitVisible(`#rows`, chromedp.ByQuery))

	r := e.submit(t, citizen, "ha-tang-do-thi", "Ổ gà lớn trên đường Trần Hưng Đạo, xe máy dễ té ngã", nil)
	e.dispatch(t, r.ID, officerAg)
	// The open queue polls the store: the report appears without a reload.
	run(t, ctx,
		chromedp.WaitVisible(`//tbody[@id="rows"]//a[contains(., "`+r.TrackingCode+`")]`, chromedp.BySearch),
		chromedp.WaitVisible(`//nav[@class="tabs"]/a[contains(., "Đã chuyển xử lý")]/span[text()="1"]`, chromedp.BySearch),
	)
	screenshot(t, ctx, "queue-desktop", 1280, 800)
	screenshot(t, ctx, "queue-phone", 360, 740)

	// The queue re-renders its rows every second, so a node found for a
	// click may be gone before the click lands: follow the row's link
	// instead (what a click on it does).
	var href string
	run(t, ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('#rows a')).filter(function (a) { return a.textContent.indexOf('`+r.TrackingCode+`') >= 0 }).map(function (a) { return a.href })[0] || ''`, &href))
	if href == "" {
		t.Fatalf("no link to %s in the queue", r.TrackingCode)
	}
	run(t, ctx,
		chromedp.Navigate(href),
		chromedp.WaitVisible(`#report-code`, chromedp.ByQuery),
	)
	if got := textOf(t, ctx, `#report-status`); got != "Đã chuyển xử lý" {
		t.Fatalf("status shown: got %q, want Đã chuyển xử lý", got)
	}
	// Tiles cannot load here; the point's coordinates are still shown.
	if got := textOf(t, ctx, `#coords`); !strings.HasPrefix(got, "9.176900, 105.152400") {
		t.Errorf("coordinates: got %q", got)
	}
	screenshot(t, ctx, "report-desktop", 1280, 900)
	screenshot(t, ctx, "report-phone", 360, 740)

	for _, step := range []struct{ action, status string }{{"accept", "Đã tiếp nhận"}, {"start", "Đang xử lý"}} {
		run(t, ctx,
			chromedp.Click(`#act-`+step.action+` summary`, chromedp.ByQuery),
			chromedp.Click(`#do-`+step.action, chromedp.ByQuery),
			chromedp.WaitVisible(`//span[@id="report-status" and text()="`+step.status+`"]`, chromedp.BySearch),
		)
	}
	answer := "Đã vá ổ gà ngày 05/12, đường thông thoáng."
	run(t, ctx,
		chromedp.Click(`#act-resolve summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#resolve-note`, answer, chromedp.ByQuery),
		chromedp.Click(`#do-resolve`, chromedp.ByQuery),
		chromedp.WaitVisible(`#report-answer`, chromedp.ByQuery),
	)
	var got report
	if st := e.call(t, "GET", "/v1/reports/"+r.ID, citizen, nil, &got); st != 200 {
		t.Fatalf("citizen reads the report: status %d", st)
	}
	if got.Status != "resolved" || got.Answer != answer {
		t.Fatalf("citizen sees status %q answer %q, want resolved with the officer's answer", got.Status, got.Answer)
	}
}

// A coordinator dispatches a new report from the triage inbox in one step.
func TestBrowser_CoordinatorDispatchesFromTriage(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	citizen := e.citizen(t)
	r := e.submit(t, citizen, "cap-thoat-nuoc", "Vỡ ống nước trước chợ Cà Mau, nước tràn ra đường", nil)
	signInBrowser(t, ctx, e, coordEmail)
	row := `//ul[@id="triage-new"]/li[.//a[contains(., "` + r.TrackingCode + `")]]`
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/triage"),
		chromedp.WaitVisible(row, chromedp.BySearch),
		chromedp.Click(row+`//button[contains(@class, "dispatch")]`, chromedp.BySearch),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	var got report
	e.call(t, "GET", "/v1/reports/"+r.ID, e.token(t, coordEmail, staffPassword), nil, &got)
	if got.Status != "dispatched" || got.Agency.Code != "cap-nuoc-ca-mau" {
		t.Fatalf("after dispatch from triage: status %q agency %q, want dispatched to the suggested cap-nuoc-ca-mau", got.Status, got.Agency.Code)
	}
	var gone bool
	run(t, ctx, chromedp.Evaluate(`!document.body.innerText.includes("`+r.TrackingCode+`")`, &gone))
	if !gone {
		t.Error("the dispatched report is still in the triage inbox")
	}
}

// An admin adds a category in a form; the app's category list has it.
func TestBrowser_AdminAddsCategory(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	signInBrowser(t, ctx, e, adminEmail)
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/admin/categories/new"),
		chromedp.WaitVisible(`#code`, chromedp.ByQuery),
		chromedp.SendKeys(`#code`, "cay-xanh", chromedp.ByQuery),
		chromedp.SendKeys(`#name_vi`, "Cây xanh đô thị", chromedp.ByQuery),
		chromedp.SendKeys(`#name_en`, "Urban trees", chromedp.ByQuery),
		chromedp.SetValue(`#default_agency_code`, "cong-trinh-do-thi-ca-mau", chromedp.ByQuery),
		chromedp.Click(`#ref-save`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ref-list`, chromedp.ByQuery),
	)
	var cats struct {
		Items []struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"items"`
	}
	e.call(t, "GET", "/v1/categories", "", nil, &cats)
	found := false
	for _, c := range cats.Items {
		found = found || (c.Code == "cay-xanh" && c.Name == "Cây xanh đô thị")
	}
	if !found {
		t.Fatalf("GET /v1/categories does not list the category added in the console: %+v", cats)
	}
}

// An officer opening another agency's report gets "not found", as in the API.
func TestBrowser_OfficerCannotOpenAnotherAgencysReport(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	r := e.submit(t, e.citizen(t), "cap-thoat-nuoc", "Nước sinh hoạt có mùi lạ ở khóm 3 phường An Xuyên", nil)
	e.dispatch(t, r.ID, otherAg)
	signInBrowser(t, ctx, e, officerEmail)
	run(t, ctx, chromedp.Navigate(e.base+"/console/reports/"+r.ID), chromedp.WaitVisible(`#error-message`, chromedp.ByQuery))
	var body string
	run(t, ctx, chromedp.Text(`main`, &body, chromedp.ByQuery))
	if strings.Contains(body, "mùi lạ") || strings.Contains(body, r.TrackingCode) {
		t.Fatalf("another agency's report leaked into the page: %q", body)
	}
}

// A form whose CSRF token was removed is refused, and nothing changes.
func TestBrowser_FormWithoutCSRFIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Đèn giao thông ngã tư Lý Thường Kiệt bị hỏng", nil)
	e.dispatch(t, r.ID, officerAg)
	signInBrowser(t, ctx, e, officerEmail)
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/reports/"+r.ID),
		chromedp.WaitVisible(`#act-accept`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('input[name=_csrf]').forEach(function (x) { x.remove() })`, nil),
		chromedp.Click(`#act-accept summary`, chromedp.ByQuery),
		chromedp.Click(`#do-accept`, chromedp.ByQuery),
		chromedp.WaitVisible(`#error-message`, chromedp.ByQuery),
	)
	var got report
	e.call(t, "GET", "/v1/reports/"+r.ID, e.token(t, coordEmail, staffPassword), nil, &got)
	if got.Status != "dispatched" {
		t.Fatalf("a post without the CSRF token changed the report to %q", got.Status)
	}
}

// A description written to attack staff browsers is shown as text and runs
// nothing.
func TestBrowser_XSSDescriptionIsInert(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	evil := `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> <a href="javascript:window.pwned=3">xem</a> ổ gà`
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", evil, map[string]any{"title": `<b onmouseover="window.pwned=4">tiêu đề</b>`})
	signInBrowser(t, ctx, e, coordEmail)
	var pwned bool
	var links int
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/reports/"+r.ID),
		chromedp.WaitVisible(`#report-description`, chromedp.ByQuery),
		chromedp.Evaluate(`typeof window.pwned !== "undefined"`, &pwned),
		chromedp.Evaluate(`document.querySelectorAll('#report-description a, #report-description img, #report-description script').length`, &links),
	)
	if pwned || links != 0 {
		t.Fatalf("the description ran or became markup: pwned=%v elements=%d", pwned, links)
	}
	if got := textOf(t, ctx, `#report-description`); !strings.Contains(got, "<script>window.pwned=1</script>") {
		t.Fatalf("the description is not shown as text: %q", got)
	}
}

// Sign-out ends the session: the browser is sent to sign in, and the old
// cookie no longer opens anything.
func TestBrowser_SignOutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	signInBrowser(t, ctx, e, officerEmail)
	var cookie string
	run(t, ctx, chromedp.Evaluate(`document.cookie`, &cookie)) // HttpOnly: invisible to scripts
	if strings.Contains(cookie, "camaug_console") {
		t.Fatalf("the session cookie is readable by scripts: %q", cookie)
	}
	var loc string
	run(t, ctx,
		chromedp.Click(`#signout`, chromedp.ByQuery),
		chromedp.WaitVisible(`#signin-submit`, chromedp.ByQuery),
		chromedp.Navigate(e.base+"/console/queue"),
		chromedp.WaitVisible(`#signin-submit`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if !strings.Contains(loc, "/console/login") {
		t.Fatalf("after sign-out the queue opened at %s", loc)
	}
}
