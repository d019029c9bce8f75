package mongo_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"

	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/storetest"
)

func open(t *testing.T, srv *mongotest.Server) *mongo.DB {
	t.Helper()
	db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := open(t, mongotest.Start(t))
		return storetest.Stores{Reference: db.Reference(), Identity: db.Identity(), Reports: db.Reports(), Media: db.Media(), Ratings: db.Ratings(),
			Surveys: db.Surveys(), Leases: db.Leases()}
	})
}

func TestOpen_IndexesTwice(t *testing.T) {
	srv := mongotest.Start(t)
	open(t, srv)
	db := open(t, srv) // ensuring indexes again must not fail
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_WriteConcern(t *testing.T) {
	srv := mongotest.Start(t)
	ctx := context.Background()
	if _, err := mongo.Open(ctx, srv.URI, mongo.Options{Database: srv.Database, WriteConcern: "most"}); err == nil {
		t.Fatal(`write concern "most": got nil error, want one`)
	}
	t.Run("WeakRefused", func(t *testing.T) {
		withW1 := srv.URI
		if strings.Contains(withW1, "?") {
			withW1 += "&w=1"
		} else {
			withW1 = strings.TrimSuffix(withW1, "/") + "/?w=1"
		}
		for name, try := range map[string]func() (*mongo.DB, error){
			"option": func() (*mongo.DB, error) {
				return mongo.Open(ctx, srv.URI, mongo.Options{Database: srv.Database, WriteConcern: "1"})
			},
			"URI w=1": func() (*mongo.DB, error) { return mongo.Open(ctx, withW1, mongo.Options{Database: srv.Database}) },
		} {
			db, err := try()
			if err == nil {
				db.Close()
				t.Fatalf("%s: a w=1 store opened, want a refusal", name)
			}
			if !strings.Contains(err.Error(), mongo.AllowWeakWritesVar) || !strings.Contains(err.Error(), "majority") {
				t.Errorf("%s: the refusal does not say what to do: %v", name, err)
			}
		}
	})
	t.Run("WeakAllowedWithWarning", func(t *testing.T) {
		var logs bytes.Buffer
		db, err := mongo.Open(ctx, srv.URI, mongo.Options{Database: srv.Database, WriteConcern: "1", AllowWeakWrites: true,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "w=1") {
			t.Errorf("no warning about the weak write concern in the log:\n%s", logs.String())
		}
	})
	t.Run("MajoritySilent", func(t *testing.T) {
		var logs bytes.Buffer
		db, err := mongo.Open(ctx, srv.URI, mongo.Options{Database: srv.Database, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if logs.Len() > 0 {
			t.Errorf("majority writes logged: %s", logs.String())
		}
	})
}

// TestPing_ServerGone reaches the database through a proxy and closes it,
// so the server is gone on FerretDB and on a real MONGODB_TEST_URI alike.
func TestPing_ServerGone(t *testing.T) {
	srv := mongotest.Start(t)
	proxy := mongotest.NewProxy(t, srv)
	db, err := mongo.Open(context.Background(), proxy.URI, mongo.Options{Database: srv.Database, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping through the proxy: %v", err)
	}
	proxy.Close()
	start := time.Now()
	err = db.Ping(context.Background())
	if !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatalf("Ping with the server gone: got %v, want EUNAVAILABLE", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Ping took %v with a 1 s timeout", d)
	}
}

// TestTimeout_StalledServer stalls the connection to the database (requests
// go out, nothing comes back) and checks every kind of operation gives up
// with EUNAVAILABLE within its deadline instead of hanging.
func TestTimeout_StalledServer(t *testing.T) {
	srv := mongotest.Start(t)
	proxy := mongotest.NewProxy(t, srv)
	const timeout = 700 * time.Millisecond
	db, err := mongo.Open(context.Background(), proxy.URI, mongo.Options{Database: srv.Database, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, _, err := db.Reports().Feed(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 10}); err != nil {
		t.Fatalf("feed before the stall: %v", err)
	}
	proxy.Stall()
	defer proxy.Resume()
	for name, op := range map[string]func() error{
		"read": func() error {
			_, _, err := db.Reports().Feed(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 10})
			return err
		},
		"get":   func() error { _, err := db.Reports().GetReport(ctx, "r-missing"); return err },
		"write": func() error { _, err := db.Identity().HitAttempt(ctx, "k", time.Now()); return err },
		"ping":  func() error { return db.Ping(ctx) },
	} {
		start := time.Now()
		err := op()
		took := time.Since(start)
		if !errors.Is(err, apperr.ErrUnavailable) {
			t.Errorf("%s with the server stalled: got %v, want EUNAVAILABLE", name, err)
		}
		if took > 3*timeout {
			t.Errorf("%s took %v with a %v timeout", name, took, timeout)
		}
	}
}

func TestRedact(t *testing.T) {
	got := mongo.Redact("mongodb://app:s3cret@db1:27017,db2:27017/camaug?replicaSet=rs0")
	if want := "mongodb://app@db1:27017,db2:27017/camaug?replicaSet=rs0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
