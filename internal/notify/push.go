package notify

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// The real FCM endpoints, used unless configured otherwise.
const (
	DefaultFCMTokenURL = "https://oauth2.googleapis.com/token"
	DefaultFCMSendURL  = "https://fcm.googleapis.com"
	fcmScope           = "https://www.googleapis.com/auth/firebase.messaging"
)

// PushConfig configures Push.
type PushConfig struct {
	// Credentials is the Firebase service account's JSON key file.
	Credentials []byte
	// ProjectID is the Firebase project (the key's project_id when empty).
	ProjectID string
	// TokenURL is the OAuth2 token endpoint that turns the service
	// account's signed JWT into an access token (the key's token_uri, else
	// DefaultFCMTokenURL); SendURL is the FCM HTTP v1 base URL
	// (DefaultFCMSendURL). Tests point both at local fakes.
	TokenURL, SendURL string
	// Client makes the HTTP calls (default: 10 s timeout).
	Client *http.Client
}

// Push sends the reporter's notifications to their phones through FCM
// HTTP v1 (Android and iOS alike). Other parties' notifications are not
// for phones: Push ignores them.
type Push struct {
	Devices identity.DeviceStore
	project string
	sendURL string
	client  *http.Client
}

type serviceAccount struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// NewPush reads the service account key and prepares the sender. Access
// tokens are fetched (a JWT bearer grant signed with the key) when first
// needed and renewed before they expire.
func NewPush(cfg PushConfig, devices identity.DeviceStore) (*Push, error) {
	var sa serviceAccount
	if err := json.Unmarshal(cfg.Credentials, &sa); err != nil {
		return nil, fmt.Errorf("push: the service account key is not JSON: %w", err)
	}
	if sa.Type != "service_account" || sa.ClientEmail == "" || sa.PrivateKey == "" {
		return nil, errors.New("push: the key file is not a service account key (type, client_email, private_key)")
	}
	project := cfg.ProjectID
	if project == "" {
		project = sa.ProjectID
	}
	if project == "" {
		return nil, errors.New("push: no Firebase project ID (CAMAUG_FCM_PROJECT_ID, or project_id in the key)")
	}
	tokenURL := cfg.TokenURL
	if tokenURL == "" {
		tokenURL = sa.TokenURI
	}
	if tokenURL == "" {
		tokenURL = DefaultFCMTokenURL
	}
	sendURL := cfg.SendURL
	if sendURL == "" {
		sendURL = DefaultFCMSendURL
	}
	base := cfg.Client
	if base == nil {
		base = &http.Client{Timeout: 10 * time.Second}
	}
	conf := &jwt.Config{Email: sa.ClientEmail, PrivateKey: []byte(sa.PrivateKey), PrivateKeyID: sa.PrivateKeyID,
		Scopes: []string{fcmScope}, TokenURL: tokenURL}
	if err := checkKey(sa.PrivateKey); err != nil {
		return nil, err
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, base)
	client := oauth2.NewClient(ctx, conf.TokenSource(ctx))
	client.Timeout = base.Timeout
	return &Push{Devices: devices, project: project, sendURL: strings.TrimRight(sendURL, "/"), client: client}, nil
}

// checkKey fails unless pemKey is an RSA private key, so a broken key file
// stops the start instead of every delivery.
func checkKey(pemKey string) error {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return errors.New("push: the service account's private_key is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			return nil
		}
		return fmt.Errorf("push: the service account's private_key: %w", err)
	}
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return errors.New("push: the service account's private_key is not an RSA key")
	}
	return nil
}

// fcmMessage is FCM HTTP v1's send request. Data values are strings.
type fcmMessage struct {
	Message struct {
		Token        string            `json:"token"`
		Notification fcmNotification   `json:"notification"`
		Data         map[string]string `json:"data"`
		Android      map[string]any    `json:"android,omitempty"`
		APNS         map[string]any    `json:"apns,omitempty"`
	} `json:"message"`
}

type fcmNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// statusText is what the reporter reads about each status.
var statusText = map[feedback.Status]i18n.Text{
	feedback.StatusSubmitted:  i18n.T("đã được tiếp nhận", "has been received"),
	feedback.StatusDispatched: i18n.T("đã được chuyển đến cơ quan xử lý", "has been sent to the agency that handles it"),
	feedback.StatusAccepted:   i18n.T("đã được cơ quan xử lý tiếp nhận", "has been taken up by the agency"),
	feedback.StatusInProgress: i18n.T("đang được xử lý", "is being handled"),
	feedback.StatusResolved:   i18n.T("đã có kết quả xử lý: mời bạn xem và đánh giá", "has been answered: see the answer and rate it"),
	feedback.StatusClosed:     i18n.T("đã đóng", "is closed"),
	feedback.StatusRejected:   i18n.T("không được tiếp nhận", "was not accepted"),
}

