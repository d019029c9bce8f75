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

// defaultBoundaries maps official codes to their GeoJSON geometry, decoded
// once.
var defaultBoundaries = sync.OnceValues(func() (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
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
			out[f.Properties.Code] = f.Geometry
		}
	}
	return out, nil
})

// DefaultReference returns the Cà Mau dataset built into the binary: the
// categories of QĐ 17/2022/QĐ-UBND plus tourism and the two out-of-scope
// channels, the main provincial agencies and utilities, the coordinator, the
// province and its 64 communes and wards since the 2025 reform (Resolution
// 1655/NQ-UBTVQH15) with their official codes and boundaries, one earlier
// unit kept as historical, routing rules, and the 2026 and 2027 calendars.
// It is what an empty store is seeded with.
func DefaultReference() (*Reference, error) {
	ref, err := DecodeReference(defaultReference)
	if err != nil {
		return nil, err
	}
	geo, err := defaultBoundaries()
	if err != nil {
		return nil, err
	}
	for i, a := range ref.Areas {
		if g, ok := geo[a.OfficialCode]; ok && a.OfficialCode != "" && len(a.Boundary) == 0 {
			ref.Areas[i].Boundary = g
		}
	}
	return ref, nil
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
