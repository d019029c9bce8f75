package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"camaug/feedback"
)

// TestLoadConfig_Push: push is on with a service account key file, off
// without one; FCM settings without a key, or a key that is no key, stop
// the start.
func TestLoadConfig_Push(t *testing.T) {
	cfg, err := loadConfig(env())
	if err != nil || cfg.Push != nil {
		t.Fatalf("default: push %v, %v; want off", cfg.Push, err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	b, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "camau-g", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "push@camau-g.iam.gserviceaccount.com"})
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "fcm.json"), filepath.Join(dir, "bad.json")
	os.WriteFile(good, b, 0o600)
	os.WriteFile(bad, []byte(`{"type":"service_account","client_email":"a@b","private_key":"not a key","project_id":"p"}`), 0o600)
	cfg, err = loadConfig(env("CAMAUG_FCM_CREDENTIALS_FILE", good, "CAMAUG_FCM_SEND_URL", "http://127.0.0.1:9/fcm"))
	if err != nil || cfg.Push == nil || cfg.Push.SendURL != "http://127.0.0.1:9/fcm" {
		t.Fatalf("with a key: push %+v, %v; want on with the send URL", cfg.Push, err)
	}
	for name, e := range map[string]func(string) string{
		"settings without a key": env("CAMAUG_FCM_PROJECT_ID", "camau-g"),
		"missing key file":       env("CAMAUG_FCM_CREDENTIALS_FILE", filepath.Join(dir, "none.json")),
		"broken key":             env("CAMAUG_FCM_CREDENTIALS_FILE", bad),
	} {
		if _, err := loadConfig(e); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type fixedSender struct{ err error }

func (s fixedSender) Send(context.Context, feedback.Notification) error { return s.err }

// Test_both: a notification through the webhook and push is retried when
// either failed for a while, given up only when every failure is for good.
func Test_both(t *testing.T) {
	ok, flaky, refused := fixedSender{}, fixedSender{errors.New("503")}, fixedSender{feedback.Permanent(errors.New("400"))}
	for _, c := range []struct {
		name            string
		a, b            feedback.Sender
		wantErr, wantPm bool
	}{
		{"both deliver", ok, ok, false, false},
		{"one down", ok, flaky, true, false},
		{"one refuses", refused, ok, true, true},
		{"refused and down", refused, flaky, true, false},
	} {
		err := both{c.a, c.b}.Send(context.Background(), feedback.Notification{})
		if (err != nil) != c.wantErr || feedback.IsPermanent(err) != c.wantPm {
			t.Errorf("%s: got %v (permanent %v), want error %v, permanent %v", c.name, err, feedback.IsPermanent(err), c.wantErr, c.wantPm)
		}
	}
}
