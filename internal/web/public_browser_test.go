package web_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pdfPage finds a page object of a PDF (not the /Pages tree).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// An admin creates a SIPAS survey, publishes it, issues 3 invitations and
// opens the QR sheet; a respondent opens the form with one token on a
// phone, answers with the skip logic applied as they go, submits, and the
// same token is then refused.
func TestBrowser_SurveyFromAdminToRespondent(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	signInBrowser(t, ctx, e, adminEmail)
	run(t, ctx,
		chromedp.Navigate(e.base+"/console/surveys"),
		chromedp.WaitVisible(`#survey-new`, chromedp.ByQuery),
		chromedp.SetValue(`#source`, "template:sipas", chromedp.ByQuery),
		chromedp.SendKeys(`#title_vi`, "Khảo sát hài lòng Sở Xây dựng quý IV", chromedp.ByQuery),
		chromedp.SendKeys(`#title_en`, "Department of Construction, Q4", chromedp.ByQuery),
		chromedp.Click(`#survey-create`, chromedp.ByQuery),
		chromedp.WaitVisible(`#survey-publish`, chromedp.ByQuery),
		chromedp.Click(`#survey-publish`, chromedp.ByQuery),
		chromedp.WaitVisible(`#survey-close`, chromedp.ByQuery),
	)
	if got := textOf(t, ctx, `#survey-status`); got != "Đang mở" {
		t.Fatalf("after publishing the status reads %q, want Đang mở", got)
	}
	run(t, ctx,
		chromedp.SetValue(`#count`, "3", chromedp.ByQuery),
		chromedp.SetValue(`#agency_code`, officerAg, chromedp.ByQuery),
		chromedp.SetValue(`#area_code`, "phuong-an-xuyen", chromedp.ByQuery),
		chromedp.Click(`#invite-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#qr-sheet`, chromedp.ByQuery),
	)
	var cards, drawn int
	var urls []string
	run(t, ctx,
		chromedp.Evaluate(`document.querySelectorAll('.qrcard').length`, &cards),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.qrcard img')).filter(function (i) { return i.complete && i.naturalWidth > 0 }).length`, &drawn),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.qrcard a.qrurl')).map(function (a) { return a.href })`, &urls),
	)
	if cards != 3 || drawn != 3 || len(urls) != 3 {
		t.Fatalf("the QR sheet has %d cards, %d drawn QR codes, %d URLs; want 3 of each", cards, drawn, len(urls))
	}
	// Printed on A4, the three cards fit one page; the console's header
	// and the one-time notice are not printed.
	var pdf []byte
	var printedHeader bool
	run(t, ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = page.PrintToPDF().WithPreferCSSPageSize(true).Do(ctx)
			return err
		}),
		emulation.SetEmulatedMedia().WithMedia("print"),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('header.top')).display !== 'none' || getComputedStyle(document.getElementById('qr-warning')).display !== 'none'`, &printedHeader),
		emulation.SetEmulatedMedia().WithMedia(""),
	)
	if pages := len(pdfPage.FindAll(pdf, -1)); !bytes.HasPrefix(pdf, []byte("%PDF")) || pages != 1 {
		t.Errorf("the printed sheet: %d bytes, %d pages; want a one-page PDF", len(pdf), pages)
	}
	if printedHeader {
		t.Error("the header or the notice is printed with the QR codes")
	}
	form := urls[0]
	if !strings.HasPrefix(form, e.base+"/s/") || !strings.Contains(form, "?token=") {
		t.Fatalf("a QR code's URL is %q, want the public form with its token", form)
	}
	// The admin reads the survey's respondents on the dashboard before
	// anyone answers.
	surveyID := strings.TrimPrefix(strings.SplitN(form, "?", 2)[0], e.base+"/s/")
	respondents := func() string {
		run(t, ctx, chromedp.Navigate(e.base+"/console/analytics?survey="+surveyID), chromedp.WaitVisible(`#overall-n`, chromedp.ByQuery))
		return textOf(t, ctx, `#overall-n`)
	}
	if n := respondents(); n != "0" {
		t.Fatalf("before any answer the dashboard shows n = %s, want 0", n)
	}

	// The respondent, on a phone (this Chromium asks for English; the
	// respondent picks Vietnamese, remembered for the next visit).
	run(t, ctx,
		emulation.SetDeviceMetricsOverride(390, 844, 2, true),
		chromedp.Navigate(form+"&lang=vi"),
		chromedp.WaitVisible(`#survey-form[data-live="1"]`, chromedp.ByQuery),
	)
	visible := func(sel string) bool {
		var v bool
		run(t, ctx, chromedp.Evaluate(`(function () { var x = document.querySelector('`+sel+`'); return !!x && !x.hidden && x.offsetParent !== null })()`, &v))
		return v
	}
	if visible(`#q-feedback_1`) {
		t.Fatal("feedback_1 is shown before the respondent said they gave feedback")
	}
	if visible(`#q-access_1`) {
		t.Fatal("the satisfaction part is shown before the respondent said they used the service")
	}
	// The 2023 model: only those who used the service in the period rate it.
	run(t, ctx,
		chromedp.Click(`#q-q_used_service-yes`, chromedp.ByQuery),
		chromedp.WaitVisible(`#q-access_1`, chromedp.ByQuery),
	)
	// Answer every shown question not yet answered with its fourth choice,
	// "no" for yes/no questions (no online service used), the first box of
	// a multiple choice.
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll('fieldset.q').forEach(function (fs) {
		if (fs.hidden || fs.querySelector('input:checked')) { return; }
		var r = fs.querySelectorAll('input[type=radio]');
		if (r.length === 2) { r[1].click(); } else if (r.length) { (r[3] || r[0]).click(); }
		var c = fs.querySelectorAll('input[type=checkbox]');
		if (c.length) { c[0].click(); }
	})`, nil))
	run(t, ctx,
		chromedp.Click(`#q-q_gave_feedback-yes`, chromedp.ByQuery),
		chromedp.WaitVisible(`#q-feedback_1`, chromedp.ByQuery),
		chromedp.Click(`#q-feedback_1-5`, chromedp.ByQuery),
		chromedp.Click(`#q-q_gave_feedback-no`, chromedp.ByQuery),
		chromedp.WaitNotVisible(`#q-feedback_1`, chromedp.ByQuery),
	)
	screenshot(t, ctx, "survey-phone", 390, 844)
	run(t, ctx,
		emulation.SetDeviceMetricsOverride(390, 844, 2, true),
		chromedp.Click(`#survey-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#survey-thanks`, chromedp.ByQuery),
	)
	var sid string
	run(t, ctx, chromedp.Evaluate(`location.pathname.split('/')[2]`, &sid))
	stored, err := e.store.Surveys().Responses(t.Context(), sid, "", 10)
	if err != nil || len(stored) != 1 || stored[0].Answers["feedback_1"] != nil || stored[0].Answers["q_gave_feedback"] != "no" {
		t.Fatalf("stored: %+v, %v; want one response without the skipped feedback_1", stored, err)
	}
	run(t, ctx, chromedp.Navigate(form), chromedp.WaitVisible(`#error-message`, chromedp.ByQuery), emulation.ClearDeviceMetricsOverride())
	if got := textOf(t, ctx, `#error-message`); !strings.Contains(got, "đã được dùng") {
		t.Fatalf("the used token's page reads %q, want that it was used", got)
	}
	// The answer counts: the dashboard's n grew by one.
	if n := respondents(); n != "1" {
		t.Fatalf("after one answer the dashboard shows n = %s, want 1", n)
	}
}