// message builds the notification for one device: the tracking code and
// the new status, in the device's language; no personal data, and no free
// text that staff wrote.
func message(n feedback.Notification, d identity.Device) fcmMessage {
	lang := d.Locale
	if lang != i18n.EN {
		lang = i18n.VI
	}
	var m fcmMessage
	m.Message.Token = d.Token
	title := i18n.T("Phản ánh "+n.TrackingCode, "Report "+n.TrackingCode).In(lang)
	body := i18n.T("Phản ánh của bạn ", "Your report ")
	if st, ok := statusText[n.ToStatus]; ok {
		body = i18n.T(body.Vi+st.Vi, body.En+st.En)
	} else {
		body = i18n.T(body.Vi+"đã được cập nhật", body.En+"was updated")
	}
	m.Message.Notification = fcmNotification{Title: title, Body: body.In(lang)}
	m.Message.Data = map[string]string{"notification_id": n.ID, "report_id": n.ReportID, "tracking_code": n.TrackingCode,
		"status": string(n.ToStatus), "action": string(n.Action)}
	m.Message.Android = map[string]any{"collapse_key": n.ReportID}
	m.Message.APNS = map[string]any{"headers": map[string]string{"apns-collapse-id": n.ReportID}}
	return m
}

// fcmError is FCM's error body.
type fcmError struct {
	Error struct {
		Code    int    `json:"code"`
		Status  string `json:"status"`
		Message string `json:"message"`
		Details []struct {
			Type            string `json:"@type"`
			ErrorCode       string `json:"errorCode"`
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

// deadToken reports whether FCM said the token itself is no good: the app
// was uninstalled (UNREGISTERED, 404), the token is malformed
// (INVALID_ARGUMENT about message.token) or belongs to another project
// (SENDER_ID_MISMATCH).
func deadToken(status int, e fcmError) bool {
	if status == http.StatusNotFound {
		return true
	}
	for _, d := range e.Error.Details {
		switch d.ErrorCode {
		case "UNREGISTERED", "SENDER_ID_MISMATCH":
			return true
		}
		for _, f := range d.FieldViolations {
			if strings.Contains(f.Field, "token") {
				return true
			}
		}
	}
	return e.Error.Status == "INVALID_ARGUMENT" && strings.Contains(strings.ToLower(e.Error.Message), "registration token")
}

// Send delivers n to every device of its reporter. A token FCM rejects is
// dropped from the store; a refusal of the message itself (other 4xx) is
// permanent; a network error, 401 (an access token to renew), 429 or 5xx
// for any device makes the whole notification retried through the outbox
// (devices that got it already get it again: apps deduplicate by
// data.notification_id).
func (p *Push) Send(ctx context.Context, n feedback.Notification) error {
	if n.Party != feedback.PartyReporter || n.UserID == "" {
		return nil
	}
	devices, err := p.Devices.UserDevices(ctx, n.UserID)
	if err != nil {
		return err
	}
	var retry, refused error
	for _, d := range devices {
		status, e, err := p.send(ctx, message(n, d))
		switch {
		case err != nil:
			retry = err
		case status >= 200 && status < 300:
		case deadToken(status, e):
			if err := p.Devices.DropDeviceToken(ctx, d.Token); err != nil {
				retry = err
			}
		case status == http.StatusUnauthorized || status == http.StatusTooManyRequests || status >= 500:
			retry = fmt.Errorf("push: FCM HTTP %d %s", status, e.Error.Status)
		default:
			refused = fmt.Errorf("push: FCM refused with HTTP %d %s", status, e.Error.Status)
		}
	}
	if retry != nil {
		return retry
	}
	if refused != nil {
		return feedback.Permanent(refused)
	}
	return nil
}

func (p *Push) send(ctx context.Context, m fcmMessage) (int, fcmError, error) {
	var e fcmError
	body, err := json.Marshal(m)
	if err != nil {
		return 0, e, feedback.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.sendURL+"/v1/projects/"+p.project+"/messages:send", bytes.NewReader(body))
	if err != nil {
		return 0, e, feedback.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, e, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		json.Unmarshal(b, &e)
	}
	return resp.StatusCode, e, nil
}
