// Package notify delivers outbox notifications to other systems: a webhook
// sender that signs each message with HMAC-SHA256.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"camaug/feedback"
)

// The webhook's headers. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), so a
// receiver can check the body and refuse old replays by the timestamp.
const (
	HeaderSignature = "X-Camaug-Signature"
	HeaderTimestamp = "X-Camaug-Timestamp"
	HeaderDelivery  = "X-Camaug-Delivery"
	HeaderEvent     = "X-Camaug-Event"
)

// Payload is the JSON body a webhook receives. It carries no name, phone
// or email: the reporter is named only by account ID, for the push
// gateway that delivers to their app.
type Payload struct {
	ID           string    `json:"id"`
	Event        string    `json:"event"`
	ReportID     string    `json:"report_id"`
	TrackingCode string    `json:"tracking_code"`
	Version      int64     `json:"version"`
	Party        string    `json:"party"`
	UserID       string    `json:"user_id,omitempty"`
	AgencyCode   string    `json:"agency_code,omitempty"`
	Action       string    `json:"action"`
	FromStatus   string    `json:"from_status"`
	ToStatus     string    `json:"to_status"`
	Note         string    `json:"note,omitempty"`
	At           time.Time `json:"at"`
}

// Webhook POSTs each notification as JSON to URL.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client // default: 10 s timeout
	Now    func() time.Time
	// Redact leaves out the reporter's account ID and the step's note:
	// for receivers outside the service (API clients' subscriptions).
	Redact bool
}

// Sign returns the signature header value for body sent at timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send delivers n. A 2xx answer is success; redirects (not followed), 408,
// 429 and 5xx answers and network errors are retried; any other answer is
// a permanent refusal.
func (w *Webhook) Send(ctx context.Context, n feedback.Notification) error {
	p := Payload{ID: n.ID, Event: "report." + string(n.Action), ReportID: n.ReportID, TrackingCode: n.TrackingCode,
		Version: n.Version, Party: string(n.Party), UserID: n.UserID, AgencyCode: n.AgencyCode, Action: string(n.Action),
		FromStatus: string(n.FromStatus), ToStatus: string(n.ToStatus), Note: n.Note, At: n.At.UTC()}
	if w.Redact {
		p.UserID, p.Note = "", ""
	}
	body, err := json.Marshal(p)
	if err != nil {
		return feedback.Permanent(err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return feedback.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "camaug-webhook/1")
	req.Header.Set(HeaderDelivery, deliveryIDOf(ctx, n))
	req.Header.Set(HeaderEvent, "report."+string(n.Action))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	// Redirects are not followed: the signed body would go to wherever the
	// receiver points, and a 303 would turn the POST into a GET that
	// "succeeds" without delivering anything.
	client := &http.Client{Timeout: 10 * time.Second}
	if w.Client != nil {
		c := *w.Client
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 300 && c < 400:
		// A moved receiver is a configuration to fix, not a refusal of
		// this message: retried with backoff (up to the dispatcher's
		// attempt limit) while the operator points URL at it.
		return fmt.Errorf("webhook: HTTP %d redirect to %q not followed", c, resp.Header.Get("Location"))
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook: HTTP %d", c)
	default:
		return feedback.Permanent(fmt.Errorf("webhook: refused with HTTP %d", c))
	}
}
