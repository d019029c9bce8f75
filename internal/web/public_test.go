package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// get fetches a public page from a given client address (the tests'
// connections come from a trusted proxy, so X-Forwarded-For is believed).
func (b *browserless) getFrom(path, addr string) (*http.Response, string) {
	b.t.Helper()
	return b.do("GET", path, nil, map[string]string{"X-Forwarded-For": addr})
}

// resolve takes a dispatched report through accept and resolve as the
// officer of its agency, through the API.
func (e *env) resolve(t *testing.T, id, answer string) {
	t.Helper()
	tok := e.token(t, officerEmail, staffPassword)
	for _, body := range []map[string]any{{"action": "accept"}, {"action": "resolve", "note": answer}} {
		if st := e.call(t, "POST", "/v1/reports/"+id+"/transitions", tok, body, nil); st != 200 {
			t.Fatalf("%v: status %d", body["action"], st)
		}
	}
}

// photo uploads a small PNG to a report as its reporter and returns the
// photo's ID.
func (e *env) photo(t *testing.T, token, reportID string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "photo.png")
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		img.Set(x, x%48, color.RGBA{30, 30, 200, 255})
	}
	png.Encode(fw, img)
	mw.Close()
	req, _ := http.NewRequest("POST", e.base+"/v1/reports/"+reportID+"/media", &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("photo upload: %v %v", err, res.StatusCode)
	}
	var m struct {
		ID string `json:"id"`
	}
	jsonDecode(t, res, &m)
	return m.ID
}

// The track page: status and steps for any code, content only once the
// report is public, the rejection reason, and never the reporter, their
// phone or the staff's names.
func TestTrackPage_ShowsProgressWithoutPersonalData(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	citizen, phone := e.citizenWithPhone(t)
	r := e.submit(t, citizen, "ha-tang-do-thi", "Ổ gà sâu trước số 12 đường Phan Ngọc Hiển", map[string]any{"contact_phone": phone, "anonymous": false})
	personal := []string{phone, "Nguyễn Văn An", "Lê Văn Cường", officerEmail, "Điều phối viên", coordEmail}
	noPersonal := func(page string) {
		t.Helper()
		for _, p := range personal {
			if strings.Contains(page, p) {
				t.Errorf("the track page shows %q", p)
			}
		}
	}

	photo := e.photo(t, citizen, r.ID)
	res, page := b.getFrom("/t/"+r.TrackingCode, "198.51.100.1")
	if res.StatusCode != 200 || !strings.Contains(page, "Mới tiếp nhận") {
		t.Fatalf("new report: status %d, want 200 with its status", res.StatusCode)
	}
	if strings.Contains(page, "Phan Ngọc Hiển") || strings.Contains(page, photo) {
		t.Error("the description or photo of a report not yet public is on the track page")
	}
	noPersonal(page)

	e.dispatch(t, r.ID, officerAg)
	answer := "Đã vá ổ gà ngày 05/12; đường đi lại bình thường."
	e.resolve(t, r.ID, answer)
	// Typed in lower case without dashes, as people do.
	typed := strings.ToLower(strings.ReplaceAll(r.TrackingCode, "-", ""))
	res, page = b.getFrom("/t/"+typed, "198.51.100.1")
	if res.StatusCode != 200 {
		t.Fatalf("resolved report: status %d", res.StatusCode)
	}
	if res, _ := b.get("/v1/media/" + photo + "/thumb"); !strings.Contains(page, "/v1/media/"+photo+"/thumb") || res.StatusCode != 200 {
		t.Errorf("the public report's photo: linked %v, served anonymously with %d", strings.Contains(page, photo), res.StatusCode)
	}
	for _, want := range []string{answer, "Phan Ngọc Hiển", "Đã trả lời", "Chuyển xử lý", "Tiếp nhận", "Sở Xây dựng"} {
		if !strings.Contains(page, want) {
			t.Errorf("the resolved report's page lacks %q", want)
		}
	}
	noPersonal(page)

	bad := e.submit(t, e.citizen(t), "ha-tang-do-thi", "Nội dung quảng cáo không liên quan", nil)
	coord := e.token(t, coordEmail, staffPassword)
	if st := e.call(t, "POST", "/v1/reports/"+bad.ID+"/transitions", coord, map[string]any{"action": "reject", "note": "Không phải phản ánh hiện trường"}, nil); st != 200 {
		t.Fatalf("reject: status %d", st)
	}
	_, page = b.getFrom("/t/"+bad.TrackingCode, "198.51.100.1")
	if !strings.Contains(page, "Từ chối") || !strings.Contains(page, "Không phải phản ánh hiện trường") || strings.Contains(page, "quảng cáo") {
		t.Errorf("a rejected report shows its status and reason, not its content")
	}

	for _, code := range []string{"CM-2222-2222", "not-a-code", "CM-0000-0000"} {
		res, page := b.getFrom("/t/"+url.PathEscape(code), "198.51.100.1")
		if res.StatusCode != 404 || !strings.Contains(page, "Không tìm thấy") {
			t.Errorf("unknown code %s: status %d, want 404 with a message", code, res.StatusCode)
		}
	}
	if res, _ := b.getFrom("/t?code="+typed, "198.51.100.1"); res.StatusCode != 303 || res.Header.Get("Location") != "/t/"+r.TrackingCode {
		t.Errorf("the lookup form: status %d to %q, want 303 to /t/%s", res.StatusCode, res.Header.Get("Location"), r.TrackingCode)
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("the track page has no Content-Security-Policy")
	}
}

