package feedback

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"sort"
	"sync"
)

// boundaryMemo keeps parsed boundaries by the hash of their GeoJSON text, so
// the 5 MB of the province's map is parsed once per process rather than on
// every reload of the reference data or every validation.
var boundaryMemo struct {
	sync.Mutex
	m map[[32]byte]*Boundary
}

// maxMemoBoundaries bounds the memo; past it the memo starts over.
const maxMemoBoundaries = 4096

// parseBoundaryCached is ParseBoundary with the memo. The result is shared:
// callers must not modify it.
func parseBoundaryCached(raw json.RawMessage) (*Boundary, error) {
	key := sha256.Sum256(raw)
	boundaryMemo.Lock()
	b, ok := boundaryMemo.m[key]
	boundaryMemo.Unlock()
	if ok {
		return b, nil
	}
	b, err := ParseBoundary(raw)
	if err != nil {
		return nil, err
	}
	boundaryMemo.Lock()
	if boundaryMemo.m == nil || len(boundaryMemo.m) >= maxMemoBoundaries {
		boundaryMemo.m = map[[32]byte]*Boundary{}
	}
	boundaryMemo.m[key] = b
	boundaryMemo.Unlock()
	return b, nil
}

// bbox is min lng, min lat, max lng, max lat.
type bbox [4]float64

func (b bbox) holds(p Point) bool {
	return p.Lng >= b[0] && p.Lng <= b[2] && p.Lat >= b[1] && p.Lat <= b[3]
}

// locPart is one polygon of an area's boundary with its bounding box, the
// prefilter before the exact test.
type locPart struct {
	box   bbox
	rings [][][2]float64
	area  int // index into Locator.areas
}

type locArea struct {
	code, official string
	depth          int
}

// Locator finds the area of a point from the areas' boundaries: a
// bounding-box prefilter over every polygon (islands are polygons of their
// own), then an exact point-in-polygon test. Historical areas are left out.
// Build it once per dataset; it is safe for concurrent use.
type Locator struct {
	areas []locArea
	parts []locPart
}

// NewLocator indexes the boundaries of the current areas: each area's own,
// or else the built-in map's for its official code. Boundaries that do not
// parse are skipped (Validate refuses them anyway).
func NewLocator(areas []Area) *Locator {
	byCode := make(map[string]Area, len(areas))
	for _, a := range areas {
		byCode[a.Code] = a
	}
	depthOf := func(code string) int {
		d := 0
		for cur, seen := byCode[code].ParentCode, map[string]bool{code: true}; cur != "" && !seen[cur]; cur = byCode[cur].ParentCode {
			seen[cur] = true
			d++
		}
		return d
	}
	l := &Locator{}
	for _, a := range areas {
		if a.Historical {
			continue
		}
		b := a.effectiveBoundary()
		if b == nil {
			continue
		}
		idx := len(l.areas)
		l.areas = append(l.areas, locArea{code: a.Code, official: a.OfficialCode, depth: depthOf(a.Code)})
		for _, poly := range b.Polygons {
			box := bbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
			for _, pos := range poly[0] {
				box[0], box[1] = math.Min(box[0], pos[0]), math.Min(box[1], pos[1])
				box[2], box[3] = math.Max(box[2], pos[0]), math.Max(box[3], pos[1])
			}
			l.parts = append(l.parts, locPart{box: box, rings: poly, area: idx})
		}
	}
	// Deepest areas first: Containing stops before the province's outline
	// (tens of thousands of vertices) once a unit inside it holds the point.
	sort.SliceStable(l.parts, func(i, j int) bool { return l.areas[l.parts[i].area].depth > l.areas[l.parts[j].area].depth })
	return l
}

// Holds reports whether the boundary of the area code holds p, edges
// included. An area without a boundary holds nothing.
func (l *Locator) Holds(code string, p Point) bool {
	for _, part := range l.parts {
		if l.areas[part.area].code == code && part.box.holds(p) && polygonHolds(part.rings, p) {
			return true
		}
	}
	return false
}

// Bounded reports whether any area has a boundary; without one no point can
// be placed or refused.
func (l *Locator) Bounded() bool { return len(l.parts) > 0 }

// Containing returns the codes of the deepest areas whose boundary holds p,
// points on an edge included (the areas above them are not tested): one
// area, or several for a point on a shared border, the smaller official code
// first, then the smaller code, so the choice never depends on the order of
// the data. None means no boundary holds p.
func (l *Locator) Containing(p Point) []string {
	hit := map[int]bool{}
	hitDepth := -1
	for _, part := range l.parts {
		if d := l.areas[part.area].depth; d < hitDepth {
			break
		}
		if hit[part.area] || !part.box.holds(p) {
			continue
		}
		if polygonHolds(part.rings, p) {
			hit[part.area] = true
			hitDepth = l.areas[part.area].depth
		}
	}
	idx := make([]int, 0, len(hit))
	for i := range hit {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(i, j int) bool {
		a, b := l.areas[idx[i]], l.areas[idx[j]]
		if a.depth != b.depth {
			return a.depth > b.depth
		}
		if a.official != b.official {
			return officialLess(a.official, b.official)
		}
		return a.code < b.code
	})
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = l.areas[k].code
	}
	return out
}

// officialLess orders national codes as numbers; an area without one comes
// after those with one.
func officialLess(a, b string) bool {
	switch {
	case a == "":
		return false
	case b == "":
		return true
	case len(a) != len(b):
		return len(a) < len(b)
	}
	return a < b
}

// polygonHolds is the closed test: inside the outer ring or on its edge, and
// not strictly inside a hole.
func polygonHolds(rings [][][2]float64, p Point) bool {
	if !onRing(rings[0], p) && !ringContains(rings[0], p) {
		return false
	}
	for _, hole := range rings[1:] {
		if ringContains(hole, p) && !onRing(hole, p) {
			return false
		}
	}
	return true
}

// edgeTolerance is how close to an edge, in degrees (about 0.1 mm), a point
// counts as on it: coordinates of a shared border's midpoint do not fall
// exactly on the line in floating point.
const edgeTolerance = 1e-9

func onRing(ring [][2]float64, p Point) bool {
	for i := 1; i < len(ring); i++ {
		ax, ay, bx, by := ring[i-1][0], ring[i-1][1], ring[i][0], ring[i][1]
		if p.Lng < math.Min(ax, bx)-edgeTolerance || p.Lng > math.Max(ax, bx)+edgeTolerance ||
			p.Lat < math.Min(ay, by)-edgeTolerance || p.Lat > math.Max(ay, by)+edgeTolerance {
			continue
		}
		dx, dy := bx-ax, by-ay
		length := math.Hypot(dx, dy)
		if length == 0 {
			if math.Hypot(p.Lng-ax, p.Lat-ay) <= edgeTolerance {
				return true
			}
			continue
		}
		if math.Abs(dx*(p.Lat-ay)-dy*(p.Lng-ax))/length <= edgeTolerance {
			return true
		}
	}
	return false
}
