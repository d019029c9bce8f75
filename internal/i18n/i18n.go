// Package i18n holds the two languages the service speaks (Vietnamese and
// English), localized text values and Accept-Language negotiation.
package i18n

import (
	"strconv"
	"strings"
)

// Lang is a language the service answers in.
type Lang string

// The supported languages. Vietnamese is the default.
const (
	VI Lang = "vi"
	EN Lang = "en"
)

// Text is a piece of user-facing text in both languages. In JSON it is
// {"vi": "...", "en": "..."}; the Vietnamese text is the one that must exist.
type Text struct {
	Vi string `json:"vi"`
	En string `json:"en,omitempty"`
}

// T builds a Text from its Vietnamese and English versions.
func T(vi, en string) Text { return Text{Vi: vi, En: en} }

// In returns the text in lang, falling back to Vietnamese when the English
// version is missing.
func (t Text) In(lang Lang) string {
	if lang == EN && t.En != "" {
		return t.En
	}
	return t.Vi
}

// IsZero reports whether both versions are empty.
func (t Text) IsZero() bool { return t.Vi == "" && t.En == "" }

// Negotiate picks the best supported language for an Accept-Language header
// value (RFC 9110 §12.5.4): the highest q-value among vi and en wins, ties go
// to the first listed, and anything else (or nothing) gives Vietnamese.
func Negotiate(header string) Lang {
	best, bestQ := VI, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		var lang Lang
		switch primary {
		case "vi":
			lang = VI
		case "en":
			lang = EN
		default:
			continue
		}
		if q > 0 && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}
