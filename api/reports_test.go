package api_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
)

func validReport() map[string]any {
	return map[string]any{
		"category_code": "cap-thoat-nuoc",
		"title":         "Ngập nước đường Phan Ngọc Hiển",
		"description":   "Đường ngập sâu khoảng 40 cm sau mưa, xe máy chết máy hàng loạt.",
		"location":      map[string]float64{"lat": 9.1769, "lng": 105.1524},
		"address":       "Đường Phan Ngọc Hiển, Phường Tân Thành",
		"contact_phone": "0912 345 678",
	}
}

type reportResp struct {
	ID            string `json:"id"`
	TrackingCode  string `json:"tracking_code"`
	Status        string `json:"status"`
	Category      struct{ Code, Name string }
	Area          *struct{ Code, Name string }
	Agency        struct{ Code, Name string }
	RoutingReason string `json:"routing_reason"`
	ContactPhone  string `json:"contact_phone"`
	Anonymous     bool   `json:"anonymous"`
	SupportCount  int    `json:"support_count"`
	Deadlines     struct {
		DispatchDue time.Time `json:"dispatch_due"`
		ResponseDue time.Time `json:"response_due"`
	} `json:"deadlines"`
	Photos []struct {
		ID       string `json:"id"`
		URL      string `json:"url"`
		ThumbURL string `json:"thumb_url"`
		Width    int    `json:"width"`
		Height   int    `json:"height"`
	} `json:"photos"`
}

// at pins the services' clock to a Cà Mau wall time.
func at(env *testEnv, s string) {
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	*env.now = t
}

func TestSubmitReport(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 10:00") // a Tuesday
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport(), "Accept-Language", "en"))
		wantStatus(t, r, http.StatusCreated)
		var got reportResp
		r.json(t, &got)
		if got.Status != "submitted" || !strings.HasPrefix(got.TrackingCode, "CM-") || got.Category.Code != "cap-thoat-nuoc" ||
			got.Agency.Code != "cap-nuoc-ca-mau" || !strings.Contains(got.RoutingReason, "rule") || !got.Anonymous || got.ContactPhone != "+84912345678" {
			t.Fatalf("got %+v", got)
		}
		if got.Area == nil || got.Area.Code != "phuong-tan-thanh" {
			t.Fatalf("area %+v, want phuong-tan-thanh, whose boundary holds the point", got.Area)
		}
		// Tuesday 10:00 + 2 working hours crosses lunch: 14:00; + 4 h: Wednesday 08:00.
		if d := got.Deadlines.DispatchDue.Format(time.RFC3339); d != "2026-03-03T14:00:00+07:00" {
			t.Errorf("dispatch_due %s, want 2026-03-03T14:00:00+07:00", d)
		}
		if d := got.Deadlines.ResponseDue.Format(time.RFC3339); d != "2026-03-04T08:00:00+07:00" {
			t.Errorf("response_due %s, want 2026-03-04T08:00:00+07:00", d)
		}
		if loc := r.Header.Get("Location"); loc != "/v1/reports/"+got.ID {
			t.Errorf("Location %q", loc)
		}

		// The reporter sees it; another citizen does not; the agency's
		// officer sees it without the anonymous reporter's phone.
		var mine reportResp
		do(t, env.app, req("GET", "/v1/reports/"+got.ID, cit.AccessToken, nil)).json(t, &mine)
		if mine.ContactPhone != "+84912345678" {
			t.Fatalf("the reporter does not see their phone: %+v", mine)
		}
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+got.ID, other.AccessToken, nil)), http.StatusNotFound)
		wrongAgency := staff(t, env, "officer", "canbo@soyte.camau.gov.vn", "so-y-te")
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+got.ID, wrongAgency.AccessToken, nil)), http.StatusNotFound)
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		r = do(t, env.app, req("GET", "/v1/reports/"+got.ID, water.AccessToken, nil))
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.body, []byte("912345678")) {
			t.Fatalf("the agency sees an anonymous reporter's phone: %s", r.body)
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+got.ID, "", nil)), http.StatusUnauthorized)

		// Mine.
		var page struct {
			Items []reportResp `json:"items"`
		}
		do(t, env.app, req("GET", "/v1/me/reports", cit.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != got.ID {
			t.Fatalf("me/reports: %+v", page.Items)
		}
		do(t, env.app, req("GET", "/v1/me/reports", other.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 0 {
			t.Fatalf("another citizen lists %d reports", len(page.Items))
		}
		// Staff cannot report.
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports", water.AccessToken, validReport())), http.StatusForbidden)
	})
}

func TestSubmitReport_Invalid(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	bad := map[string]any{
		"category_code": "khong-co", "description": "ngắn", "title": strings.Repeat("a", 201),
		"location":      map[string]float64{"lat": 21.0285, "lng": 105.8542}, // Hà Nội
		"contact_phone": "12", "urgent": true, "locale": "fr",
	}
	p := wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, bad, "Accept-Language", "en")), http.StatusUnprocessableEntity)
	fields := map[string]string{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Message
	}
	for _, f := range []string{"category_code", "description", "title", "location", "contact_phone", "locale"} {
		if fields[f] == "" {
			t.Errorf("no error for %s; got %v", f, fields)
		}
	}
	if !strings.Contains(fields["location"], "outside") {
		t.Errorf("location message %q, want it to say outside the province", fields["location"])
	}
	// Out of scope: 422 pointing to the right channel.
	oos := validReport()
	oos["category_code"] = "khieu-nai-to-cao"
	p = wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, oos)), http.StatusUnprocessableEntity)
	if !strings.Contains(strings.ToLower(p.Detail), "tiếp công dân") {
		t.Errorf("out-of-scope detail %q, want the citizen reception channel", p.Detail)
	}
	// Urgent in a category that cannot be urgent.
	urg := validReport()
	urg["category_code"], urg["urgent"] = "gop-y-hien-ke", true
	p = wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, urg)), http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Field != "urgent" {
		t.Errorf("urgent: got %+v", p.Errors)
	}
	// Missing location, and an object where a string belongs.
	noLoc := validReport()
	delete(noLoc, "location")
	wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, noLoc)), http.StatusUnprocessableEntity)
	inj := validReport()
	inj["category_code"] = map[string]string{"$ne": ""}
	wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, inj)), http.StatusBadRequest)
}

