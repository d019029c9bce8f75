package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"camaug/internal/identity"
	"camaug/internal/notify"
)

// loadPush reads the FCM settings: push is on when
// CAMAUG_FCM_CREDENTIALS_FILE names a service account key; the other
// variables need it.
func loadPush(getenv func(string) string) (*notify.PushConfig, error) {
	file := getenv("CAMAUG_FCM_CREDENTIALS_FILE")
	cfg := &notify.PushConfig{ProjectID: getenv("CAMAUG_FCM_PROJECT_ID"), TokenURL: getenv("CAMAUG_FCM_TOKEN_URL"), SendURL: getenv("CAMAUG_FCM_SEND_URL")}
	if file == "" {
		if cfg.ProjectID != "" || cfg.TokenURL != "" || cfg.SendURL != "" {
			return nil, errors.New("CAMAUG_FCM_*: push needs CAMAUG_FCM_CREDENTIALS_FILE (the Firebase service account key)")
		}
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("CAMAUG_FCM_CREDENTIALS_FILE: %w", err)
	}
	cfg.Credentials = b
	if _, err := notify.NewPush(*cfg, nil); err != nil {
		return nil, fmt.Errorf("CAMAUG_FCM_CREDENTIALS_FILE: %w", err)
	}
	return cfg, nil
}

// newPush builds the FCM sender when cfg is set (nil otherwise).
func newPush(cfg *notify.PushConfig, devices identity.DeviceStore, log *slog.Logger) (*notify.Push, error) {
	if cfg == nil {
		return nil, nil
	}
	push, err := notify.NewPush(*cfg, devices)
	if err != nil {
		return nil, err
	}
	log.Info("push notifications on", "provider", "fcm")
	return push, nil
}
