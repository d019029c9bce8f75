package identity

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	for _, in := range []string{"0912345678", "+84912345678", "84912345678", "091 234 5678", "+84 912.345.678", "(+84) 912-345-678"} {
		got, ok := NormalizePhone(in)
		if !ok || got != "+84912345678" {
			t.Errorf("NormalizePhone(%q) = %q, %v; want +84912345678", in, got, ok)
		}
	}
	for _, in := range []string{"", "0212345678", "091234567", "09123456789", "+1 912 345 678", "09123456a8", "84 12345678", "+٠٩١٢٣٤٥٦٧٨"} {
		if got, ok := NormalizePhone(in); ok {
			t.Errorf("NormalizePhone(%q) = %q, accepted; want refused", in, got)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got, ok := NormalizeEmail("  An.Nguyen@Example.VN "); !ok || got != "an.nguyen@example.vn" {
		t.Errorf("got %q, %v", got, ok)
	}
	for _, in := range []string{"", "an", "an@", "an@localhost", "An <an@example.vn>", "a b@example.vn"} {
		if _, ok := NormalizeEmail(in); ok {
			t.Errorf("NormalizeEmail(%q) accepted; want refused", in)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	if fe := checkPassword("password", "ngapnuoc2026", "an@example.vn", "+84912345678"); fe != nil {
		t.Errorf("a fine password refused: %v", fe.Message.En)
	}
	for _, pw := range []string{"short", "an@example.vn", "AN@EXAMPLE.VN", "0912345678", "+84912345678", strings.Repeat("x", 257)} {
		if fe := checkPassword("password", pw, "an@example.vn", "+84912345678"); fe == nil {
			t.Errorf("password %q accepted; want refused", pw)
		}
	}
}

func TestPassword_HashVerify(t *testing.T) {
	h := HashPassword("mật khẩu dài")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if strings.Contains(h, "mật khẩu") {
		t.Fatal("the hash contains the password")
	}
	if !VerifyPassword(h, "mật khẩu dài") || VerifyPassword(h, "mật khẩu dai") {
		t.Fatal("verify is wrong")
	}
	if h == HashPassword("mật khẩu dài") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$bcrypt$...", "$argon2id$v=19$m=19456,t=2,p=1$!!$!!"} {
		if VerifyPassword(bad, "x") {
			t.Errorf("VerifyPassword(%q) = true", bad)
		}
	}
}

func TestRolePermissions(t *testing.T) {
	want := map[Role][]Permission{
		RoleGuest:       {PermReportsCreate},
		RoleCitizen:     {PermReportsCreate},
		RoleOfficer:     {PermReportsHandle},
		RoleAgencyAdmin: {PermReportsHandle, PermOfficersManage},
		RoleCoordinator: {PermReportsHandle, PermReportsAll, PermIndicatorsRead},
		RoleAnalyst:     {PermIndicatorsRead},
		RoleAdmin:       {PermUsersManage, PermReferenceAdmin, PermSurveysAdmin, PermIndicatorsRead},
	}
	for role, perms := range want {
		p := Principal{UserID: "u", Role: role}
		for _, perm := range perms {
			if !p.Can(perm) {
				t.Errorf("%s lacks %s", role, perm)
			}
		}
	}
	never := map[Role][]Permission{
		RoleCitizen:     {PermReportsHandle, PermUsersManage, PermIndicatorsRead},
		RoleGuest:       {PermReportsHandle, PermIndicatorsRead},
		RoleOfficer:     {PermReportsAll, PermUsersManage, PermOfficersManage},
		RoleAnalyst:     {PermReportsHandle, PermReportsAll, PermUsersManage},
		RoleCoordinator: {PermUsersManage, PermSurveysAdmin},
	}
	for role, perms := range never {
		for _, perm := range perms {
			if (Principal{UserID: "u", Role: role}).Can(perm) {
				t.Errorf("%s must not have %s", role, perm)
			}
		}
	}
	if err := Anonymous.Require(PermSelf); err == nil || !strings.Contains(err.Error(), "EUNAUTHORIZED") {
		t.Errorf("anonymous: got %v, want EUNAUTHORIZED", err)
	}
	if err := (Principal{UserID: "u", Role: RoleCitizen}).Require(PermUsersManage); err == nil || !strings.Contains(err.Error(), "EFORBIDDEN") {
		t.Errorf("citizen on users: got %v, want EFORBIDDEN", err)
	}
}

func TestTemporaryPassword(t *testing.T) {
	a, b := temporaryPassword(), temporaryPassword()
	if a == b {
		t.Fatal("two temporary passwords are equal")
	}
	if len(a) < 16 || strings.Trim(a, readable+"-") != "" {
		t.Fatalf("temporary password %q: want 16 or more readable characters", a)
	}
	if fe := checkPassword("password", a); fe != nil {
		t.Fatalf("temporary password %q breaks the password rules: %v", a, fe.Message.En)
	}
}
