package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
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
