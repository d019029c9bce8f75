package identity

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// GroupMapping maps one value of the province provider's group (or role)
// claim to one of our staff roles and, for agency roles, to an agency.
// Nobody gets a role from a claim that no mapping names: an unmapped
// subject is refused, and admin is granted only by a mapping whose Role is
// admin.
type GroupMapping struct {
	ID         string
	Group      string // the claim value, compared exactly (case matters)
	Role       Role   // a staff role
	AgencyCode string // set exactly when Role.HasAgency()
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Assurance is the identity level the province's provider last stated for
// an account (its acr claim at the last sign-in or token exchange).
type Assurance struct {
	UserID    string
	ACR       string
	UpdatedAt time.Time
}

// MaxGroupMappings bounds the mapping table, so reading it whole on each
// sign-in stays cheap.
const MaxGroupMappings = 500

// MaxVerifiedACRs bounds the list of acr values marked verified.
const MaxVerifiedACRs = 20

// OIDCStore keeps what the province's provider sign-in needs beside the
// accounts: the group mappings, the acr values the admin marks verified,
// and each account's last stated acr.
type OIDCStore interface {
	// ListGroupMappings returns every mapping, ordered by Group.
	ListGroupMappings(ctx context.Context) ([]GroupMapping, error)
	// GetGroupMapping returns ENOTFOUND if no mapping has the id.
	GetGroupMapping(ctx context.Context, id string) (GroupMapping, error)
	// CreateGroupMapping stores m. Returns ECONFLICT if another mapping
	// has its Group.
	CreateGroupMapping(ctx context.Context, m GroupMapping) error
	// UpdateGroupMapping replaces the mapping with m.ID. Returns ENOTFOUND,
	// or ECONFLICT if another mapping has its Group.
	UpdateGroupMapping(ctx context.Context, m GroupMapping) error
	// DeleteGroupMapping returns ENOTFOUND if no mapping has the id.
	DeleteGroupMapping(ctx context.Context, id string) error
	// VerifiedACRs returns the acr values marked verified (none when never
	// set).
	VerifiedACRs(ctx context.Context) ([]string, error)
	// SetVerifiedACRs replaces that list.
	SetVerifiedACRs(ctx context.Context, acrs []string) error
	// SetAssurance records an account's last stated acr ("" forgets it).
	SetAssurance(ctx context.Context, a Assurance) error
	// GetAssurance returns ENOTFOUND when none was recorded.
	GetAssurance(ctx context.Context, userID string) (Assurance, error)
	// AddStaffLink records that the provider's issuer and subject sign in
	// as userID. Returns ECONFLICT if the pair is linked already.
	AddStaffLink(ctx context.Context, issuer, subject, userID string, at time.Time) error
	// StaffLink returns the account linked to issuer and subject, or
	// ENOTFOUND.
	StaffLink(ctx context.Context, issuer, subject string) (string, error)
}

// roleRank orders the staff roles for MapGroups: when a subject's groups
// match several mappings, the most privileged role wins. Coordinator ranks
// above agency admin and officer (it sees every report); analyst ranks
// lowest (it reads indicators only).
var roleRank = map[Role]int{RoleAnalyst: 1, RoleOfficer: 2, RoleAgencyAdmin: 3, RoleCoordinator: 4, RoleAdmin: 5}

// GroupMappingInput is what an admin writes for a mapping.
type GroupMappingInput struct {
	Group      string
	Role       Role
	AgencyCode string
}

func (s *Service) checkMapping(ctx context.Context, in GroupMappingInput) (GroupMapping, error) {
	var fs []apperr.FieldError
	m := GroupMapping{Group: strings.TrimSpace(in.Group), Role: in.Role, AgencyCode: strings.TrimSpace(in.AgencyCode)}
	switch n := utf8.RuneCountInString(m.Group); {
	case n == 0:
		fs = append(fs, field("group", "Bắt buộc nhập nhóm", "is required"))
	case n > 200 || strings.ContainsAny(m.Group, "\x00\r\n"):
		fs = append(fs, field("group", "Nhóm tối đa 200 ký tự, một dòng", "must be one line of at most 200 characters"))
	}
	if !m.Role.IsStaff() {
		fs = append(fs, field("role", "Vai trò phải là officer, agency_admin, coordinator, analyst hoặc admin",
			"must be officer, agency_admin, coordinator, analyst or admin"))
	} else {
		fs = append(fs, s.checkAgency(ctx, m.Role, m.AgencyCode)...)
	}
	if len(fs) > 0 {
		return GroupMapping{}, invalid(fs...)
	}
	return m, nil
}

// GroupMappings lists the mappings. Admins only.
func (s *Service) GroupMappings(ctx context.Context, p Principal) ([]GroupMapping, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return nil, err
	}
	o := s.store
	return o.ListGroupMappings(ctx)
}

