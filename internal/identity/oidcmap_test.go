package identity

import (
	"errors"
	"strings"
	"testing"

	"camaug/internal/apperr"
)

func TestResolveGroups(t *testing.T) {
	ms := []GroupMapping{
		{Group: "so-xd", Role: RoleOfficer, AgencyCode: "so-xay-dung"},
		{Group: "so-yt", Role: RoleOfficer, AgencyCode: "so-y-te"},
		{Group: "ioc", Role: RoleCoordinator},
		{Group: "thong-ke", Role: RoleAnalyst},
		{Group: "camaug-admin", Role: RoleAdmin},
	}
	for _, tc := range []struct {
		name       string
		groups     []string
		role       Role
		agency     string
		refusedFor string // the error's English message start, when refused
	}{
		{"one officer group", []string{"so-xd", "unrelated"}, RoleOfficer, "so-xay-dung", ""},
		{"most privileged wins", []string{"thong-ke", "so-xd", "ioc"}, RoleCoordinator, "", ""},
		{"admin only when mapped", []string{"camaug-admin"}, RoleAdmin, "", ""},
		{"admin-looking names grant nothing", []string{"admin", "Admin", "camaug-admins", "CAMAUG-ADMIN"}, "", "", "your province account"},
		{"no groups", nil, "", "", "your province account"},
		{"two agencies at the same rank", []string{"so-xd", "so-yt"}, "", "", "the account's groups map"},
		{"a higher role settles agencies", []string{"so-xd", "so-yt", "ioc"}, RoleCoordinator, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role, agency, err := ResolveGroups(ms, tc.groups)
			if tc.refusedFor != "" {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Code != apperr.EFORBIDDEN || !strings.HasPrefix(e.Message.En, tc.refusedFor) {
					t.Fatalf("got %s %q, %v; want EFORBIDDEN starting %q", role, agency, err, tc.refusedFor)
				}
				return
			}
			if err != nil || role != tc.role || agency != tc.agency {
				t.Fatalf("got %s %q, %v; want %s %q", role, agency, err, tc.role, tc.agency)
			}
		})
	}
}
