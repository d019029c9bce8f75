package feedback

import (
	"bytes"
	_ "embed"
	"encoding/json"
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
	return DecodeReference(bytes.NewReader(defaultReference))
}

// DecodeReference reads a reference file strictly: unknown fields and
// trailing data are errors. It does not validate the content.
func DecodeReference(r interface{ Read([]byte) (int, error) }) (*Reference, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var ref Reference
	if err := dec.Decode(&ref); err != nil {
		return nil, fmt.Errorf("reading reference data: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading reference data: unexpected data after the JSON object")
	}
	return &ref, nil
}
