package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
)

// Point is a WGS 84 position.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Boundary is a parsed GeoJSON Polygon or MultiPolygon: polygons of rings of
// [lng, lat] positions, the first ring the outer one, the others holes.
type Boundary struct {
	Polygons [][][][2]float64
}

// ParseBoundary parses a GeoJSON Polygon or MultiPolygon geometry and checks
// that every ring is closed, has at least four positions and stays within
// longitude/latitude ranges.
func ParseBoundary(raw json.RawMessage) (*Boundary, error) {
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	// Strict: a boundary holds a geometry and nothing else, so no stray key
	// (least of all a "$" operator) is ever stored.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	var b Boundary
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, err
		}
		b.Polygons = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &b.Polygons); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("boundary must be a GeoJSON Polygon or MultiPolygon")
	}
	if len(b.Polygons) == 0 {
		return nil, errors.New("boundary has no polygon")
	}
	for _, poly := range b.Polygons {
		if len(poly) == 0 {
			return nil, errors.New("polygon has no ring")
		}
		for _, ring := range poly {
			if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
				return nil, errors.New("ring must be closed and have at least four positions")
			}
			for _, pos := range ring {
				if math.Abs(pos[0]) > 180 || math.Abs(pos[1]) > 90 {
					return nil, errors.New("position out of range")
				}
			}
		}
	}
	return &b, nil
}

// Contains reports whether p lies inside the boundary (inside an outer ring
// and outside that polygon's holes), by ray casting.
func (b *Boundary) Contains(p Point) bool {
	for _, poly := range b.Polygons {
		if !ringContains(poly[0], p) {
			continue
		}
		inHole := false
		for _, hole := range poly[1:] {
			if ringContains(hole, p) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

func ringContains(ring [][2]float64, p Point) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		xi, yi := ring[i][0], ring[i][1]
		xj, yj := ring[j][0], ring[j][1]
		if (yi > p.Lat) != (yj > p.Lat) && p.Lng < (xj-xi)*(p.Lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}
