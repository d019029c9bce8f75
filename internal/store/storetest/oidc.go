package storetest

import (
	"context"
	"testing"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

func testGroupMappings(t *testing.T, s identity.Store) {
	ctx := context.Background()
	list, err := s.ListGroupMappings(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("new store: got %v, %v; want no mappings", list, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	off := identity.GroupMapping{ID: ids.New(), Group: "so-xd-canbo", Role: identity.RoleOfficer, AgencyCode: "so-xay-dung", CreatedAt: now, UpdatedAt: now}
	adm := identity.GroupMapping{ID: ids.New(), Group: "camaug-admins", Role: identity.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	for _, m := range []identity.GroupMapping{off, adm} {
		if err := s.CreateGroupMapping(ctx, m); err != nil {
			t.Fatalf("CreateGroupMapping(%s): %v", m.Group, err)
		}
	}
	list, err = s.ListGroupMappings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, list, []identity.GroupMapping{adm, off}) // by group

	got, err := s.GetGroupMapping(ctx, off.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, off)

	t.Run("ErrConflict", func(t *testing.T) {
		dup := identity.GroupMapping{ID: ids.New(), Group: "so-xd-canbo", Role: identity.RoleAnalyst, CreatedAt: now, UpdatedAt: now}
		wantCode(t, s.CreateGroupMapping(ctx, dup), apperr.ECONFLICT)
		moved := adm
		moved.Group = off.Group
		wantCode(t, s.UpdateGroupMapping(ctx, moved), apperr.ECONFLICT)
		got, _ := s.GetGroupMapping(ctx, adm.ID)
		sameJSON(t, got, adm)
	})
	t.Run("Update", func(t *testing.T) {
		ch := off
		ch.Role, ch.AgencyCode, ch.UpdatedAt = identity.RoleAgencyAdmin, "so-y-te", now.Add(time.Minute)
		if err := s.UpdateGroupMapping(ctx, ch); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetGroupMapping(ctx, off.ID)
		sameJSON(t, got, ch)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.GetGroupMapping(ctx, "missing")
		wantCode(t, err, apperr.ENOTFOUND)
		wantCode(t, s.UpdateGroupMapping(ctx, identity.GroupMapping{ID: "missing", Group: "x", Role: identity.RoleAnalyst}), apperr.ENOTFOUND)
		wantCode(t, s.DeleteGroupMapping(ctx, "missing"), apperr.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		if err := s.DeleteGroupMapping(ctx, adm.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetGroupMapping(ctx, adm.ID)
		wantCode(t, err, apperr.ENOTFOUND)
		list, _ := s.ListGroupMappings(ctx)
		if len(list) != 1 || list[0].ID != off.ID {
			t.Fatalf("after delete: got %v, want only %s", list, off.ID)
		}
		// The group is free again.
		again := adm
		again.ID = ids.New()
		if err := s.CreateGroupMapping(ctx, again); err != nil {
			t.Fatalf("re-creating a deleted group: %v", err)
		}
	})
}

func testVerifiedACRs(t *testing.T, s identity.Store) {
	ctx := context.Background()
	got, err := s.VerifiedACRs(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("new store: got %v, %v; want none", got, err)
	}
	want := []string{"urn:vn:vneid:level2", "loa3"}
	if err := s.SetVerifiedACRs(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, _ = s.VerifiedACRs(ctx)
	sameJSON(t, got, want)
	if err := s.SetVerifiedACRs(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = s.VerifiedACRs(ctx)
	sameJSON(t, got, []string{})

	_, err = s.GetAssurance(ctx, "u-1")
	wantCode(t, err, apperr.ENOTFOUND)
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := identity.Assurance{UserID: "u-1", ACR: "loa3", UpdatedAt: now}
	if err := s.SetAssurance(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.ACR, a.UpdatedAt = "loa1", now.Add(time.Hour)
	if err := s.SetAssurance(ctx, a); err != nil {
		t.Fatal(err)
	}
	g, err := s.GetAssurance(ctx, "u-1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, g, a)
}

func testStaffLinks(t *testing.T, s identity.Store) {
	ctx := context.Background()
	const iss = "https://sso.camau.gov.vn"
	_, err := s.StaffLink(ctx, iss, "sub-1")
	wantCode(t, err, apperr.ENOTFOUND)
	now := time.Now().UTC()
	if err := s.AddStaffLink(ctx, iss, "sub-1", "user-1", now); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.AddStaffLink(ctx, iss, "sub-1", "user-2", now), apperr.ECONFLICT)
	// The same subject at another issuer is another person.
	if err := s.AddStaffLink(ctx, "https://other.example", "sub-1", "user-3", now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ iss, sub, want string }{{iss, "sub-1", "user-1"}, {"https://other.example", "sub-1", "user-3"}} {
		if got, err := s.StaffLink(ctx, tc.iss, tc.sub); err != nil || got != tc.want {
			t.Fatalf("StaffLink(%s, %s): got %q, %v; want %s", tc.iss, tc.sub, got, err, tc.want)
		}
	}
}
