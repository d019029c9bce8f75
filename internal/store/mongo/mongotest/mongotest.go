// Package mongotest gives tests a MongoDB-protocol server: an embedded
// FerretDB (SQLite handler, in a temp folder) started inside the test
// process, or the server named by MONGODB_TEST_URI when that is set.
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Server is a running server for one test.
type Server struct {
	// URI is the connection string.
	URI string
	// Database is a database name no other test uses.
	Database string

	stop func()
}

// Start starts a server for t (or uses MONGODB_TEST_URI) and stops it, or
// drops the test's database, when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	db := "camaug_test_" + hex.EncodeToString(b[:])

	if uri := os.Getenv("MONGODB_TEST_URI"); uri != "" {
		s := &Server{URI: uri, Database: db, stop: func() {}}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if c, err := mongo.Connect(options.Client().ApplyURI(uri)); err == nil {
				c.Database(db).Drop(ctx)
				c.Disconnect(ctx)
			}
		})
		return s
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + t.TempDir() + "/",
		Logger:    ferretLogger(),
	})
	if err != nil {
		t.Fatalf("starting FerretDB: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	// The embedded server shares the test machine's cores with everything
	// else: its operations get a minute (the store's 5 s default is for a
	// real server). Tests of the deadline set their own.
	uri := strings.TrimSuffix(f.MongoDBURI(), "/") + "/?timeoutMS=60000"
	s := &Server{URI: uri, Database: db}
	stopped := false
	s.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(s.Stop)
	return s
}

// Stop stops an embedded server (a no-op for MONGODB_TEST_URI): clients
// then find it unreachable.
func (s *Server) Stop() { s.stop() }

// ferretLogger discards FerretDB's logs unless CAMAUG_FERRETDB_LOG is set.
func ferretLogger() *slog.Logger {
	if os.Getenv("CAMAUG_FERRETDB_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
