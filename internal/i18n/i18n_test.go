package i18n

import "testing"

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header string
		want   Lang
	}{
		{"", VI},
		{"en", EN},
		{"en-US,en;q=0.9", EN},
		{"vi-VN,vi;q=0.9,en;q=0.8", VI},
		{"fr-FR,en;q=0.5", EN},
		{"fr-FR,de", VI},
		{"en;q=0.2,vi;q=0.8", VI},
		{"vi;q=0,en;q=0.1", EN},
		{"en;q=abc", VI},
		{"*", VI},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.header); got != tt.want {
			t.Errorf("Negotiate(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestText_In(t *testing.T) {
	tx := T("Ngập nước", "Flooding")
	if got := tx.In(EN); got != "Flooding" {
		t.Errorf("got %q, want Flooding", got)
	}
	if got := tx.In(VI); got != "Ngập nước" {
		t.Errorf("got %q, want Ngập nước", got)
	}
	if got := T("Chỉ tiếng Việt", "").In(EN); got != "Chỉ tiếng Việt" {
		t.Errorf("missing English should fall back to Vietnamese, got %q", got)
	}
}