// The track page shows a resolved report's answer and nothing of its
// reporter; the map page loads its points from the GeoJSON feed.
func TestBrowser_TrackAndMap(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t)
	citizen, phone := e.citizenWithPhone(t)
	r := e.submit(t, citizen, "ha-tang-do-thi", "Cống thoát nước bị nghẹt trên đường Lý Thường Kiệt", map[string]any{"contact_phone": phone, "anonymous": false})
	e.dispatch(t, r.ID, officerAg)
	answer := "Đã nạo vét cống ngày 04/12; nước rút hết."
	e.resolve(t, r.ID, answer)
	other := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Vỉa hè bị lấn chiếm ở chợ Phường 2", nil)
	e.dispatch(t, other.ID, officerAg)

	run(t, ctx, chromedp.Navigate(e.base+"/t/"+r.TrackingCode), chromedp.WaitVisible(`#track-answer`, chromedp.ByQuery))
	if got := textOf(t, ctx, `#track-answer`); !strings.Contains(got, answer) {
		t.Fatalf("the track page's answer reads %q", got)
	}
	var body string
	run(t, ctx, chromedp.Text(`body`, &body, chromedp.ByQuery))
	for _, p := range []string{phone, "Nguyễn Văn An", "Lê Văn Cường"} {
		if strings.Contains(body, p) {
			t.Errorf("the track page shows %q", p)
		}
	}

	var count string
	run(t, ctx,
		chromedp.Navigate(e.base+"/map?lang=vi"),
		chromedp.WaitVisible(`#pubmap[data-count]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#pubmap`, "data-count", &count, nil, chromedp.ByQuery),
	)
	if count != "2" {
		t.Fatalf("the map loaded %q points, want 2", count)
	}
	var markers int
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll('#pubmap .leaflet-marker-icon').length`, &markers))
	if markers < 1 {
		t.Fatal("no marker or cluster is drawn on the map")
	}
	if got := textOf(t, ctx, `#map-status`); !strings.Contains(got, "2") {
		t.Errorf("the map's status reads %q", got)
	}
	screenshot(t, ctx, "map-desktop", 1280, 1000)
}