func TestSubmitReport_Idempotent(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		const n = 24
		var wg sync.WaitGroup
		results := make([]reportResp, n)
		codes := make([]int, n)
		replayed := make([]string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				resp, err := env.app.Test(req("POST", "/v1/reports", cit.AccessToken, validReport(), "Idempotency-Key", "phone-retry-42"), -1)
				if err != nil {
					t.Error(err)
					return
				}
				codes[i], replayed[i] = resp.StatusCode, resp.Header.Get("Idempotent-Replayed")
				var body bytes.Buffer
				body.ReadFrom(resp.Body)
				jsonUnmarshal(body.Bytes(), &results[i])
			}(i)
		}
		wg.Wait()
		for i := range results {
			if codes[i] != http.StatusCreated || results[i].ID != results[0].ID || results[i].TrackingCode != results[0].TrackingCode {
				t.Fatalf("retry %d: %d %s %s, want 201 with report %s", i, codes[i], results[i].ID, results[i].TrackingCode, results[0].ID)
			}
		}
		// The one that created the report says nothing; every retry says it replays.
		first := 0
		for i := range replayed {
			switch replayed[i] {
			case "":
				first++
			case "true":
			default:
				t.Fatalf("retry %d: Idempotent-Replayed %q, want true or absent", i, replayed[i])
			}
		}
		if first != 1 {
			t.Fatalf("%d answers without Idempotent-Replayed, want exactly 1 (the creation)", first)
		}
		r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport(), "Idempotency-Key", "phone-retry-42"))
		if wantStatus(t, r, http.StatusCreated); r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("a later retry: Idempotent-Replayed %q, want true", r.Header.Get("Idempotent-Replayed"))
		}
		mine, _ := env.store.Reports().ListByReporter(context.Background(), results[0].ID[:0]+mustMe(t, env, cit.AccessToken), "", 100)
		if len(mine) != 1 {
			t.Fatalf("%d concurrent retries created %d reports, want 1", n, len(mine))
		}
		// Same key, another body: 409. Another key: a second report.
		changed := validReport()
		changed["description"] = "Một nội dung khác hẳn, đủ dài để hợp lệ."
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, changed, "Idempotency-Key", "phone-retry-42")), http.StatusConflict)
		r = do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport(), "Idempotency-Key", "phone-retry-43"))
		wantStatus(t, r, http.StatusCreated)
		if got := r.Header.Get("Idempotent-Replayed"); got != "" {
			t.Fatalf("a new key: Idempotent-Replayed %q, want absent", got)
		}
		// Keys are per user: another person's same key is theirs.
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		r = do(t, env.app, req("POST", "/v1/reports", other.AccessToken, validReport(), "Idempotency-Key", "phone-retry-42"))
		wantStatus(t, r, http.StatusCreated)
		var theirs reportResp
		r.json(t, &theirs)
		if theirs.ID == results[0].ID {
			t.Fatal("another user's retry key returned someone else's report")
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport(), "Idempotency-Key", "bad key with spaces")), http.StatusUnprocessableEntity)
	})
}

