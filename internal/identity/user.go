// Package identity is who is calling and what they may do: accounts
// (citizens, guests, staff), passwords, tokens, the role → permission table
// and brute-force limits. It knows neither HTTP nor any database.
package identity

import (
	_ "embed"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Role is what kind of user an account is (PRODUCT.md §7).
type Role string

// The roles.
const (
	RoleGuest       Role = "guest"
	RoleCitizen     Role = "citizen"
	RoleOfficer     Role = "officer"
	RoleAgencyAdmin Role = "agency_admin"
	RoleCoordinator Role = "coordinator"
	RoleAnalyst     Role = "analyst"
	RoleAdmin       Role = "admin"
)

// Roles lists every role.
var Roles = []Role{RoleGuest, RoleCitizen, RoleOfficer, RoleAgencyAdmin, RoleCoordinator, RoleAnalyst, RoleAdmin}

// StaffRoles are the roles an admin creates.
var StaffRoles = []Role{RoleOfficer, RoleAgencyAdmin, RoleCoordinator, RoleAnalyst, RoleAdmin}

// IsStaff reports whether r is a staff role.
func (r Role) IsStaff() bool {
	for _, s := range StaffRoles {
		if r == s {
			return true
		}
	}
	return false
}

// HasAgency reports whether accounts of role r belong to one agency.
func (r Role) HasAgency() bool { return r == RoleOfficer || r == RoleAgencyAdmin }

// User is an account. Email, Phone and DeviceHash are its logins; each is
// unique across accounts when set.
type User struct {
	ID           string
	Role         Role
	Name         string
	Email        string // lowercase
	Phone        string // +84 and nine digits
	DeviceHash   string // guests: SHA-256 of the device ID, never the ID itself
	AgencyCode   string
	Locale       i18n.Lang
	PasswordHash string
	Disabled     bool
	// Erased is set when the person deleted their account: personal data is
	// gone, the row stays so their reports keep an (anonymous) owner.
	Erased    bool
	Version   int64 // compare-and-swap on update
	CreatedAt time.Time
	UpdatedAt time.Time

	// GuestSecretHash is a guest's SHA-256 of the secret the service issued
	// to the device; empty for guests created before secrets existed.
	GuestSecretHash string

	// PhoneVerified is set when an OpenID provider vouched for Phone (our
	// own registration never verifies it).
	PhoneVerified bool
	// TokenGeneration is carried by every access token; raising it makes
	// every access token issued before stop working at once.
	TokenGeneration int64
}

// NormalizeEmail lowercases and checks an email address.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", false
	}
	return s, true
}

// NormalizePhone turns a Vietnamese mobile number written as 0912 345 678,
// +84 912 345 678 or 84912345678 into +84912345678. Vietnamese mobile
// numbers have nine digits after the country code, starting with 3, 5, 7, 8
// or 9.
func NormalizePhone(s string) (string, bool) {
	var digits strings.Builder
	plus := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsDigit(r) && r < 128:
			digits.WriteRune(r)
		case r == '+' && digits.Len() == 0 && !plus:
			plus = true
		case r == ' ', r == '.', r == '-', r == '(', r == ')':
		default:
			return "", false
		}
	}
	d := digits.String()
	switch {
	case strings.HasPrefix(d, "84") && len(d) == 11:
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 10:
		d = d[1:]
	case plus && !strings.HasPrefix(d, "84"):
		return "", false
	}
	if len(d) != 9 || !strings.ContainsRune("35789", rune(d[0])) {
		return "", false
	}
	return "+84" + d, true
}

// Login is a normalized login identifier.
type Login struct {
	Email string
	Phone string
}

// ParseLogin reads what a person typed as their login: an email address or
// a phone number.
func ParseLogin(s string) (Login, bool) {
	if strings.Contains(s, "@") {
		e, ok := NormalizeEmail(s)
		return Login{Email: e}, ok
	}
	p, ok := NormalizePhone(s)
	return Login{Phone: p}, ok
}

// String is the login's key, used to count failed attempts.
func (l Login) String() string {
	if l.Email != "" {
		return "email:" + l.Email
	}
	return "phone:" + l.Phone
}

// checkPassword applies the password rules: at least 8 characters, at most
// 256, and not the login itself.
func checkPassword(field, password string, logins ...string) *apperr.FieldError {
	n := len([]rune(password))
	if n < MinPasswordLength {
		return &apperr.FieldError{Field: field, Message: i18n.T("Mật khẩu phải có ít nhất 10 ký tự", "must be at least 10 characters")}
	}
	if n > 256 {
		return &apperr.FieldError{Field: field, Message: i18n.T("Mật khẩu tối đa 256 ký tự", "must be at most 256 characters")}
	}
	for _, l := range logins {
		if l != "" && (strings.EqualFold(password, l) || strings.EqualFold(password, strings.TrimPrefix(l, "+84")) ||
			(strings.HasPrefix(l, "+84") && password == "0"+l[3:])) {
			return &apperr.FieldError{Field: field, Message: i18n.T("Mật khẩu không được trùng tên đăng nhập", "must not be the same as the login")}
		}
	}
	if commonPasswords[strings.ToLower(password)] {
		return &apperr.FieldError{Field: field, Message: i18n.T("Mật khẩu này quá phổ biến, dễ bị đoán", "is too common; it would be guessed")}
	}
	return nil
}

// MinPasswordLength is the fewest characters a password may have.
const MinPasswordLength = 10

//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords are the passwords refused for being the first guesses,
// lowercased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()
