package feedback_test

import (
	"context"
	"path/filepath"
	"testing"

	"camaug/feedback"
	"camaug/internal/store/sqlite"
)

// openStore opens a fresh embedded store, closed when the test ends, with
// the default reference data imported after edit (when not nil) changed it.
func openStore(tb testing.TB, edit func(*feedback.Reference)) (*sqlite.DB, *feedback.ReferenceService) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "camaug.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ref, err := feedback.DefaultReference()
	if err != nil {
		tb.Fatal(err)
	}
	if edit != nil {
		edit(ref)
	}
	refs := feedback.NewReferenceService(db.Reference())
	if err := refs.Import(ctx, ref); err != nil {
		tb.Fatal(err)
	}
	return db, refs
}
