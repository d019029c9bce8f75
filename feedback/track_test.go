package feedback

import "testing"

func TestNormalizeTrackingCode(t *testing.T) {
	code := NewTrackingCode()
	for in, want := range map[string]string{
		code:                 code,
		"cm-7kq4-x9tp":       "CM-7KQ4-X9TP",
		"CM7KQ4X9TP":         "CM-7KQ4-X9TP",
		" cm 7kq4 x9tp ":     "CM-7KQ4-X9TP",
		"CM-7KQ4-X9T":        "", // too short
		"CM-0KQ4-X9TP":       "", // 0 is not in the alphabet
		"XX-7KQ4-X9TP":       "",
		"CM-7KQ4-X9TP' OR 1": "",
		"CM-7KQ4-X9TPĐ":      "",
	} {
		if got := NormalizeTrackingCode(in); got != want {
			t.Errorf("NormalizeTrackingCode(%q): got %q, want %q", in, got, want)
		}
	}
}
