package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

func testAudit(t *testing.T, s feedback.AuditStore) {
	ctx := context.Background()
	got, err := s.ListAudit(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("new store: got %d entries, want none", len(got))
	}

	at := time.Date(2026, 3, 2, 8, 15, 0, 123_000_000, time.UTC)
	var want []feedback.AuditEntry
	id := ""
	for i := 0; i < 5; i++ {
		id = ids.After(id)
		e := feedback.AuditEntry{ID: id, At: at.Add(time.Duration(i) * time.Second), ActorID: "u-1", ActorRole: identity.RoleAdmin,
			Kind: "category", Code: fmt.Sprintf("c%d", i), Action: feedback.AuditUpdate,
			Before: json.RawMessage(fmt.Sprintf(`{"code":"c%d","sort_order":1}`, i)),
			After:  json.RawMessage(fmt.Sprintf(`{"code":"c%d","sort_order":2}`, i))}
		switch i {
		case 0: // a create has nothing before
			e.Action, e.Before = feedback.AuditCreate, nil
		case 4: // a delete has nothing after
			e.Action, e.After = feedback.AuditDelete, nil
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	wantCode(t, s.AppendAudit(ctx, want[2]), apperr.ECONFLICT)

	// Newest first, in pages joined by the last ID.
	var all []feedback.AuditEntry
	cursor := ""
	for page := 0; page < 5; page++ {
		got, err := s.ListAudit(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		all = append(all, got...)
		cursor = got[len(got)-1].ID
	}
	if len(all) != len(want) {
		t.Fatalf("got %d entries over all pages, want %d", len(all), len(want))
	}
	for i, g := range all {
		w := want[len(want)-1-i]
		if g.ID != w.ID || !g.At.Equal(w.At) || g.ActorID != w.ActorID || g.ActorRole != w.ActorRole ||
			g.Kind != w.Kind || g.Code != w.Code || g.Action != w.Action {
			t.Fatalf("entry %d: got %+v, want %+v", i, g, w)
		}
		if (g.Before == nil) != (w.Before == nil) || (g.After == nil) != (w.After == nil) {
			t.Fatalf("entry %d (%s): got before=%s after=%s, want before=%s after=%s", i, g.Action, g.Before, g.After, w.Before, w.After)
		}
		if w.Before != nil {
			sameJSON(t, g.Before, w.Before)
		}
		if w.After != nil {
			sameJSON(t, g.After, w.After)
		}
	}
}
