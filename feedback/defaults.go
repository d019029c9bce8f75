package feedback

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

//go:embed reference_camau.json
var defaultReference []byte

// The province's map after the 2025 reform, as extracted (sources, checks
// and the upstream MIT licence notice in camau2025/README.md, which ships
// with it): the 64 communes and wards and the province's outline with its
// islands, GeoJSON keyed by official code.
var (
	//go:embed camau2025/communes.geojson
	communesGeoJSON []byte
	//go:embed camau2025/province.geojson
	provinceGeoJSON []byte
)

// builtinMap holds the built-in map's boundaries by official code, decoded
// and parsed once.
var builtinMap = sync.OnceValues(func() (map[string]builtinBoundary, error) {
	out := map[string]builtinBoundary{}
	for _, file := range [][]byte{communesGeoJSON, provinceGeoJSON} {
		var fc struct {
			Features []struct {
				Properties struct {
					Code string `json:"code"`
				} `json:"properties"`
				Geometry json.RawMessage `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(file, &fc); err != nil {
			return nil, fmt.Errorf("built-in map: %w", err)
		}
		for _, f := range fc.Features {
			b, err := ParseBoundary(f.Geometry)
			if err != nil {
				return nil, fmt.Errorf("built-in map, unit %s: %w", f.Properties.Code, err)
			}
			out[f.Properties.Code] = builtinBoundary{raw: f.Geometry, parsed: b}
		}
	}
	return out, nil
})

type builtinBoundary struct {
	raw    json.RawMessage
	parsed *Boundary
}

// BuiltinBoundary returns the built-in map's GeoJSON geometry for an
// official code: the 64 units of Cà Mau since 2025 and the province (96).
func BuiltinBoundary(officialCode string) (json.RawMessage, bool) {
	m, err := builtinMap()
	if err != nil || officialCode == "" {
		return nil, false
	}
	b, ok := m[officialCode]
	return b.raw, ok
}

// effectiveBoundary is the area's own boundary, or else the built-in map's
// for its official code. Nil when it has neither.
func (a Area) effectiveBoundary() *Boundary {
	if len(a.Boundary) > 0 && string(a.Boundary) != "null" {
		b, err := parseBoundaryCached(a.Boundary)
		if err != nil {
			return nil
		}
		return b
	}
	if m, err := builtinMap(); err == nil && a.OfficialCode != "" {
		if b, ok := m[a.OfficialCode]; ok {
			return b.parsed
		}
	}
	return nil
}

// HasBoundary reports whether reports can be placed in the area by their
// point: it has a boundary of its own, or the built-in map has one for its
// official code.
func (a Area) HasBoundary() bool { return a.effectiveBoundary() != nil }

// DefaultReference returns the Cà Mau dataset built into the binary: the
// categories of QĐ 17/2022/QĐ-UBND plus tourism and the two out-of-scope
// channels, the main provincial agencies and utilities, the coordinator, the
// province and its 64 communes and wards since the 2025 reform (Resolution
// 1655/NQ-UBTVQH15) with their official codes, one earlier unit kept as
// historical, routing rules, and the 2026 and 2027 calendars. It is what an
// empty store is seeded with. The areas carry no boundary of their own: the
// built-in map supplies it by official code (see HasBoundary), so the 5 MB
// of geometry lives in the binary rather than in every store.
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
	// Boundaries stay on one line each: indented, the province's map would
	// put every coordinate on a line of its own (tens of megabytes). Each is
	// swapped for a placeholder string, then put back compacted.
	out.Areas = append([]Area(nil), out.Areas...)
	var geoms [][]byte
	for i, a := range out.Areas {
		if len(a.Boundary) == 0 {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, a.Boundary); err != nil {
			return nil, err
		}
		out.Areas[i].Boundary = json.RawMessage(fmt.Sprintf(`"\u0000boundary %d"`, len(geoms)))
		geoms = append(geoms, compact.Bytes())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	for i, g := range geoms {
		data = bytes.Replace(data, fmt.Appendf(nil, `"\u0000boundary %d"`, i), g, 1)
	}
	return data, nil
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
