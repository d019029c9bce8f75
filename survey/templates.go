package survey

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// The built-in questionnaires are data: each file is a Questionnaire in
// its JSON form, which an admin may start from and then edit.
//
//go:embed templates/*.json
var templateFiles embed.FS

// templateKinds names the built-in templates and the kind each feeds.
var templateKinds = map[string]Kind{
	"sipas":      KindSIPAS, // the current SIPAS model, QĐ 1001/QĐ-BNV (11/12/2023), for 2023–2026
	"sipas-2017": KindSIPAS, // the 2017–2020 SIPAS model, QĐ 2640/QĐ-BNV: 5 elements, 22 criteria (past years)
	"papi":       KindPAPI,  // a provincial short form of PAPI: 8 dimensions and their sub-dimensions
}

// TemplateNames returns the names Template knows, sorted.
func TemplateNames() []string {
	names := make([]string, 0, len(templateKinds))
	for n := range templateKinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Template returns a fresh copy of the built-in questionnaire name
// ("sipas", "sipas-2017" or "papi") and the kind it feeds; the caller may change it freely. An
// unknown name is EINVALID on the field "template".
func Template(name string) (Kind, Questionnaire, error) {
	kind, ok := templateKinds[name]
	if !ok {
		return "", Questionnaire{}, apperr.Invalid(i18n.T("Mẫu khảo sát không hợp lệ", "invalid template"),
			apperr.FieldError{Field: "template", Message: i18n.T("Chỉ có các mẫu sipas, sipas-2017 và papi", "must be sipas, sipas-2017 or papi")})
	}
	data, err := templateFiles.ReadFile("templates/" + name + ".json")
	if err != nil {
		return "", Questionnaire{}, apperr.Internal(err)
	}
	// Decoding each time gives a copy that shares nothing with other callers.
	var q Questionnaire
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&q); err != nil {
		return "", Questionnaire{}, apperr.Internal(fmt.Errorf("template %s: %w", name, err))
	}
	return kind, q, nil
}