// Looking codes up is limited per client address, like the API's guest
// sign-ins: the 101st lookup in the window is refused with Retry-After,
// and another address is not affected.
func TestTrackPage_RateLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	for i := range 100 {
		if res, _ := b.getFrom("/t/CM-2222-2222", "203.0.113.9"); res.StatusCode != 404 {
			t.Fatalf("lookup %d: status %d, want 404", i+1, res.StatusCode)
		}
	}
	res, page := b.getFrom("/t/CM-2222-2222", "203.0.113.9")
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || !strings.Contains(page, "Quá nhiều yêu cầu") {
		t.Fatalf("101st lookup: status %d Retry-After %q, want 429 with a message", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res, _ := b.getFrom("/t/CM-2222-2222", "203.0.113.10"); res.StatusCode != 404 {
		t.Fatalf("another address: status %d, want 404", res.StatusCode)
	}
	e.advance(16 * time.Minute)
	if res, _ := b.getFrom("/t/CM-2222-2222", "203.0.113.9"); res.StatusCode != 404 {
		t.Fatalf("after the window: status %d, want 404", res.StatusCode)
	}
}

// The map page lists public reports only, with the agencies' figures, and
// no personal data; its script reads the public GeoJSON feed.
func TestMapPage_PublicReportsAndFigures(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	citizen, phone := e.citizenWithPhone(t)
	public := e.submit(t, citizen, "ha-tang-do-thi", "Đèn đường tắt cả dãy phố", map[string]any{"contact_phone": phone, "anonymous": false})
	e.dispatch(t, public.ID, officerAg)
	hidden := e.submit(t, citizen, "ha-tang-do-thi", "Chưa điều phối", nil)

	res, page := b.get("/map")
	if res.StatusCode != 200 {
		t.Fatalf("/map: status %d", res.StatusCode)
	}
	if !strings.Contains(page, public.TrackingCode) || strings.Contains(page, hidden.TrackingCode) {
		t.Errorf("the list must show the dispatched report and not the one awaiting triage")
	}
	for _, p := range []string{phone, "Nguyễn Văn An"} {
		if strings.Contains(page, p) {
			t.Errorf("the map page shows %q", p)
		}
	}
	if !strings.Contains(page, `id="fig-table"`) || !strings.Contains(page, "Sở Xây dựng") {
		t.Error("the agencies' handling figures are missing")
	}
	feed := regexp.MustCompile(`data-geojson="([^"]+)"`).FindStringSubmatch(page)
	if feed == nil {
		t.Fatal("no GeoJSON feed for the map's script")
	}
	res, body := b.get(strings.ReplaceAll(feed[1], "&amp;", "&"))
	if res.StatusCode != 200 || !strings.Contains(body, public.TrackingCode) || strings.Contains(body, phone) {
		t.Errorf("the map's feed: status %d; want the public report and no phone", res.StatusCode)
	}
	// Filters: a category with no reports empties the list.
	_, page = b.get("/map?category=y-te")
	if strings.Contains(page, public.TrackingCode) {
		t.Error("the category filter does not filter the list")
	}
	if res, _ := b.get("/map?status=submitted"); res.StatusCode != 422 {
		t.Errorf("a status the public may not filter on: got %d, want 422 as in the API", res.StatusCode)
	}
}

// The public pages and the invitation batches on the MongoDB store: the
// track page of a resolved report, an unknown code, the map's list, and a
// batch's used count after an answer through the form.
func TestPublicPages_OnMongo(t *testing.T) {
	e := newMongoEnv(t)
	b := e.client(t)
	citizen, phone := e.citizenWithPhone(t)
	r := e.submit(t, citizen, "ha-tang-do-thi", "Cây xanh ngã chắn đường Nguyễn Tất Thành", map[string]any{"contact_phone": phone, "anonymous": false})
	e.dispatch(t, r.ID, officerAg)
	e.resolve(t, r.ID, "Đã cưa dọn cây ngã.")
	res, page := b.getFrom("/t/"+r.TrackingCode, "198.51.100.7")
	if res.StatusCode != 200 || !strings.Contains(page, "Đã cưa dọn cây ngã.") || strings.Contains(page, phone) {
		t.Fatalf("track on MongoDB: status %d; want the answer and no phone", res.StatusCode)
	}
	if res, _ := b.getFrom("/t/CM-2222-2222", "198.51.100.7"); res.StatusCode != 404 {
		t.Fatalf("unknown code on MongoDB: status %d", res.StatusCode)
	}
	if _, page := b.get("/map"); !strings.Contains(page, r.TrackingCode) {
		t.Fatal("the map's list on MongoDB lacks the public report")
	}

	id, tokens := e.publishedSIPAS(t, 3)
	if res, _ := b.do("POST", "/s/"+id, formSIPASAnswers(tokens[0]), nil); res.StatusCode != 303 {
		t.Fatalf("answer on MongoDB: status %d", res.StatusCode)
	}
	if res, _ := b.get("/s/" + id + "?token=" + tokens[0]); res.StatusCode != 409 {
		t.Fatalf("a used token on MongoDB: status %d, want 409", res.StatusCode)
	}
	admin := e.client(t)
	admin.signIn(adminEmail, staffPassword)
	if _, page := admin.get("/console/surveys/" + id); !strings.Contains(page, "<td>3</td><td>1</td>") {
		t.Fatal("the batch on MongoDB does not say 3 issued, 1 used")
	}
}