// GroupMapping returns one mapping. Admins only.
func (s *Service) GroupMapping(ctx context.Context, p Principal, id string) (GroupMapping, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return GroupMapping{}, err
	}
	o := s.store
	return o.GetGroupMapping(ctx, id)
}

// CreateGroupMapping adds a mapping. Admins only; EINVALID for a bad
// group, role or agency, ECONFLICT when the group is mapped already.
func (s *Service) CreateGroupMapping(ctx context.Context, p Principal, in GroupMappingInput) (GroupMapping, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return GroupMapping{}, err
	}
	o := s.store
	m, err := s.checkMapping(ctx, in)
	if err != nil {
		return GroupMapping{}, err
	}
	list, err := o.ListGroupMappings(ctx)
	if err != nil {
		return GroupMapping{}, err
	}
	if len(list) >= MaxGroupMappings {
		return GroupMapping{}, invalid(field("group", "Đã đủ 500 ánh xạ nhóm", "at most 500 group mappings may exist"))
	}
	m.ID = ids.New()
	m.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	m.UpdatedAt = m.CreatedAt
	if err := o.CreateGroupMapping(ctx, m); err != nil {
		return GroupMapping{}, err
	}
	return m, nil
}

// UpdateGroupMapping changes a mapping. Admins only. Accounts signed in
// through it take the new role or agency at their next sign-in.
func (s *Service) UpdateGroupMapping(ctx context.Context, p Principal, id string, in GroupMappingInput) (GroupMapping, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return GroupMapping{}, err
	}
	o := s.store
	old, err := o.GetGroupMapping(ctx, id)
	if err != nil {
		return GroupMapping{}, err
	}
	m, err := s.checkMapping(ctx, in)
	if err != nil {
		return GroupMapping{}, err
	}
	m.ID, m.CreatedAt, m.UpdatedAt = old.ID, old.CreatedAt, s.now().UTC().Truncate(time.Millisecond)
	if err := o.UpdateGroupMapping(ctx, m); err != nil {
		return GroupMapping{}, err
	}
	return m, nil
}

// DeleteGroupMapping removes a mapping. Admins only.
func (s *Service) DeleteGroupMapping(ctx context.Context, p Principal, id string) error {
	if err := p.Require(PermUsersManage); err != nil {
		return err
	}
	o := s.store
	return o.DeleteGroupMapping(ctx, id)
}

// VerifiedACRs returns the acr values marked as a verified identity.
// Admins only.
func (s *Service) VerifiedACRs(ctx context.Context, p Principal) ([]string, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return nil, err
	}
	o := s.store
	return o.VerifiedACRs(ctx)
}

