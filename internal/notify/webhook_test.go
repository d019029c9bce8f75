package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/notify"
	"camaug/internal/store/sqlite"
)

// receiver is a webhook endpoint that checks signatures and answers with
// the status it is told to.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	status   int
	got      []notify.Payload
	badSig   int
	requests int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	if notify.Sign(rc.secret, r.Header.Get(notify.HeaderTimestamp), body) != r.Header.Get(notify.HeaderSignature) {
		rc.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if rc.status != http.StatusOK {
		w.WriteHeader(rc.status)
		return
	}
	var p notify.Payload
	json.Unmarshal(body, &p)
	if p.ID != r.Header.Get(notify.HeaderDelivery) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, p)
}

func (rc *receiver) set(status int) { rc.mu.Lock(); rc.status = status; rc.mu.Unlock() }

// A report's dispatch is announced to the reporter and the agency through
// a signed webhook; a receiver that is down is retried with backoff, and
// the pending deliveries survive a restart of the service (a real SQLite
// file closed and opened again).
func TestWebhook_RetriesAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "camaug.db")
	secret := []byte("a-long-shared-secret-for-tests")
	rc := &receiver{secret: secret, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	clock := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ref := feedback.NewReferenceService(db.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), ref, now)
	citizen := identity.Principal{UserID: "u-citizen", Role: identity.RoleCitizen}
	r, _, err := svc.Submit(ctx, citizen, feedback.SubmitInput{CategoryCode: "cap-thoat-nuoc", Description: "Vỡ ống nước trên đường Lý Thường Kiệt",
		Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}, ContactPhone: "0912345678"}, "")
	if err != nil {
		t.Fatal(err)
	}
	coord := identity.Principal{UserID: "u-coord", Role: identity.RoleCoordinator}
	if _, _, err := svc.Transition(ctx, coord, r.ID, feedback.TransitionInput{Action: feedback.ActDispatch}); err != nil {
		t.Fatal(err)
	}

	hook := &notify.Webhook{URL: srv.URL, Secret: secret, Now: now}
	d := &feedback.Dispatcher{Store: db.Reports(), Sender: hook, Now: now, Logger: logger, BaseDelay: time.Minute}
	delivered, failed, err := d.RunOnce(ctx)
	if err != nil || delivered != 0 || failed != 2 {
		t.Fatalf("receiver down: delivered %d, failed %d, %v; want 0 and 2", delivered, failed, err)
	}
	// Not due again before the backoff has passed.
	clock = clock.Add(30 * time.Second)
	if delivered, failed, _ := d.RunOnce(ctx); delivered+failed != 0 {
		t.Fatalf("retried before the backoff: %d delivered, %d failed", delivered, failed)
	}
	db.Close() // the service stops

	rc.set(http.StatusOK)
	clock = clock.Add(2 * time.Minute)
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d = &feedback.Dispatcher{Store: db.Reports(), Sender: hook, Now: now, Logger: logger}
	delivered, failed, err = d.RunOnce(ctx)
	if err != nil || delivered != 2 || failed != 0 {
		t.Fatalf("after restart: delivered %d, failed %d, %v; want 2 and 0", delivered, failed, err)
	}
	if delivered, _, _ := d.RunOnce(ctx); delivered != 0 {
		t.Fatalf("%d delivered twice", delivered)
	}
	if rc.badSig != 0 || len(rc.got) != 2 || rc.requests != 4 {
		t.Fatalf("receiver: %d bad signatures, %d payloads, %d requests; want 0, 2, 4", rc.badSig, len(rc.got), rc.requests)
	}
	parties := map[string]notify.Payload{}
	for _, p := range rc.got {
		parties[p.Party] = p
		if p.ReportID != r.ID || p.TrackingCode != r.TrackingCode || p.ToStatus != "dispatched" || p.Event != "report.dispatch" {
			t.Fatalf("payload: %+v", p)
		}
	}
	if parties["reporter"].UserID != "u-citizen" || parties["agency"].AgencyCode != r.AgencyCode || parties["agency"].UserID != "" {
		t.Fatalf("parties: %+v", parties)
	}
	for _, p := range rc.got {
		raw, _ := json.Marshal(p)
		if strings.Contains(string(raw), "912345678") || strings.Contains(string(raw), "u-coord") {
			t.Fatalf("a payload carries personal data: %s", raw)
		}
	}
}

// A receiver that refuses a message (4xx) is not retried: the entry is
// given up and kept, while a bad secret is noticed by the receiver.
func TestWebhook_PermanentRefusal(t *testing.T) {
	ctx := context.Background()
	rc := &receiver{secret: []byte("right-secret-xxxxxxxx"), status: http.StatusOK}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	hook := &notify.Webhook{URL: srv.URL, Secret: []byte("wrong-secret-xxxxxxxx")}
	n := feedback.Notification{ID: "r1#2/reporter", ReportID: "r1", Party: feedback.PartyReporter, Action: feedback.ActDispatch, At: time.Now()}
	err := hook.Send(ctx, n)
	if err == nil || !feedback.IsPermanent(err) || rc.badSig != 1 {
		t.Fatalf("wrong secret: %v (permanent %v), %d bad signatures", err, feedback.IsPermanent(err), rc.badSig)
	}
	rc.set(http.StatusTooManyRequests)
	hook.Secret = rc.secret
	if err := hook.Send(ctx, n); err == nil || feedback.IsPermanent(err) {
		t.Fatalf("429: %v, want a retryable error", err)
	}
	srv.Close()
	if err := hook.Send(ctx, n); err == nil || feedback.IsPermanent(err) {
		t.Fatalf("receiver gone: %v, want a retryable error", err)
	}
}

func TestDispatcher_Backoff(t *testing.T) {
	d := &feedback.Dispatcher{BaseDelay: 10 * time.Second, MaxDelay: time.Hour}
	for attempts, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 4: 80 * time.Second, 9: 2560 * time.Second, 10: time.Hour, 30: time.Hour} {
		if got := d.Backoff(attempts); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, want)
		}
	}
}

// A receiver that redirects is not followed: the signed body never reaches
// the other address, and the delivery stays pending to be retried.
func TestWebhook_RedirectNotFollowed(t *testing.T) {
	ctx := context.Background()
	rc := &receiver{secret: []byte("right-secret-xxxxxxxx"), status: http.StatusOK}
	elsewhere := httptest.NewServer(rc)
	defer elsewhere.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusSeeOther, http.StatusTemporaryRedirect} {
		mover := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL, code)
		}))
		hook := &notify.Webhook{URL: mover.URL, Secret: rc.secret, Client: &http.Client{Timeout: 5 * time.Second}}
		n := feedback.Notification{ID: "r1#2/reporter", ReportID: "r1", Party: feedback.PartyReporter, Action: feedback.ActDispatch, At: time.Now()}
		err := hook.Send(ctx, n)
		mover.Close()
		if err == nil || feedback.IsPermanent(err) {
			t.Fatalf("HTTP %d: %v, want a retryable error", code, err)
		}
	}
	if rc.requests != 0 {
		t.Fatalf("the redirect target got %d requests", rc.requests)
	}
}
