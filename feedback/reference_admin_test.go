package feedback_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
)

func newAdminRefs(t *testing.T) (*feedback.ReferenceService, feedback.ReferenceStore) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "camaug.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	refs := feedback.NewReferenceService(db.Reference())
	if _, err := refs.SeedDefault(ctx); err != nil {
		t.Fatal(err)
	}
	return refs, db.Reference()
}

func wantErrCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("got error %v (code %q), want %s", err, got, code)
	}
}

// fieldsOf returns the names of the fields a validation error lists.
func fieldsOf(err error) []string {
	var ae *apperr.Error
	var out []string
	if errors.As(err, &ae) {
		for _, f := range ae.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestReferenceService_SaveEntities(t *testing.T) {
	ctx := context.Background()
	admin := identity.Principal{UserID: "admin-1", Role: identity.RoleAdmin}

	t.Run("Create", func(t *testing.T) {
		refs, _ := newAdminRefs(t)
		cat := feedback.Category{Code: "cay-xanh", Name: i18n.T("Cây xanh", "Trees"), SortOrder: 5}
		if err := refs.SaveCategory(ctx, admin, cat, true); err != nil {
			t.Fatal(err)
		}
		snap, _ := refs.Snapshot(ctx)
		if _, ok := find(snap.Categories, "cay-xanh"); !ok {
			t.Fatal("new category missing from the snapshot")
		}
		wantErrCode(t, refs.SaveCategory(ctx, admin, cat, true), apperr.ECONFLICT)
	})
	t.Run("UpdateMissing", func(t *testing.T) {
		refs, _ := newAdminRefs(t)
		a := feedback.Agency{Code: "so-khong-co", Name: i18n.T("Sở", "Dept"), Kind: feedback.AgencyDepartment, Active: true}
		wantErrCode(t, refs.SaveAgency(ctx, admin, a, false), apperr.ENOTFOUND)
	})
	t.Run("CrossReferences", func(t *testing.T) {
		refs, store := newAdminRefs(t)
		before, _ := store.Load(ctx)
		orphan := feedback.Area{Code: "phuong-moi", Name: i18n.T("Phường mới", "New ward"), Level: feedback.LevelWard, ParentCode: "khong-co"}
		err := refs.SaveArea(ctx, admin, orphan, true)
		wantErrCode(t, err, apperr.EINVALID)
		if got := fieldsOf(err); len(got) != 1 || got[0] != "parent_code" {
			t.Fatalf("fields: got %v, want [parent_code]", got)
		}
		// A cycle: the province under one of its own communes.
		prov, _ := find(before.Areas, "ca-mau")
		var child string
		for _, a := range before.Areas {
			if a.ParentCode == prov.Code {
				child = a.Code
				break
			}
		}
		prov.ParentCode = child
		err = refs.SaveArea(ctx, admin, prov, false)
		wantErrCode(t, err, apperr.EINVALID)
		if got := fieldsOf(err); len(got) == 0 || got[0] != "parent_code" {
			t.Fatalf("cycle fields: got %v, want parent_code", got)
		}
		// Deactivating an agency a rule sends reports to names the rule.
		rule := before.RoutingRules[0]
		ag, _ := find(before.Agencies, rule.AgencyCode)
		ag.Active = false
		err = refs.SaveAgency(ctx, admin, ag, false)
		wantErrCode(t, err, apperr.EINVALID)
		if got := fieldsOf(err); len(got) == 0 || got[0] == "active" {
			t.Fatalf("fields: got %v, want the rule's agency_code", got)
		}
		after, _ := store.Load(ctx)
		a, _ := json.Marshal(after)
		b, _ := json.Marshal(before)
		if string(a) != string(b) {
			t.Fatal("a refused change altered the stored data")
		}
		list, _, err := refs.AuditLog(ctx, admin, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Action != feedback.AuditImport {
			t.Fatalf("audit after refused changes: got %d entries, want only the seed import", len(list))
		}
	})
	t.Run("Calendar", func(t *testing.T) {
		refs, _ := newAdminRefs(t)
		cal, err := refs.Calendar(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cal.AutoCloseDays = 5
		if err := refs.SetCalendar(ctx, admin, cal); err != nil {
			t.Fatal(err)
		}
		got, _ := refs.Calendar(ctx)
		if got.AutoCloseDays != 5 {
			t.Fatalf("auto_close_days: got %d, want 5", got.AutoCloseDays)
		}
		cal.TimeZone = "Mars/Olympus"
		err = refs.SetCalendar(ctx, admin, cal)
		wantErrCode(t, err, apperr.EINVALID)
		if got := fieldsOf(err); len(got) == 0 || got[0] != "time_zone" {
			t.Fatalf("fields: got %v, want time_zone", got)
		}
	})
	t.Run("Forbidden", func(t *testing.T) {
		refs, _ := newAdminRefs(t)
		coord := identity.Principal{UserID: "c-1", Role: identity.RoleCoordinator}
		cat := feedback.Category{Code: "cay-xanh", Name: i18n.T("Cây xanh", "Trees")}
		wantErrCode(t, refs.SaveCategory(ctx, coord, cat, true), apperr.EFORBIDDEN)
		wantErrCode(t, refs.SaveCategory(ctx, identity.Anonymous, cat, true), apperr.EUNAUTHORIZED)
		_, _, err := refs.AuditLog(ctx, coord, "", 10)
		wantErrCode(t, err, apperr.EFORBIDDEN)
	})
}

func TestReferenceService_AuditLog(t *testing.T) {
	ctx := context.Background()
	refs, store := newAdminRefs(t)
	admin := identity.Principal{UserID: "admin-1", Role: identity.RoleAdmin}
	ref, _ := store.Load(ctx)
	rule := ref.RoutingRules[0]
	if err := refs.DeleteRoutingRule(ctx, admin, rule.Code); err != nil {
		t.Fatal(err)
	}
	if err := refs.SaveRoutingRule(ctx, admin, rule, true); err != nil {
		t.Fatal(err)
	}
	wantErrCode(t, refs.DeleteRoutingRule(ctx, admin, "khong-co"), apperr.ENOTFOUND)
	if err := refs.Import(ctx, ref); err != nil {
		t.Fatal(err)
	}

	// Newest first: the CLI import, the re-create, the delete, the seed.
	var got []feedback.AuditEntry
	cursor := ""
	for {
		page, next, err := refs.AuditLog(ctx, admin, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	want := []struct{ actor, kind, code, action string }{
		{feedback.CLIActorID, "dataset", "", "import"},
		{"admin-1", "routing_rule", rule.Code, "create"},
		{"admin-1", "routing_rule", rule.Code, "delete"},
		{feedback.SystemActorID, "dataset", "", "import"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ActorID != w.actor || g.Kind != w.kind || g.Code != w.code || g.Action != w.action {
			t.Errorf("entry %d: got %s %s %q %s, want %s %s %q %s", i, g.ActorID, g.Kind, g.Code, g.Action, w.actor, w.kind, w.code, w.action)
		}
	}
	if got[2].Before == nil || got[2].After != nil || got[1].Before != nil || got[1].After == nil {
		t.Errorf("delete/create before and after: got %s/%s and %s/%s", got[2].Before, got[2].After, got[1].Before, got[1].After)
	}
	if got[2].ActorRole != identity.RoleAdmin || got[0].ActorRole != feedback.AuditRoleSystem {
		t.Errorf("roles: got %q and %q", got[2].ActorRole, got[0].ActorRole)
	}
	var counts map[string]int
	if err := json.Unmarshal(got[0].After, &counts); err != nil || counts["categories"] != len(ref.Categories) {
		t.Errorf("import after: got %s (%v), want the new dataset's counts", got[0].After, err)
	}
	_, _, err := refs.AuditLog(ctx, admin, "not a cursor", 3)
	wantErrCode(t, err, apperr.EINVALID)
}

func find[T feedback.Entity](list []T, code string) (T, bool) {
	for _, v := range list {
		if v.RefKey() == code {
			return v, true
		}
	}
	var zero T
	return zero, false
}
