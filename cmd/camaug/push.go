package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"camaug/feedback"
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

// withPush adds push to sender when push is on.
func withPush(sender feedback.Sender, push *notify.Push) feedback.Sender {
	if push == nil {
		return sender
	}
	return both{sender, push}
}

// both delivers each notification through two senders. A transient
// failure of either has the whole notification retried (the one that
// succeeded delivers again: receivers deduplicate by notification ID); it
// is permanent only when every failure is. The integrator replaces this
// with the webhook fan-out's own list of senders.
type both [2]feedback.Sender

func (b both) Send(ctx context.Context, n feedback.Notification) error {
	var errs []error
	permanent := true
	for _, s := range b {
		if err := s.Send(ctx, n); err != nil {
			errs = append(errs, err)
			permanent = permanent && feedback.IsPermanent(err)
		}
	}
	switch {
	case len(errs) == 0:
		return nil
	case permanent:
		return feedback.Permanent(errors.Join(errs...))
	default:
		// Not errors.Join: it would keep a Permanent mark visible, and
		// this failure is to be retried.
		return errors.New(errors.Join(errs...).Error())
	}
}
