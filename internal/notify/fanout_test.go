package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/identity"
	"camaug/internal/notify"
	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/sqlite"
)

// hookRecv is a destination's endpoint: it checks the signature with its
// own secret and keeps each delivery's ID and payload.
type hookRecv struct {
	mu         sync.Mutex
	secret     []byte
	down       bool
	deliveries []string
	got        []map[string]any
	badSig     int
}

func (rc *hookRecv) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if notify.Sign(rc.secret, r.Header.Get(notify.HeaderTimestamp), body) != r.Header.Get(notify.HeaderSignature) {
		rc.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p map[string]any
	json.Unmarshal(body, &p)
	rc.deliveries = append(rc.deliveries, r.Header.Get(notify.HeaderDelivery))
	rc.got = append(rc.got, p)
}

func (rc *hookRecv) count() int { rc.mu.Lock(); defer rc.mu.Unlock(); return len(rc.got) }

type fanoutStore interface {
	Reference() feedback.ReferenceStore
	Reports() feedback.ReportStore
	Media() feedback.MediaStore
	Ratings() feedback.RatingStore
	Clients() apiclient.Store
	Deliveries() notify.DeliveryStore
}

// TestFanout: today's CAMAUG_WEBHOOK_URL receiver gets every notification
// as before (same delivery IDs); each API client's subscription gets only
// what its filters match, signed with its own secret, without account IDs
// or notes; when one destination is down, the retry goes to it alone, and
// a revoked client gets nothing more. Real dispatcher, real HTTP
// receivers, both stores.
func TestFanout(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testFanout(t, db)
	})
	t.Run("mongo", func(t *testing.T) {
		srv := mongotest.Start(t)
		db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testFanout(t, db)
	})
}

func testFanout(t *testing.T, db fanoutStore) {
	ctx := context.Background()
	clock := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	ref := feedback.NewReferenceService(db.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), ref, now)
	clients := &apiclient.Service{Store: db.Clients(), Now: now}

	serve := func(rc *hookRecv) string {
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	legacy := &hookRecv{secret: []byte("the-legacy-webhook-secret")}
	lgsp, app := &hookRecv{}, &hookRecv{down: true}
	// The LGSP wants the agencies' dispatches and resolutions; the app
	// gateway the reporters' side, every event.
	lgspMade, err := clients.Create(ctx, apiclient.Input{Name: "LGSP", Scopes: []string{"stats:read", "webhooks"},
		Webhook: &apiclient.WebhookInput{URL: serve(lgsp), Events: []string{"report.dispatch", "report.resolve"}, Parties: []string{"agency"}}})
	if err != nil {
		t.Fatal(err)
	}
	appMade, err := clients.Create(ctx, apiclient.Input{Name: "App gateway", Scopes: []string{"webhooks"},
		Webhook: &apiclient.WebhookInput{URL: serve(app), Parties: []string{"reporter"}}})
	if err != nil {
		t.Fatal(err)
	}
	lgsp.secret, app.secret = []byte(lgspMade.WebhookSecret), []byte(appMade.WebhookSecret)
	fan := &notify.Fanout{Store: db.Deliveries(), Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		More: notify.ClientDestinations(db.Clients(), nil)}
	fan.Add("", nil, &notify.Webhook{URL: serve(legacy), Secret: legacy.secret, Now: now}) // CAMAUG_WEBHOOK_URL
	d := &feedback.Dispatcher{Store: db.Reports(), Sender: fan, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseDelay: time.Minute}

	citizen := identity.Principal{UserID: "u-citizen", Role: identity.RoleCitizen}
	r, _, err := svc.Submit(ctx, citizen, feedback.SubmitInput{CategoryCode: "cap-thoat-nuoc", Description: "Vỡ ống nước",
		Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}, "")
	if err != nil {
		t.Fatal(err)
	}
	coord := identity.Principal{UserID: "u-coord", Role: identity.RoleCoordinator}
	if _, _, err := svc.Transition(ctx, coord, r.ID, feedback.TransitionInput{Action: feedback.ActDispatch, Note: "Chuyển gấp"}); err != nil {
		t.Fatal(err)
	}
	delivered, failed, err := d.RunOnce(ctx)
	if err != nil || delivered != 1 || failed != 1 {
		t.Fatalf("app gateway down: delivered %d, failed %d, %v; want the agency's delivered, the reporter's failed", delivered, failed, err)
	}
	if legacy.count() != 2 || lgsp.count() != 1 || app.count() != 0 {
		t.Fatalf("got legacy %d, lgsp %d, app %d; want 2, 1, 0", legacy.count(), lgsp.count(), app.count())
	}

	app.mu.Lock()
	app.down = false
	app.mu.Unlock()
	clock = clock.Add(2 * time.Minute)
	delivered, failed, err = d.RunOnce(ctx)
	if err != nil || delivered != 1 || failed != 0 {
		t.Fatalf("retry: delivered %d, failed %d, %v; want 1, 0", delivered, failed, err)
	}
	if legacy.count() != 2 || lgsp.count() != 1 || app.count() != 1 {
		t.Fatalf("after the retry: legacy %d, lgsp %d, app %d; want 2, 1, 1 (nobody gets it twice)", legacy.count(), lgsp.count(), app.count())
	}
	for _, rc := range []*hookRecv{legacy, lgsp, app} {
		if rc.badSig != 0 {
			t.Fatalf("%d bad signatures", rc.badSig)
		}
	}
	// Delivery IDs: the legacy receiver's are the notification IDs, as
	// before; a client's are the notification ID @ the destination.
	for i, p := range legacy.got {
		if legacy.deliveries[i] != p["id"] {
			t.Fatalf("legacy delivery ID %q, payload id %v", legacy.deliveries[i], p["id"])
		}
	}
	lg, ap := lgsp.got[0], app.got[0]
	if lgsp.deliveries[0] != lg["id"].(string)+"@client:"+lgspMade.Client.ID || lg["party"] != "agency" || lg["event"] != "report.dispatch" {
		t.Fatalf("LGSP delivery %q: %v", lgsp.deliveries[0], lg)
	}
	if ap["party"] != "reporter" || ap["user_id"] != nil || ap["note"] != nil || ap["tracking_code"] != r.TrackingCode {
		t.Fatalf("a client's payload must carry no account ID or note: %v", ap)
	}

	// A revoked client gets nothing more; the others go on.
	if _, err := clients.Revoke(ctx, appMade.Client.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Transition(ctx, coord, r.ID, feedback.TransitionInput{Action: feedback.ActReject, Note: "Trùng"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if app.count() != 1 || legacy.count() < 3 {
		t.Fatalf("after revoking the app gateway: app %d (want 1), legacy %d (want more than 2)", app.count(), legacy.count())
	}
}
