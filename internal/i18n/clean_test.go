package i18n

import "testing"

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  Đường ngập sâu  ", "Đường ngập sâu"},
		{"Nguye\u0302\u0303n Thị Mai", "Nguyễn Thị Mai"}, // decomposed becomes precomposed, letters kept
		{"tiền \u202Eabc\u202C phạt", "tiền abc phạt"},
		{"\u2066isolate\u2069 \u202Aembed\u202B\u202D", "isolate embed"},
		{"bell\a null\x00 esc\x1b del\x7f c1\u0085", "bell null esc del c1"},
		{"dòng 1\r\ndòng 2\n\tthụt", "dòng 1\ndòng 2\n\tthụt"},
		{"bad \xff byte", "bad \uFFFD byte"},
	} {
		if got := CleanText(tc.in); got != tc.want {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHostile(t *testing.T) {
	for s, want := range map[string]bool{
		"Sở Xây dựng Cà Mau":  false,
		"dòng 1\r\ndòng 2\t.": false,
		"Sở \u202EXây":        true,
		"Sở\x00":              true,
		"\xff":                true,
	} {
		if got := (Text{Vi: s}).Hostile(); got != want {
			t.Errorf("Hostile(%q) = %v, want %v", s, got, want)
		}
	}
}
