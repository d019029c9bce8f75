package notify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
	"camaug/internal/notify"
	"camaug/internal/store/sqlite"
)

const (
	fcmProject = "camau-g-test"
	saEmail    = "push@camau-g-test.iam.gserviceaccount.com"
)

// fakeFCM is a Google token endpoint and an FCM HTTP v1 endpoint in one
// server. The token endpoint checks the JWT bearer grant's assertion
// against the service account's public key; the send endpoint checks the
// access token it issued, the project path and the message's shape, and
// answers per token as told.
type fakeFCM struct {
	t      *testing.T
	pub    *rsa.PublicKey
	srv    *httptest.Server
	mu     sync.Mutex
	grants int
	got    []map[string]any // accepted messages
	bad    []string         // what was wrong with refused requests
	answer map[string]int   // token → HTTP status (200 when absent)
	down   bool             // every send answers 503
}

func newFakeFCM(t *testing.T, pub *rsa.PublicKey) *fakeFCM {
	f := &fakeFCM{t: t, pub: pub, answer: map[string]int{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFCM) fail(w http.ResponseWriter, status int, why string) {
	f.bad = append(f.bad, why)
	http.Error(w, why, status)
}

func (f *fakeFCM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/token" {
		r.ParseForm()
		if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			f.fail(w, http.StatusBadRequest, "grant_type "+r.PostForm.Get("grant_type"))
			return
		}
		tok, err := gojwt.Parse(r.PostForm.Get("assertion"), func(*gojwt.Token) (any, error) { return f.pub, nil },
			gojwt.WithValidMethods([]string{"RS256"}), gojwt.WithIssuer(saEmail), gojwt.WithAudience(f.srv.URL+"/token"), gojwt.WithExpirationRequired())
		if err != nil {
			f.fail(w, http.StatusBadRequest, "assertion: "+err.Error())
			return
		}
		if claims := tok.Claims.(gojwt.MapClaims); claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
			f.fail(w, http.StatusBadRequest, "scope "+claims["scope"].(string))
			return
		}
		f.grants++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"ya29.fake-access-token","token_type":"Bearer","expires_in":3600}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/projects/"+fcmProject+"/messages:send" {
		f.fail(w, http.StatusNotFound, "path "+r.Method+" "+r.URL.Path)
		return
	}
	if r.Header.Get("Authorization") != "Bearer ya29.fake-access-token" {
		f.fail(w, http.StatusUnauthorized, "authorization "+r.Header.Get("Authorization"))
		return
	}
	var body struct {
		Message map[string]any `json:"message"`
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&body); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.fail(w, http.StatusBadRequest, "body")
		return
	}
	m := body.Message
	token, _ := m["token"].(string)
	note, _ := m["notification"].(map[string]any)
	data, _ := m["data"].(map[string]any)
	if token == "" || note["title"] == "" || note["body"] == "" || data == nil {
		f.fail(w, http.StatusBadRequest, "message shape")
		return
	}
	for k, v := range data {
		if _, ok := v.(string); !ok {
			f.fail(w, http.StatusBadRequest, "data."+k+" is not a string")
			return
		}
	}
	if f.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	switch f.answer[token] {
	case http.StatusNotFound:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`)
	case http.StatusBadRequest:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}`)
	case http.StatusForbidden:
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"error":{"code":403,"message":"Permission denied.","status":"PERMISSION_DENIED"}}`)
	default:
		f.got = append(f.got, m)
		io.WriteString(w, `{"name":"projects/`+fcmProject+`/messages/0:1"}`)
	}
}

// serviceAccountKey returns a fresh key pair and its service-account JSON.
func serviceAccountKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	b, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": fcmProject, "private_key_id": "key-1",
		"private_key": string(pemKey), "client_email": saEmail, "token_uri": "https://oauth2.googleapis.com/token"})
	return key, b
}

// A report's step in the handling reaches its reporter's phones through
// the outbox and FCM HTTP v1: the message is the tracking code and the new
// status in each phone's language, with no personal data; a token FCM
// says is unregistered or invalid is dropped; FCM being down is retried.
func TestPush_EndToEnd(t *testing.T) {
	ctx := context.Background()
	key, creds := serviceAccountKey(t)
	fcm := newFakeFCM(t, &key.PublicKey)
	clock := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ref := feedback.NewReferenceService(db.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), ref, now)
	citizen := identity.Principal{UserID: ids.New(), Role: identity.RoleCitizen}
	devices := &identity.Devices{Store: db.Devices(), Now: now}
	for _, d := range []struct {
		platform, token string
		lang            i18n.Lang
	}{
		{"android", "fcm-token-android-vi-0001", i18n.VI},
		{"ios", "fcm-token-iphone-en-00002", i18n.EN},
		{"android", "fcm-token-uninstalled-003", i18n.VI},
		{"android", "fcm-token-garbled-000004", i18n.VI},
	} {
		if _, _, err := devices.Register(ctx, citizen, d.platform, d.token, d.lang); err != nil {
			t.Fatal(err)
		}
	}
	// Someone else's phone hears nothing of this report.
	if _, _, err := devices.Register(ctx, identity.Principal{UserID: ids.New(), Role: identity.RoleCitizen}, "android", "fcm-token-somebody-else5", i18n.VI); err != nil {
		t.Fatal(err)
	}
	fcm.answer["fcm-token-uninstalled-003"] = http.StatusNotFound
	fcm.answer["fcm-token-garbled-000004"] = http.StatusBadRequest

	r, _, err := svc.Submit(ctx, citizen, feedback.SubmitInput{CategoryCode: "cap-thoat-nuoc", Description: "Vỡ ống nước trên đường Lý Thường Kiệt",
		Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}, ContactPhone: "0912345678"}, "")
	if err != nil {
		t.Fatal(err)
	}
	coord := identity.Principal{UserID: "u-coord", Role: identity.RoleCoordinator}
	if _, _, err := svc.Transition(ctx, coord, r.ID, feedback.TransitionInput{Action: feedback.ActDispatch}); err != nil {
		t.Fatal(err)
	}

	push, err := notify.NewPush(notify.PushConfig{Credentials: creds, TokenURL: fcm.srv.URL + "/token", SendURL: fcm.srv.URL}, db.Devices())
	if err != nil {
		t.Fatal(err)
	}
	d := &feedback.Dispatcher{Store: db.Reports(), Sender: push, Now: now, Logger: logger, BaseDelay: time.Minute}

	// FCM down: nothing delivered to the reporter, retried later.
	fcm.down = true
	delivered, failed, err := d.RunOnce(ctx)
	if err != nil || failed != 1 || delivered != 1 { // the agency's entry is not for phones: done at once
		t.Fatalf("FCM down: delivered %d, failed %d, %v; want 1 (the agency's, ignored) and 1", delivered, failed, err)
	}
	fcm.down = false
	clock = clock.Add(2 * time.Minute)
	delivered, failed, err = d.RunOnce(ctx)
	if err != nil || delivered != 1 || failed != 0 {
		t.Fatalf("FCM back: delivered %d, failed %d, %v; want 1 and 0", delivered, failed, err)
	}
	if len(fcm.bad) != 0 {
		t.Fatalf("FCM refused malformed requests: %v", fcm.bad)
	}
	if fcm.grants != 1 {
		t.Fatalf("%d access tokens fetched, want 1 (reused until it expires)", fcm.grants)
	}
	byToken := map[string]map[string]any{}
	for _, m := range fcm.got {
		byToken[m["token"].(string)] = m
	}
	if len(fcm.got) != 2 || byToken["fcm-token-android-vi-0001"] == nil || byToken["fcm-token-iphone-en-00002"] == nil {
		t.Fatalf("FCM accepted %d messages (%v), want one per live phone of the reporter", len(fcm.got), byToken)
	}
	vi, en := byToken["fcm-token-android-vi-0001"], byToken["fcm-token-iphone-en-00002"]
	noteVi, noteEn := vi["notification"].(map[string]any), en["notification"].(map[string]any)
	if noteVi["title"] != "Phản ánh "+r.TrackingCode || !strings.Contains(noteVi["body"].(string), "chuyển đến cơ quan xử lý") {
		t.Errorf("Vietnamese notification: %v", noteVi)
	}
	if noteEn["title"] != "Report "+r.TrackingCode || !strings.Contains(noteEn["body"].(string), "sent to the agency") {
		t.Errorf("English notification: %v", noteEn)
	}
	data := vi["data"].(map[string]any)
	if data["report_id"] != r.ID || data["tracking_code"] != r.TrackingCode || data["status"] != "dispatched" || data["notification_id"] == "" {
		t.Errorf("data: %v", data)
	}
	raw, _ := json.Marshal(fcm.got)
	for _, personal := range []string{"0912345678", "Lý Thường Kiệt", citizen.UserID} {
		if strings.Contains(string(raw), personal) {
			t.Errorf("a push message carries %q", personal)
		}
	}
	// The rejected tokens are gone; the live ones and the other account's stay.
	left, _ := db.Devices().UserDevices(ctx, citizen.UserID)
	var tokens []string
	for _, dv := range left {
		tokens = append(tokens, dv.Token)
	}
	if strings.Join(tokens, ",") != "fcm-token-iphone-en-00002,fcm-token-android-vi-0001" && strings.Join(tokens, ",") != "fcm-token-android-vi-0001,fcm-token-iphone-en-00002" {
		t.Fatalf("devices left: %v; want the two live ones", tokens)
	}

	// FCM refusing the message itself (403) is not retried.
	fcm.answer["fcm-token-android-vi-0001"], fcm.answer["fcm-token-iphone-en-00002"] = http.StatusForbidden, http.StatusForbidden
	officer := identity.Principal{UserID: "u-officer", Role: identity.RoleOfficer, AgencyCode: r.AgencyCode}
	if _, _, err := svc.Transition(ctx, officer, r.ID, feedback.TransitionInput{Action: feedback.ActAccept}); err != nil {
		t.Fatal(err)
	}
	if delivered, failed, _ = d.RunOnce(ctx); failed != 1 {
		t.Fatalf("refused: delivered %d, failed %d; want 1 failure", delivered, failed)
	}
	clock = clock.Add(time.Hour)
	if delivered, failed, _ = d.RunOnce(ctx); delivered+failed != 0 {
		t.Fatalf("a refused message was tried again: delivered %d, failed %d", delivered, failed)
	}
}

// A broken key file stops the start rather than every delivery.
func TestNewPush_BadConfig(t *testing.T) {
	_, creds := serviceAccountKey(t)
	for name, c := range map[string]notify.PushConfig{
		"not JSON":      {Credentials: []byte("nope")},
		"not a service": {Credentials: []byte(`{"type":"authorized_user"}`)},
		"bad key":       {Credentials: []byte(`{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","project_id":"p"}`)},
		"no project":    {Credentials: []byte(strings.Replace(string(creds), `"project_id":"`+fcmProject+`"`, `"project_id":""`, 1))},
	} {
		if _, err := notify.NewPush(c, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := notify.NewPush(notify.PushConfig{Credentials: creds}, nil); err != nil {
		t.Errorf("a good key: %v", err)
	}
}
