package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// TestRun_PushReachesThePhone: the program started with FCM settings
// pointing at local fakes; a citizen registers a phone and reports, a
// coordinator dispatches, and the phone's message reaches FCM through the
// outbox, with a bearer token from the service account's JWT grant.
func TestRun_PushReachesThePhone(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	creds, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "camau-g", "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "client_email": "push@camau-g.iam.gserviceaccount.com"})
	dir := t.TempDir()
	credFile := filepath.Join(dir, "fcm.json")
	if err := os.WriteFile(credFile, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	messages := make(chan map[string]any, 10)
	var fcm *httptest.Server
	fcm = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			r.ParseForm()
			if _, err := gojwt.Parse(r.PostForm.Get("assertion"), func(*gojwt.Token) (any, error) { return &key.PublicKey, nil },
				gojwt.WithValidMethods([]string{"RS256"}), gojwt.WithAudience(fcm.URL+"/token")); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"fake-access","token_type":"Bearer","expires_in":3600}`)
		case "/v1/projects/camau-g/messages:send":
			if r.Header.Get("Authorization") != "Bearer fake-access" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var body struct {
				Message map[string]any `json:"message"`
			}
			json.NewDecoder(r.Body).Decode(&body)
			messages <- body.Message
			io.WriteString(w, `{"name":"projects/camau-g/messages/1"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer fcm.Close()

	base, _ := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir,
		"CAMAUG_ADMIN_EMAIL", "admin@camau.gov.vn", "CAMAUG_ADMIN_PASSWORD", "quan-tri-vien-2026",
		"CAMAUG_FCM_CREDENTIALS_FILE", credFile, "CAMAUG_FCM_TOKEN_URL", fcm.URL+"/token", "CAMAUG_FCM_SEND_URL", fcm.URL))
	call := func(method, path, token string, body any, want int, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: got %d, want %d; %s", method, path, resp.StatusCode, want, got)
		}
		if out != nil {
			json.Unmarshal(got, out)
		}
	}
	var citizen, admin struct {
		AccessToken string `json:"access_token"`
	}
	call("POST", "/v1/auth/register", "", map[string]string{"email": "mai@example.vn", "password": "bao-cao-2026", "name": "Nguyễn Thị Mai"}, 201, &citizen)
	call("POST", "/v1/me/devices", citizen.AccessToken, map[string]string{"platform": "android", "push_token": "fcm-phone-of-mai-000001"}, 201, nil)
	var rep struct {
		ID           string `json:"id"`
		TrackingCode string `json:"tracking_code"`
	}
	call("POST", "/v1/reports", citizen.AccessToken, map[string]any{"category_code": "cap-thoat-nuoc", "description": "Vỡ ống nước trên đường Lý Thường Kiệt",
		"location": map[string]float64{"lat": 9.1769, "lng": 105.1524}}, 201, &rep)
	call("POST", "/v1/auth/login", "", map[string]string{"login": "admin@camau.gov.vn", "password": "quan-tri-vien-2026"}, 200, &admin)
	call("POST", "/v1/reports/"+rep.ID+"/transitions", admin.AccessToken, map[string]string{"action": "dispatch"}, 200, nil)

	select {
	case m := <-messages: // the dispatcher runs every 5 s
		data, _ := m["data"].(map[string]any)
		if m["token"] != "fcm-phone-of-mai-000001" || data["report_id"] != rep.ID || data["tracking_code"] != rep.TrackingCode || data["status"] != "dispatched" {
			t.Fatalf("FCM got %v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no push reached FCM within 20 s of the dispatch")
	}
}
