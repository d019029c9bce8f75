package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
)

// apiCall sends one request to a running server and returns the status
// and body; body, when not nil, is sent as JSON.
func apiCall(t *testing.T, method, url, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return doRequest(t, req)
}

func doRequest(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// apiJSON is apiCall that wants status want and decodes the answer into out.
func apiJSON(t *testing.T, want int, method, url, token string, body, out any) {
	t.Helper()
	code, b := apiCall(t, method, url, token, body)
	if code != want {
		t.Fatalf("%s %s: got %d, want %d: %s", method, url, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
	}
}

// uploadPhoto posts a photo to a report and returns the photo's ID.
func uploadPhoto(t *testing.T, base, token, reportID string, data []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", "photo.jpg")
	part.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", base+"/v1/reports/"+reportID+"/media", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	code, b := doRequest(t, req)
	if code != http.StatusCreated {
		t.Fatalf("photo upload: got %d, want 201: %s", code, b)
	}
	var out struct {
		ID string `json:"id"`
	}
	json.Unmarshal(b, &out)
	return out.ID
}

// testJPEG is a small photo whose pixels depend on shade.
func testJPEG(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 48; x++ {
			img.Set(x, y, color.RGBA{shade, uint8(x * 5), uint8(y * 7), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// citizen registers an account and returns its access token.
func citizen(t *testing.T, base, phone string) string {
	t.Helper()
	var tok tokenPair
	apiJSON(t, http.StatusCreated, "POST", base+"/v1/auth/register", "",
		map[string]string{"phone": phone, "password": "bao-cao-2026", "name": "Nguyễn Thị Mai"}, &tok)
	return tok.AccessToken
}

// submit files a report and returns its ID.
func submit(t *testing.T, base, token, category, title string, lat, lng float64) string {
	t.Helper()
	var rep struct {
		ID string `json:"id"`
	}
	apiJSON(t, http.StatusCreated, "POST", base+"/v1/reports", token, map[string]any{
		"category_code": category, "title": title,
		"description": "Mô tả chi tiết sự việc tại hiện trường: " + title,
		"location":    map[string]float64{"lat": lat, "lng": lng},
		"address":     "Phường Tân Thành, Cà Mau",
	}, &rep)
	return rep.ID
}

// guestToken signs a device in as a guest (a tourist without an account):
// no password, so no password hash, which is slow under -race.
func guestToken(t *testing.T, base, device string) string {
	t.Helper()
	var tok tokenPair
	apiJSON(t, http.StatusCreated, "POST", base+"/v1/auth/guest", "", map[string]string{"device_id": device}, &tok)
	return tok.AccessToken
}