func mustMe(t *testing.T, env *testEnv, token string) string {
	var me user
	do(t, env.app, req("GET", "/v1/me", token, nil)).json(t, &me)
	return me.ID
}

func TestNearbyAndSupport(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var first reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &first)
		// 40 m north: found. 4 km away: not found.
		var near struct {
			Items []struct {
				ID        string  `json:"id"`
				DistanceM float64 `json:"distance_m"`
				Title     string  `json:"title"`
			} `json:"items"`
		}
		do(t, env.app, req("GET", fmt.Sprintf("/v1/reports/nearby?lat=%f&lng=%f&category_code=cap-thoat-nuoc", 9.1769+40/111320.0, 105.1524), cit.AccessToken, nil)).json(t, &near)
		if len(near.Items) != 1 || near.Items[0].ID != first.ID || near.Items[0].DistanceM < 35 || near.Items[0].DistanceM > 45 {
			t.Fatalf("from 40 m: got %+v", near.Items)
		}
		if near.Items[0].Title != "" {
			t.Fatal("a not yet dispatched report's title is shown publicly")
		}
		do(t, env.app, get(fmt.Sprintf("/v1/reports/nearby?lat=%f&lng=%f", 9.1769+4000/111320.0, 105.1524))).json(t, &near)
		if len(near.Items) != 0 {
			t.Fatalf("from 4 km: got %+v, want nothing", near.Items)
		}
		do(t, env.app, get(fmt.Sprintf("/v1/reports/nearby?lat=%f&lng=%f&radius_m=2000", 9.1769+1500/111320.0, 105.1524))).json(t, &near)
		if len(near.Items) != 1 {
			t.Fatalf("from 1.5 km with radius 2 km: got %d items", len(near.Items))
		}
		do(t, env.app, get("/v1/reports/nearby?lat=9.1769&lng=105.1524&category_code=y-te")).json(t, &near)
		if len(near.Items) != 0 {
			t.Fatal("category filter ignored")
		}
		wantProblem(t, do(t, env.app, get("/v1/reports/nearby?lat=9.17&lng=105.15&radius_m=5000")), http.StatusUnprocessableEntity)
		wantProblem(t, do(t, env.app, get("/v1/reports/nearby?lat=abc&lng=105.15")), http.StatusUnprocessableEntity)

		// Support counts a person once.
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		var sup struct {
			SupportCount int  `json:"support_count"`
			Added        bool `json:"added"`
		}
		do(t, env.app, req("POST", "/v1/reports/"+first.ID+"/support", other.AccessToken, nil)).json(t, &sup)
		if sup.SupportCount != 1 || !sup.Added {
			t.Fatalf("first support: %+v", sup)
		}
		do(t, env.app, req("POST", "/v1/reports/"+first.ID+"/support", other.AccessToken, nil)).json(t, &sup)
		if sup.SupportCount != 1 || sup.Added {
			t.Fatalf("second support by the same person: %+v", sup)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/01m8fsrm5vygm8mtn3tthbpdca/support", other.AccessToken, nil)), http.StatusNotFound)
	})
}

