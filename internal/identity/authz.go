package identity

import (
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Permission is one thing a caller may do. Object-level rules (an officer
// only touches its own agency's objects; a citizen only their own) are
// checked by the services on top of these.
type Permission string

// The permissions.
const (
	PermSelf           Permission = "self"            // read and change one's own account
	PermUsersManage    Permission = "users.manage"    // manage every account
	PermOfficersManage Permission = "officers.manage" // manage the officers of one's own agency
	PermReferenceAdmin Permission = "reference.admin" // change reference data
	PermReportsCreate  Permission = "reports.create"  // submit field reports
	PermReportsHandle  Permission = "reports.handle"  // handle the reports routed to one's agency
	PermReportsAll     Permission = "reports.all"     // see and route every report
	PermIndicatorsRead Permission = "indicators.read" // read satisfaction indicators and exports
	PermSurveysAdmin   Permission = "surveys.admin"   // create and publish surveys
)

// rolePermissions is the one role → permission table of the service.
var rolePermissions = map[Role][]Permission{
	RoleGuest:       {PermSelf, PermReportsCreate},
	RoleCitizen:     {PermSelf, PermReportsCreate},
	RoleOfficer:     {PermSelf, PermReportsHandle},
	RoleAgencyAdmin: {PermSelf, PermReportsHandle, PermOfficersManage},
	RoleCoordinator: {PermSelf, PermReportsHandle, PermReportsAll, PermIndicatorsRead},
	RoleAnalyst:     {PermSelf, PermIndicatorsRead},
	RoleAdmin: {PermSelf, PermUsersManage, PermOfficersManage, PermReferenceAdmin, PermReportsHandle, PermReportsAll,
		PermIndicatorsRead, PermSurveysAdmin},
}

// Principal is an authenticated caller.
type Principal struct {
	UserID     string
	Role       Role
	AgencyCode string
}

// Anonymous is the caller without a token.
var Anonymous = Principal{}

// IsAnonymous reports whether no one is signed in.
func (p Principal) IsAnonymous() bool { return p.UserID == "" }

// Can reports whether the principal's role grants perm.
func (p Principal) Can(perm Permission) bool {
	for _, q := range rolePermissions[p.Role] {
		if q == perm {
			return true
		}
	}
	return false
}

// Require returns EUNAUTHORIZED for an anonymous caller and EFORBIDDEN for
// one whose role lacks perm.
func (p Principal) Require(perm Permission) error {
	if p.IsAnonymous() {
		return ErrUnauthenticated()
	}
	if !p.Can(perm) {
		return ErrForbidden()
	}
	return nil
}

// ErrUnauthenticated is the error for a missing or bad token.
func ErrUnauthenticated() error {
	return apperr.New(apperr.EUNAUTHORIZED, i18n.T("Cần đăng nhập (token không hợp lệ hoặc đã hết hạn)",
		"authentication required (the token is missing, invalid or expired)"))
}

// ErrForbidden is the error for a caller whose role may not do this.
func ErrForbidden() error {
	return apperr.New(apperr.EFORBIDDEN, i18n.T("Bạn không có quyền thực hiện thao tác này", "you may not do this"))
}