// SetVerifiedACRs replaces the acr values marked as a verified identity
// (trimmed, duplicates dropped, order kept). Admins only.
func (s *Service) SetVerifiedACRs(ctx context.Context, p Principal, acrs []string) ([]string, error) {
	if err := p.Require(PermUsersManage); err != nil {
		return nil, err
	}
	o := s.store
	out := []string{}
	for _, a := range acrs {
		a = strings.TrimSpace(a)
		if a == "" || slices.Contains(out, a) {
			continue
		}
		if utf8.RuneCountInString(a) > 200 || strings.ContainsAny(a, "\x00\r\n") {
			return nil, invalid(field("acr_values", "Mỗi giá trị acr tối đa 200 ký tự, một dòng", "each acr value must be one line of at most 200 characters"))
		}
		out = append(out, a)
	}
	if len(out) > MaxVerifiedACRs {
		return nil, invalid(field("acr_values", "Tối đa 20 giá trị acr", "at most 20 acr values"))
	}
	if err := o.SetVerifiedACRs(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrUnmappedGroups is the refusal of a provider subject whose groups no
// mapping names.
func ErrUnmappedGroups() error {
	return apperr.New(apperr.EFORBIDDEN, i18n.T(
		"Tài khoản dùng chung của tỉnh chưa được cấp quyền vào trang quản trị: nhóm của bạn chưa được ánh xạ tới vai trò nào. Hãy liên hệ quản trị viên.",
		"your province account has no access to the console: none of its groups is mapped to a role. Ask an administrator."))
}

// ErrConflictingGroups is the refusal of a subject whose groups map, at
// the most privileged role among them, to different agencies.
func ErrConflictingGroups() error {
	return apperr.New(apperr.EFORBIDDEN, i18n.T(
		"Các nhóm của tài khoản được ánh xạ tới nhiều cơ quan khác nhau; quản trị viên cần sửa ánh xạ.",
		"the account's groups map to different agencies; an administrator must fix the mappings."))
}

// ResolveGroups is the pure rule MapGroups applies: among the mappings
// whose Group is one of groups, the most privileged role (roleRank) wins;
// if mappings of that role name different agencies the subject is refused
// (ErrConflictingGroups) rather than guessed; no match is
// ErrUnmappedGroups. A mapping only ever grants its own role, so admin
// comes only from a mapping that says admin.
func ResolveGroups(mappings []GroupMapping, groups []string) (Role, string, error) {
	var best *GroupMapping
	conflict := false
	for i := range mappings {
		m := &mappings[i]
		if !m.Role.IsStaff() || !slices.Contains(groups, m.Group) {
			continue
		}
		switch {
		case best == nil || roleRank[m.Role] > roleRank[best.Role]:
			best, conflict = m, false
		case roleRank[m.Role] == roleRank[best.Role] && m.AgencyCode != best.AgencyCode:
			conflict = true
		}
	}
	switch {
	case best == nil:
		return "", "", ErrUnmappedGroups()
	case conflict:
		return "", "", ErrConflictingGroups()
	}
	return best.Role, best.AgencyCode, nil
}

// MapGroups maps a provider subject's group claim values to a staff role
// and agency (see ResolveGroups).
func (s *Service) MapGroups(ctx context.Context, groups []string) (Role, string, error) {
	o := s.store
	list, err := o.ListGroupMappings(ctx)
	if err != nil {
		return "", "", err
	}
	return ResolveGroups(list, groups)
}

// RecordAssurance keeps the acr the provider stated for an account at its
// latest sign-in or exchange.
func (s *Service) RecordAssurance(ctx context.Context, userID, acr string) error {
	o := s.store
	if utf8.RuneCountInString(acr) > 200 {
		acr = ""
	}
	return o.SetAssurance(ctx, Assurance{UserID: userID, ACR: acr, UpdatedAt: s.now().UTC().Truncate(time.Millisecond)})
}

// IsVerified reports whether the account counts as a verified identity:
// the acr the provider last stated for it is one the admin marks
// verified. Accounts that never signed in through the provider are not.
// The admin's list is read on each call, so unmarking a value applies at
// once.
func (s *Service) IsVerified(ctx context.Context, userID string) (bool, error) {
	o := s.store
	a, err := o.GetAssurance(ctx, userID)
	if apperr.CodeOf(err) == apperr.ENOTFOUND || (err == nil && a.ACR == "") {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	list, err := o.VerifiedACRs(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(list, a.ACR), nil
}

// SeedVerifiedACRs sets the acr values counted as verified when no list was
// ever stored (the configuration's start value); an admin's list, even an
// emptied one, is left alone.
func (s *Service) SeedVerifiedACRs(ctx context.Context, acrs []string) error {
	cur, err := s.store.VerifiedACRs(ctx)
	if err != nil || len(cur) > 0 {
		return err
	}
	_, err = s.SetVerifiedACRs(ctx, system, acrs)
	return err
}
