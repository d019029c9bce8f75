// Command ferretdbd runs the embedded FerretDB (SQLite handler) that the
// tests talk to, as a process of its own: mongotest builds it without the
// race detector, so under `go test -race` only our code and the driver are
// instrumented, not the database (FerretDB and its SQLite, which the race
// detector slows several times over). It prints its MongoDB URI on one line
// of standard output once it listens, and stops when standard input closes
// (its test process ended) or on SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dir := flag.String("dir", "", "folder for the SQLite files")
	logs := flag.Bool("log", false, "log warnings to standard error")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *logs {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/",
		Logger:    logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdbd:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { // the test process holds our standard input: its end is ours
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	fmt.Println(f.MongoDBURI())
	<-done
}