// photoJPEG makes a JPEG with an APP1 EXIF segment holding a GPS tag and a
// camera model, like a phone photo.
func photoJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	// TIFF little-endian: IFD0 with Model (0x0110) and GPS IFD pointer (0x8825).
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0,
		2, 0,
		0x10, 0x01, 2, 0, 11, 0, 0, 0, 38, 0, 0, 0,
		0x25, 0x88, 4, 0, 1, 0, 0, 0, 50, 0, 0, 0,
		0, 0, 0, 0}
	tiff = append(tiff, []byte("SECRETCAM\x00\x00\x00")...)
	tiff = append(tiff, 1, 0, 2, 0, 2, 0, 2, 0, 0, 0, 'N', 0, 0, 0, 0, 0, 0, 0) // GPSLatitudeRef = N
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	seg = append(seg, app1...)
	jpg := buf.Bytes()
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func multipartPhoto(t *testing.T, target, token string, data []byte) *http.Request {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", "IMG_0001.HEIC") // the name and type lie; the bytes decide
	part.Write(data)
	w.Close()
	r := httptest.NewRequest("POST", target, &body)
	r.Header.Set("Content-Type", w.FormDataContentType())
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func TestReportPhotos(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		original := photoJPEG(t)
		if !bytes.Contains(original, []byte("SECRETCAM")) {
			t.Fatal("fixture lacks its metadata")
		}
		r := do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, original))
		wantStatus(t, r, http.StatusCreated)
		var photo struct {
			ID       string `json:"id"`
			URL      string `json:"url"`
			ThumbURL string `json:"thumb_url"`
			Width    int    `json:"width"`
		}
		r.json(t, &photo)
		// Fetched back: a JPEG with no EXIF at all.
		got := send(t, env.app, req("GET", photo.URL, cit.AccessToken, nil))
		if got.StatusCode != 200 || got.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("GET photo: %d %s", got.StatusCode, got.Header.Get("Content-Type"))
		}
		if bytes.Contains(got.body, []byte("Exif")) || bytes.Contains(got.body, []byte("SECRETCAM")) {
			t.Fatal("metadata survived the upload")
		}
		if _, err := jpeg.Decode(bytes.NewReader(got.body)); err != nil {
			t.Fatalf("the stored photo is not a JPEG: %v", err)
		}
		thumb := send(t, env.app, req("GET", photo.ThumbURL, cit.AccessToken, nil))
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb.body)); err != nil || cfg.Width != 320 {
			t.Fatalf("thumb: %+v, %v; want 320 px wide", cfg, err)
		}
		// Others cannot see a photo of a report that is not public.
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		wantProblem(t, send(t, env.app, req("GET", photo.URL, other.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, send(t, env.app, req("GET", photo.URL, "", nil)), http.StatusUnauthorized)
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		if r := send(t, env.app, req("GET", photo.URL, water.AccessToken, nil)); r.StatusCode != 200 {
			t.Fatalf("the handling agency cannot see the photo: %d", r.StatusCode)
		}
		// Only the reporter adds photos.
		wantProblem(t, do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", other.AccessToken, original)), http.StatusNotFound)
		// Not an image: refused whatever the name says.
		wantProblem(t, do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, []byte("%PDF-1.7 not a photo"))), http.StatusUnprocessableEntity)
		// At most six; the report lists them.
		for i := 0; i < 5; i++ {
			wantStatus(t, do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, original)), http.StatusCreated)
		}
		wantProblem(t, do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, original)), http.StatusConflict)
		var full reportResp
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &full)
		if len(full.Photos) != 6 || full.Photos[0].ID != photo.ID {
			t.Fatalf("report lists %d photos, want 6", len(full.Photos))
		}
		// After 24 hours, no more photos.
		var rep2 reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep2)
		*env.now = env.now.Add(25 * time.Hour)
		fresh := loginAs(t, env, "0912345678", "bao-cao-2026")
		wantProblem(t, do(t, env.app, multipartPhoto(t, "/v1/reports/"+rep2.ID+"/media", fresh.AccessToken, original)), http.StatusConflict)
		_ = feedback.MaxPhotosPerReport
	})
}
