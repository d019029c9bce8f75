package i18n

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CleanText is the one cleaning every stored free-text field gets: invalid
// UTF-8 becomes U+FFFD, the text is NFC-normalized (so Vietnamese letters
// typed decomposed or precomposed are stored alike, and kept intact),
// control characters other than newline and tab are dropped (CR LF becomes
// LF), bidi embedding, override and isolate controls (U+202A–U+202E,
// U+2066–U+2069), which can make a note read differently from what it
// says, are dropped, and surrounding space is trimmed.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if hostile(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(norm.NFC.String(s))
}

// Hostile reports whether s holds invalid UTF-8 or a character CleanText
// drops (other than CR): for fields that are refused rather than cleaned.
func (t Text) Hostile() bool {
	return hostileString(t.Vi) || hostileString(t.En)
}

func hostileString(s string) bool {
	return !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return r != '\r' && hostile(r) }) >= 0
}

func hostile(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
