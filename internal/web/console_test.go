package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == "camaug_console" {
			return c
		}
	}
	return nil
}

func TestConsole_SecurityHeaders(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	for _, path := range []string{"/console/login", "/console/nothing-here"} {
		res, _ := b.get(path)
		csp := res.Header.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("Referrer-Policy") == "" ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
	}
	b.signIn(adminEmail, staffPassword)
	res, body := b.get("/console/nothing-here")
	if res.StatusCode != 404 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Không tìm thấy") {
		t.Errorf("unknown console page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Pages are personal: never cached. Assets are fingerprinted: cached.
	res, page := b.get("/console/queue")
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("queue Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}
	i := strings.Index(page, "/console/static/")
	asset := page[i : i+strings.IndexByte(page[i:], '"')]
	res, _ = b.get(asset)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("asset %s: %d %q", asset, res.StatusCode, res.Header.Get("Cache-Control"))
	}
}

func TestConsole_SignIn(t *testing.T) {
	e := newEnv(t)
	t.Run("staff get a session cookie", func(t *testing.T) {
		res, _ := e.client(t).signIn(officerEmail, staffPassword)
		c := sessionCookie(res)
		if res.StatusCode != http.StatusSeeOther || c == nil {
			t.Fatalf("got %d, cookie %v", res.StatusCode, c)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/console" {
			t.Errorf("cookie flags: %+v", c)
		}
	})
	t.Run("Secure behind the trusted TLS proxy", func(t *testing.T) {
		b := e.client(t)
		_, page := b.get("/console/login")
		res, _ := b.do("POST", "/console/login", url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {officerEmail}, "password": {staffPassword}},
			map[string]string{"X-Forwarded-Proto": "https"})
		if c := sessionCookie(res); c == nil || !c.Secure {
			t.Fatalf("cookie behind a TLS proxy: %+v", c)
		}
	})
	t.Run("X-Forwarded-Proto from an untrusted client is ignored", func(t *testing.T) {
		e := newEnvTrusting(t, []string{"10.0.0.1"})
		b := e.client(t)
		_, page := b.get("/console/login")
		res, _ := b.do("POST", "/console/login", url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {officerEmail}, "password": {staffPassword}},
			map[string]string{"X-Forwarded-Proto": "https"})
		if c := sessionCookie(res); c == nil || c.Secure {
			t.Fatalf("cookie when a client claims TLS itself: %+v", c)
		}
	})
	t.Run("citizens are refused", func(t *testing.T) {
		_, phone := e.citizenWithPhone(t)
		res, body := e.client(t).signIn(phone, "mat-khau-dan-2026")
		if res.StatusCode != http.StatusForbidden || sessionCookie(res) != nil || !strings.Contains(body, "chỉ dành cho cán bộ") {
			t.Fatalf("citizen sign-in: %d, cookie %v", res.StatusCode, sessionCookie(res))
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res, body := e.client(t).signIn(otherEmail, "sai-mat-khau-roi")
		if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, "signin-error") {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
	})
	t.Run("brute force is limited as in the API", func(t *testing.T) {
		b := e.client(t)
		for i := 0; i < 5; i++ {
			b.signIn(coordEmail, "doan-mo-mat-khau")
		}
		res, _ := b.signIn(coordEmail, staffPassword)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || sessionCookie(res) != nil {
			t.Fatalf("after 5 failures: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
		}
	})
	t.Run("sign-in form without its CSRF token", func(t *testing.T) {
		b := e.client(t)
		b.get("/console/login")
		res, _ := b.do("POST", "/console/login", url.Values{"login": {adminEmail}, "password": {staffPassword}}, nil)
		if res.StatusCode != http.StatusForbidden || sessionCookie(res) != nil {
			t.Fatalf("got %d", res.StatusCode)
		}
	})
	t.Run("next stays inside the console", func(t *testing.T) {
		b := e.client(t)
		_, page := b.get("/console/login")
		res, _ := b.do("POST", "/console/login", url.Values{"_csrf": {hidden(page, "_csrf")}, "login": {adminEmail},
			"password": {staffPassword}, "next": {"//evil.example/console/"}}, nil)
		if loc := res.Header.Get("Location"); loc != "/console/" {
			t.Fatalf("redirected to %q", loc)
		}
	})
}

func TestConsole_SessionEnds(t *testing.T) {
	signedIn := func(t *testing.T, e *env, login string) (*browserless, *http.Cookie) {
		b := e.client(t)
		res, _ := b.signIn(login, staffPassword)
		return b, sessionCookie(res)
	}
	stillIn := func(b *browserless) bool {
		res, _ := b.get("/console/queue")
		return res.StatusCode == 200
	}
	t.Run("after idle time", func(t *testing.T) {
		e := newEnv(t)
		b, _ := signedIn(t, e, officerEmail)
		e.advance(20 * time.Minute)
		if !stillIn(b) {
			t.Fatal("signed out after 20 minutes of use")
		}
		e.advance(31 * time.Minute)
		if stillIn(b) {
			t.Fatal("still signed in after 31 idle minutes")
		}
	})
	t.Run("at the absolute limit however active", func(t *testing.T) {
		e := newEnv(t)
		b, _ := signedIn(t, e, officerEmail)
		for i := 0; i < 12*3; i++ {
			e.advance(20 * time.Minute)
			b.get("/console/queue")
		}
		e.advance(time.Minute)
		if stillIn(b) {
			t.Fatal("still signed in after 12 hours")
		}
	})
	t.Run("sign-out revokes the cookie on the server", func(t *testing.T) {
		e := newEnv(t)
		b, cookie := signedIn(t, e, officerEmail)
		b.do("POST", "/console/logout", url.Values{"_csrf": {b.csrf()}}, nil)
		replay := e.client(t)
		u, _ := url.Parse(e.base + "/console/")
		replay.client.Jar.SetCookies(u, []*http.Cookie{cookie})
		if stillIn(replay) {
			t.Fatal("the cookie of a signed-out session still works")
		}
	})
	t.Run("when the account is disabled", func(t *testing.T) {
		e := newEnv(t)
		b, _ := signedIn(t, e, otherEmail)
		admin, _ := signedIn(t, e, adminEmail)
		_, page := admin.get("/console/staff")
		i := strings.Index(page, otherEmail)
		j := strings.Index(page[i:], `action="/console/staff/`) + i + len(`action="/console/staff/`)
		id := page[j : j+strings.IndexByte(page[j:], '"')]
		res, _ := admin.do("POST", "/console/staff/"+id, url.Values{"_csrf": {admin.csrf()}, "op": {"disable"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", res.StatusCode)
		}
		if stillIn(b) {
			t.Fatal("a disabled account's session still works")
		}
	})
	t.Run("when the password changes", func(t *testing.T) {
		e := newEnv(t)
		b, _ := signedIn(t, e, officerEmail)
		tok := e.token(t, officerEmail, staffPassword)
		if st := e.call(t, "POST", "/v1/me/password", tok, map[string]string{"current_password": staffPassword, "new_password": "mat-khau-moi-2027"}, nil); st != 204 && st != 200 {
			t.Fatalf("password change: %d", st)
		}
		if stillIn(b) {
			t.Fatal("the session survived a password change")
		}
	})
}

func TestConsole_CSRF(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Cống thoát nước bị nghẹt trên đường Phan Ngọc Hiển", nil)
	e.dispatch(t, r.ID, officerAg)
	b := e.client(t)
	b.signIn(officerEmail, staffPassword)
	for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("A", 43)} {
		res, _ := b.do("POST", "/console/reports/"+r.ID+"/act", url.Values{"_csrf": {token}, "action": {"accept"}, "expected_version": {"2"}}, nil)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s token: got %d, want 403", name, res.StatusCode)
		}
	}
	// Another session's token does not do either.
	other := e.client(t)
	other.signIn(officerEmail, staffPassword)
	res, _ := b.do("POST", "/console/reports/"+r.ID+"/act", url.Values{"_csrf": {other.csrf()}, "action": {"accept"}, "expected_version": {"2"}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: got %d, want 403", res.StatusCode)
	}
	var got report
	e.call(t, "GET", "/v1/reports/"+r.ID, e.token(t, coordEmail, staffPassword), nil, &got)
	if got.Status != "dispatched" {
		t.Fatalf("refused posts changed the report to %q", got.Status)
	}
}

// A form opened before someone else changed the report is refused with a
// clear message, never applied over the change.
func TestConsole_StaleFormIsRefused(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Vỉa hè bị lún sụt trước trường tiểu học", nil)
	e.dispatch(t, r.ID, officerAg)
	b := e.client(t)
	b.signIn(officerEmail, staffPassword)
	csrf := b.csrf()
	act := func(form url.Values) (*http.Response, string) {
		form.Set("_csrf", csrf)
		return b.do("POST", "/console/reports/"+r.ID+"/act", form, nil)
	}
	if res, _ := act(url.Values{"action": {"accept"}, "expected_version": {"2"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", res.StatusCode)
	}
	_, page := b.get("/console/reports/" + r.ID)
	ver := hidden(page, "expected_version")
	// Meanwhile a colleague asks for more time (the report moves on).
	tok := e.token(t, officerEmail, staffPassword)
	due := time.Now().AddDate(0, 0, 30).Format(time.RFC3339)
	if st := e.call(t, "POST", "/v1/reports/"+r.ID+"/transitions", tok, map[string]any{"action": "request_extension", "note": "Chờ vật tư", "due_at": due}, nil); st != 200 {
		t.Fatalf("request_extension: %d", st)
	}
	res, body := act(url.Values{"action": {"resolve"}, "note": {"Đã sửa xong vỉa hè"}, "expected_version": {ver}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "tải lại trang") || !strings.Contains(body, "Đã sửa xong vỉa hè") {
		t.Fatalf("stale resolve: got %d, want 409 with the message and the typed answer kept", res.StatusCode)
	}
	var got report
	e.call(t, "GET", "/v1/reports/"+r.ID, tok, nil, &got)
	if got.Status != "accepted" {
		t.Fatalf("the stale form was applied: status %q", got.Status)
	}
}

// A refused form keeps what was typed and shows each field's error.
func TestConsole_InvalidFormIsReshown(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Biển báo giao thông bị gãy đổ ở cầu Gành Hào", nil)
	e.dispatch(t, r.ID, officerAg)
	b := e.client(t)
	b.signIn(officerEmail, staffPassword)
	csrf := b.csrf()
	b.do("POST", "/console/reports/"+r.ID+"/act", url.Values{"_csrf": {csrf}, "action": {"accept"}, "expected_version": {"2"}}, nil)
	res, body := b.do("POST", "/console/reports/"+r.ID+"/act", url.Values{"_csrf": {csrf}, "action": {"transfer"}, "expected_version": {"3"},
		"to_agency_code": {"cap-nuoc-ca-mau"}, "note": {"x"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="err"`) || !strings.Contains(body, `id="act-transfer" class="action" open`) {
		t.Fatalf("too short a reason: got %d, want 422 with the transfer form open and the error beside the field", res.StatusCode)
	}
}

// The reporter's contact is shown to staff only when the reporter chose to
// share it (same rule as the API, Decree 13/2023).
func TestConsole_ReporterConfidentiality(t *testing.T) {
	e := newEnv(t)
	citizen := e.citizen(t)
	secret := e.submit(t, citizen, "ha-tang-do-thi", "Cột điện nghiêng sắp đổ trên đường Nguyễn Trãi", map[string]any{"contact_phone": "0987654321"})
	shared := e.submit(t, citizen, "ha-tang-do-thi", "Cột điện nghiêng thứ hai trên đường Nguyễn Trãi", map[string]any{"contact_phone": "0987654322", "anonymous": false})
	e.dispatch(t, secret.ID, officerAg)
	e.dispatch(t, shared.ID, officerAg)
	b := e.client(t)
	b.signIn(officerEmail, staffPassword)
	_, page := b.get("/console/reports/" + secret.ID)
	if strings.Contains(page, "987654321") || !strings.Contains(page, "giữ bí mật") {
		t.Error("an anonymous reporter's phone reached the agency's page")
	}
	_, page = b.get("/console/reports/" + shared.ID)
	if !strings.Contains(page, "84987654322") {
		t.Error("a reporter who shared their phone: it is not shown")
	}
	_, page = b.get("/console/queue")
	if strings.Contains(page, "98765432") {
		t.Error("a phone number in the queue")
	}
}

// Object-level rules of the API hold on pages: another agency's report,
// its photos and pages above one's role are out of reach.
func TestConsole_Access(t *testing.T) {
	e := newEnv(t)
	citizen := e.citizen(t)
	r := e.submit(t, citizen, "cap-thoat-nuoc", "Nắp hố ga bị mất trước nhà số 12", nil)
	photoID := e.photo(t, citizen, r.ID)
	mine, other, coord := e.client(t), e.client(t), e.client(t)
	other.signIn(otherEmail, staffPassword)
	mine.signIn(officerEmail, staffPassword)
	coord.signIn(coordEmail, staffPassword)
	// Before dispatch the report is not public: its photo is for its
	// reporter and the coordinators only.
	for _, path := range []string{"/console/media/" + photoID, "/console/media/" + photoID + "/thumb"} {
		if res, _ := mine.get(path); res.StatusCode != 404 {
			t.Errorf("officer, unpublished report: %s got %d, want 404", path, res.StatusCode)
		}
		if res, _ := coord.get(path); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "image/") {
			t.Errorf("coordinator: %s got %d %s, want the image", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	e.dispatch(t, r.ID, otherAg)
	if res, _ := mine.get("/console/reports/" + r.ID); res.StatusCode != 404 {
		t.Errorf("officer of another agency: report page got %d, want 404", res.StatusCode)
	}
	if res, page := other.get("/console/reports/" + r.ID); res.StatusCode != 200 || !strings.Contains(page, "/console/media/"+photoID+"/thumb") {
		t.Errorf("officer of the agency: report page got %d or no thumbnail", res.StatusCode)
	}
	for _, path := range []string{"/console/triage", "/console/admin/categories", "/console/admin/calendar", "/console/admin/audit"} {
		if res, _ := mine.get(path); res.StatusCode != 403 {
			t.Errorf("officer: %s got %d, want 403", path, res.StatusCode)
		}
	}
	if res, _ := e.client(t).get("/console/queue"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
		t.Errorf("anonymous: got %d to %q, want the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestConsole_QueueFiltersAndCounts(t *testing.T) {
	e := newEnv(t)
	citizen := e.citizen(t)
	a := e.submit(t, citizen, "ha-tang-do-thi", "Đường Ngô Quyền ngập sâu sau mưa lớn", nil)
	bb := e.submit(t, citizen, "ve-sinh-moi-truong", "Rác thải tập kết sai nơi quy định ở chợ", nil)
	e.dispatch(t, a.ID, officerAg)
	e.dispatch(t, bb.ID, officerAg)
	b := e.client(t)
	b.signIn(officerEmail, staffPassword)
	_, page := b.get("/console/queue")
	if !strings.Contains(page, a.TrackingCode) || !strings.Contains(page, bb.TrackingCode) {
		t.Fatal("the queue does not list both dispatched reports")
	}
	if !strings.Contains(page, `Đã chuyển xử lý <span class="count">2</span>`) {
		t.Error("the dispatched tab does not count 2")
	}
	_, page = b.get("/console/queue?category=ha-tang-do-thi")
	if !strings.Contains(page, a.TrackingCode) || strings.Contains(page, bb.TrackingCode) {
		t.Error("category filter")
	}
	_, page = b.get("/console/queue?q=" + url.QueryEscape(strings.ToLower(bb.TrackingCode)))
	if strings.Contains(page, a.TrackingCode) || !strings.Contains(page, bb.TrackingCode) {
		t.Error("search by tracking code")
	}
	_, page = b.get("/console/queue?q=" + url.QueryEscape("rac thai"))
	if strings.Contains(page, a.TrackingCode) || !strings.Contains(page, bb.TrackingCode) {
		t.Error("search by words without diacritics")
	}
	_, page = b.get("/console/queue?overdue=1")
	if strings.Contains(page, a.TrackingCode) {
		t.Error("a report just dispatched shown as overdue")
	}
	e.advance(7 * 24 * time.Hour)
	b.signIn(officerEmail, staffPassword) // a week idle ended the session
	_, page = b.get("/console/queue?overdue=1")
	if !strings.Contains(page, a.TrackingCode) || !strings.Contains(page, `class="late"`) {
		t.Error("a week later the report is not overdue in red")
	}
	// The language switch.
	_, page = b.get("/console/queue?lang=en")
	if !strings.Contains(page, "Reports to handle") || !strings.Contains(page, `lang="en"`) {
		t.Error("English page")
	}
}

// A tracking code read over the phone finds its report whatever its status.
func TestConsole_TrackingCodeFindsClosedReports(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Cây đổ chắn ngang đường Lê Lợi sau bão", nil)
	coord := e.token(t, coordEmail, staffPassword)
	if st := e.call(t, "POST", "/v1/reports/"+r.ID+"/transitions", coord, map[string]any{"action": "reject", "note": "Không thuộc phạm vi"}, nil); st != 200 {
		t.Fatalf("reject: %d", st)
	}
	b := e.client(t)
	b.signIn(coordEmail, staffPassword)
	_, page := b.get("/console/queue?q=" + r.TrackingCode)
	if !strings.Contains(page, "/console/reports/"+r.ID) {
		t.Fatal("searching a rejected report's tracking code finds nothing")
	}
}

// Extensions go from the officer's form to the coordinator's decision, and a
// coordinator re-routes an open report, all through the pages.
func TestConsole_ExtensionsAndReroute(t *testing.T) {
	e := newEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Cầu khỉ ấp 3 bị gãy, học sinh không qua được", nil)
	e.dispatch(t, r.ID, officerAg)
	officer, coord := e.client(t), e.client(t)
	officer.signIn(officerEmail, staffPassword)
	coord.signIn(coordEmail, staffPassword)
	oc, cc := officer.csrf(), coord.csrf()
	api := e.token(t, coordEmail, staffPassword)
	version := func() string {
		var got report
		e.call(t, "GET", "/v1/reports/"+r.ID, api, nil, &got)
		return strconv.FormatInt(got.Version, 10)
	}
	post := func(b *browserless, csrf string, form url.Values) int {
		form.Set("_csrf", csrf)
		form.Set("expected_version", version())
		res, _ := b.do("POST", "/console/reports/"+r.ID+"/act", form, nil)
		return res.StatusCode
	}
	if st := post(officer, oc, url.Values{"action": {"accept"}}); st != http.StatusSeeOther {
		t.Fatalf("accept: %d", st)
	}
	due := time.Now().In(time.FixedZone("ICT", 7*3600)).AddDate(0, 1, 0).Format("2006-01-02T15:04")
	if st := post(officer, oc, url.Values{"action": {"request_extension"}, "due_at": {due}, "note": {"Chờ kinh phí sửa cầu"}}); st != http.StatusSeeOther {
		t.Fatalf("request_extension: %d", st)
	}
	_, page := coord.get("/console/triage")
	if !strings.Contains(page, "Chờ kinh phí sửa cầu") {
		t.Fatal("the triage page does not list the extension request with its reason")
	}
	if st := post(coord, cc, url.Values{"action": {"refuse_extension"}, "note": {"Cần sửa tạm trong tuần"}}); st != http.StatusSeeOther {
		t.Fatalf("refuse_extension: %d", st)
	}
	if st := post(officer, oc, url.Values{"action": {"request_extension"}, "due_at": {due}, "note": {"Đã có phương án, chờ vật tư"}}); st != http.StatusSeeOther {
		t.Fatalf("second request_extension: %d", st)
	}
	if st := post(coord, cc, url.Values{"action": {"approve_extension"}, "return": {"/console/triage"}}); st != http.StatusSeeOther {
		t.Fatalf("approve_extension: %d", st)
	}
	var got struct {
		Deadlines struct {
			ResolutionDue time.Time `json:"resolution_due"`
		} `json:"deadlines"`
	}
	e.call(t, "GET", "/v1/reports/"+r.ID, api, nil, &got)
	if got.Deadlines.ResolutionDue.Format("2006-01-02T15:04") != due {
		t.Errorf("resolution due after approval: %v, want %s", got.Deadlines.ResolutionDue, due)
	}
	if st := post(coord, cc, url.Values{"action": {"reroute"}, "to_agency_code": {otherAg}, "note": {"Cầu thuộc ấp do xã quản lý"}}); st != http.StatusSeeOther {
		t.Fatalf("reroute: %d", st)
	}
	var after report
	e.call(t, "GET", "/v1/reports/"+r.ID, api, nil, &after)
	if after.Agency.Code != otherAg {
		t.Fatalf("after re-route the agency is %q, want %s", after.Agency.Code, otherAg)
	}
	if res, _ := officer.get("/console/reports/" + r.ID); res.StatusCode != 404 {
		t.Errorf("the first agency's officer still opens the re-routed report: %d", res.StatusCode)
	}
}

func TestConsole_HeadFollowsGet(t *testing.T) {
	e := newEnv(t)
	res, _ := e.client(t).do("HEAD", "/console/queue", nil, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
		t.Fatalf("HEAD without a session: %d %q, want the sign-in redirect", res.StatusCode, res.Header.Get("Location"))
	}
}

// The console on the MongoDB store: sign in, queue with counts and search,
// a workflow action through the form, the staff page and the change log.
func TestConsole_OnMongo(t *testing.T) {
	e := newMongoEnv(t)
	r := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Đường Phan Bội Châu ngập sâu sau triều cường", nil)
	e.dispatch(t, r.ID, officerAg)
	b := e.client(t)
	if res, _ := b.signIn(officerEmail, staffPassword); sessionCookie(res) == nil {
		t.Fatalf("sign-in on MongoDB: %d", res.StatusCode)
	}
	_, page := b.get("/console/queue?q=" + url.QueryEscape("trieu cuong"))
	if !strings.Contains(page, r.TrackingCode) || !strings.Contains(page, `Đã chuyển xử lý <span class="count">1</span>`) {
		t.Fatal("queue search and counts on MongoDB")
	}
	res, _ := b.do("POST", "/console/reports/"+r.ID+"/act", url.Values{"_csrf": {b.csrf()}, "action": {"accept"}, "expected_version": {"2"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept on MongoDB: %d", res.StatusCode)
	}
	_, page = b.get("/console/reports/" + r.ID)
	if !strings.Contains(page, `id="report-status">Đã tiếp nhận`) {
		t.Fatal("the accepted report does not show as accepted")
	}
	admin := e.client(t)
	admin.signIn(adminEmail, staffPassword)
	res, _ = admin.do("POST", "/console/admin/categories", url.Values{"_csrf": {admin.csrf()}, "code": {"cay-xanh"}, "name_vi": {"Cây xanh"}, "sort_order": {"20"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a category on MongoDB: %d", res.StatusCode)
	}
	if _, page := admin.get("/console/admin/audit"); !strings.Contains(page, "cay-xanh") {
		t.Fatal("the change log on MongoDB does not list the new category")
	}
	b.do("POST", "/console/logout", url.Values{"_csrf": {b.csrf()}}, nil)
	if res, _ := b.get("/console/queue"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out on MongoDB: %d", res.StatusCode)
	}
}
