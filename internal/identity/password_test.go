package identity

import "testing"

func TestCheckPassword_LengthAndCommon(t *testing.T) {
	for pw, ok := range map[string]bool{
		"ngan-qua":           false, // 8 characters
		"chin-ky-t":          false, // 9
		"muoi-ky-tu":         true,  // 10
		"1234567890":         false,
		"QwertyUIOP":         false, // case does not matter
		"matkhau123":         false,
		"Mật khẩu của tôi":   true,
		"sông Gành Hào 2026": true,
	} {
		if fe := checkPassword("password", pw); (fe == nil) != ok {
			t.Errorf("checkPassword(%q) = %v, want ok=%v", pw, fe, ok)
		}
	}
	if len(commonPasswords) < 50 {
		t.Fatalf("the common list has %d entries", len(commonPasswords))
	}
}
