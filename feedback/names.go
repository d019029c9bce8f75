package feedback

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Vietnamese tone marks as combining characters: grave (huyền), acute
// (sắc), tilde (ngã), hook above (hỏi), dot below (nặng). The other marks
// (circumflex, breve, horn) change the vowel and stay where they are.
func isTone(r rune) bool {
	switch r {
	case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
		return true
	}
	return false
}

// NameKey folds a Vietnamese name so that spellings of the same name compare
// equal: any Unicode form (NFC or NFD), tone marks placed on either vowel
// ("Hoà" and "Hòa", "Thuỷ" and "Thủy"), letter case and spacing. Unlike
// SearchText it keeps the marks, so "Hòa" and "Hóa" stay different names.
func NameKey(s string) string {
	var out []string
	for _, word := range strings.FieldsFunc(norm.NFD.String(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}) {
		var b strings.Builder
		var tone rune
		for _, r := range word {
			if isTone(r) {
				tone = r
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		}
		// The tone goes at the end of the syllable, wherever it was: the
		// key is canonical, not a spelling to show.
		if tone != 0 {
			b.WriteRune(tone)
		}
		out = append(out, b.String())
	}
	return strings.Join(out, " ")
}

// NameMatches reports whether every word of query begins a word of name,
// folded by NameKey; a query typed without any marks ("hoa thanh") matches
// names by SearchText instead, as people type on a phone.
func NameMatches(name, query string) bool {
	fold := NameKey
	if SearchText(query) == strings.ToLower(strings.Join(strings.Fields(query), " ")) {
		fold = SearchText
	}
	words := strings.Fields(fold(name))
	for _, q := range strings.Fields(fold(query)) {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
