package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/internal/store/sqlite"
	"camaug/internal/store/storetest"
)

func TestClientConformance(t *testing.T) {
	storetest.RunClients(t, func(t *testing.T) storetest.ClientStore {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "camaug.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.Clients().(storetest.ClientStore)
	})
}
