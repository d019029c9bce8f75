package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/internal/store/sqlite"
	"camaug/internal/store/storetest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := open(t)
		return storetest.Stores{Reference: db.Reference(), Identity: db.Identity(), Reports: db.Reports(), Media: db.Media(), Ratings: db.Ratings(),
			Surveys: db.Surveys(), Leases: db.Leases()}
	})
}

func TestOpen_MigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "camaug.db")
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

func TestPing_Closed(t *testing.T) {
	db := open(t)
	db.Close()
	if err := db.Ping(context.Background()); err == nil {
		t.Fatal("Ping on a closed database: got nil, want an error")
	}
}
