package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

func TestReadDB_StatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := db.read.count.Load()
	for i := 0; i < 3; i++ {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE status = ?`, "closed").Scan(&n); err != nil || n != 0 {
			t.Fatalf("count: %d, %v; want 0, nil", n, err)
		}
	}
	if got := db.read.count.Load() - before; got != 1 {
		t.Fatalf("one statement run three times: %d cached, want 1", got)
	}
	// Full: queries still answer, uncached.
	db.read.count.Store(maxCachedStatements)
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM reports WHERE status = ? LIMIT 1`, "open")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if _, ok := db.read.stmts.Load(`SELECT id FROM reports WHERE status = ? LIMIT 1`); ok {
		t.Fatal("a statement was cached beyond the bound")
	}
	// A bad statement is an error, as without the cache.
	if err := db.read.QueryRowContext(ctx, `SELEC nothing`).Scan(new(int)); err == nil {
		t.Fatal("a malformed statement: got nil error")
	}
}
