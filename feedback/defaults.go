package feedback

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
)

//go:embed reference_camau.json
var defaultReference []byte

// DefaultReference returns the Cà Mau dataset built into the binary: the
// categories of QĐ 17/2022/QĐ-UBND plus tourism and the two out-of-scope
// channels, the main provincial agencies and utilities, the coordinator, the
// province and a set of its communes and wards, routing rules, and the 2026
// and 2027 calendars. It is what an empty store is seeded with.
func DefaultReference() (*Reference, error) {
	return DecodeReference(defaultReference)
}

// DecodeReference reads a reference file strictly: unknown fields and
// trailing data are errors, and syntax errors say at which line and column.
// It does not validate the content; Reference.Validate does.
func DecodeReference(data []byte) (*Reference, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ref Reference
	if err := dec.Decode(&ref); err != nil {
		var (
			se *json.SyntaxError
			te *json.UnmarshalTypeError
		)
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s: %w", position(data, se.Offset), err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s: %s must be %s, not a JSON %s", position(data, te.Offset), te.Field, te.Type, te.Value)
		}
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: unexpected data after the JSON object", position(data, dec.InputOffset()))
	}
	return &ref, nil
}

func position(data []byte, offset int64) string {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// MarshalIndent encodes the dataset in the import/export file format,
// indented, with a final newline.
func (r *Reference) MarshalIndent() ([]byte, error) {
	out := *r // empty lists are [], not null
	out.Categories = nonNil(out.Categories)
	out.Agencies = nonNil(out.Agencies)
	out.Areas = nonNil(out.Areas)
	out.RoutingRules = nonNil(out.RoutingRules)
	r = &out
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
