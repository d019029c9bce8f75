// Package mongotest gives tests a MongoDB-protocol server: an embedded
// FerretDB (SQLite handler, in a temp folder) run as a process of its own
// (ferretdbd, built without the race detector), or the server named by
// MONGODB_TEST_URI when that is set.
package mongotest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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

	bin, err := ferretdbd()
	if err != nil {
		t.Fatalf("building the test FerretDB: %v", err)
	}
	args := []string{"-dir", t.TempDir()}
	if os.Getenv("CAMAUG_FERRETDB_LOG") != "" {
		args = append(args, "-log")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	// The server ends with its test process: its standard input closes
	// then, and on Linux the kernel kills it too.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the test FerretDB: %v", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the test FerretDB did not start: %v", err)
	}
	// The embedded server shares the test machine's cores with everything
	// else: its operations get a minute (the store's 5 s default is for a
	// real server). Tests of the deadline set their own.
	uri := strings.TrimSuffix(strings.TrimSpace(line), "/") + "/?timeoutMS=60000"
	s := &Server{URI: uri, Database: db}
	stopped := false
	s.stop = func() {
		if !stopped {
			stopped = true
			stdin.Close()
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
	}
	t.Cleanup(s.Stop)
	return s
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// ferretdbd builds the server once per test process, without the race
// detector (the go command's cache makes later builds a link only).
func ferretdbd() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "camaug-ferretdbd-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "ferretdbd")
		cmd := exec.Command("go", "build", "-o", builtBin, "camaug/internal/store/mongo/mongotest/ferretdbd")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	return builtBin, buildErr
}

// Stop stops an embedded server (a no-op for MONGODB_TEST_URI): clients
// then find it unreachable.
func (s *Server) Stop() { s.stop() }
