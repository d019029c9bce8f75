package feedback

import (
	"math"
	"sort"
	"strings"
)

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// Geohash encodes a point at the given precision (characters). Reports
// store their precision-7 cell (about 153 × 153 m near the equator), so
// "nearby" reads a few index ranges instead of scanning.
func Geohash(p Point, precision int) string {
	latLo, latHi, lngLo, lngHi := -90.0, 90.0, -180.0, 180.0
	out := make([]byte, 0, precision)
	bit, ch, even := 0, 0, true
	for len(out) < precision {
		if even {
			mid := (lngLo + lngHi) / 2
			if p.Lng >= mid {
				ch |= 1 << (4 - bit)
				lngLo = mid
			} else {
				lngHi = mid
			}
		} else {
			mid := (latLo + latHi) / 2
			if p.Lat >= mid {
				ch |= 1 << (4 - bit)
				latLo = mid
			} else {
				latHi = mid
			}
		}
		even = !even
		if bit < 4 {
			bit++
		} else {
			out = append(out, geohashAlphabet[ch])
			bit, ch = 0, 0
		}
	}
	return string(out)
}

// geohashBounds decodes a cell to its latitude and longitude ranges.
func geohashBounds(hash string) (latLo, latHi, lngLo, lngHi float64) {
	latLo, latHi, lngLo, lngHi = -90, 90, -180, 180
	even := true
	for i := 0; i < len(hash); i++ {
		v := strings.IndexByte(geohashAlphabet, hash[i])
		for bit := 4; bit >= 0; bit-- {
			on := v>>bit&1 == 1
			if even {
				mid := (lngLo + lngHi) / 2
				if on {
					lngLo = mid
				} else {
					lngHi = mid
				}
			} else {
				mid := (latLo + latHi) / 2
				if on {
					latLo = mid
				} else {
					latHi = mid
				}
			}
			even = !even
		}
	}
	return
}

// Cell is a geohash cell and its shortest distance from a point.
type Cell struct {
	Hash    string
	MinDist float64 // meters from the point to the nearest edge (0 inside)
}

// NearestCells returns the precision-7 cells (about 153 × 153 m) that reach
// within radius meters of p, nearest first, so a search can stop as soon as
// the next cell is farther than what it already found.
func NearestCells(p Point, radius float64) []Cell {
	const precision = 7
	probe := Geohash(p, precision)
	la0, la1, lo0, lo1 := geohashBounds(probe)
	h, w := la1-la0, lo1-lo0
	dLat := radius / 111_320
	dLng := radius / (111_320 * math.Max(math.Cos(p.Lat*math.Pi/180), 0.01))
	var out []Cell
	seen := map[string]bool{}
	for lat := p.Lat - dLat - h; lat <= p.Lat+dLat+h; lat += h {
		for lng := p.Lng - dLng - w; lng <= p.Lng+dLng+w; lng += w {
			c := Geohash(Point{Lat: lat, Lng: lng}, precision)
			if seen[c] {
				continue
			}
			seen[c] = true
			a0, a1, b0, b1 := geohashBounds(c)
			q := Point{Lat: math.Max(a0, math.Min(p.Lat, a1)), Lng: math.Max(b0, math.Min(p.Lng, b1))}
			if d := DistanceMeters(p, q); d <= radius {
				out = append(out, Cell{Hash: c, MinDist: d})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MinDist < out[j].MinDist })
	return out
}

// DistanceMeters is the great-circle distance between two points.
func DistanceMeters(a, b Point) float64 {
	const r = 6_371_000.0
	la1, la2 := a.Lat*math.Pi/180, b.Lat*math.Pi/180
	dLat := la2 - la1
	dLng := (b.Lng - a.Lng) * math.Pi / 180
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// CoverBox returns geohash cells whose union covers the box
// [min_lng, min_lat, max_lng, max_lat]: the cells of the finest precision,
// at most maxPrecision, that need no more than maxCells of them. Every
// point of the box has a precision-7 geohash starting with one of them. It
// returns nil when even one-character cells would need more, or when the
// box is not made of finite numbers; none when the box is empty.
func CoverBox(b [4]float64, maxPrecision, maxCells int) []string {
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	}
	if b[0] > b[2] || b[1] > b[3] {
		return []string{}
	}
	// A hair wider, so a point on a cell's edge is covered whichever way
	// rounding takes it.
	const eps = 1e-9
	minLng, minLat := math.Max(b[0]-eps, -180), math.Max(b[1]-eps, -90)
	maxLng, maxLat := math.Min(b[2]+eps, 180), math.Min(b[3]+eps, 90)
	for p := min(maxPrecision, 7); p >= 1; p-- {
		// A geohash of p characters holds 5p bits, longitude first.
		w := 360 / math.Exp2(float64((5*p+1)/2))
		h := 180 / math.Exp2(float64(5*p/2))
		// The top and right edges belong to the cell beyond them, unless
		// they are the world's.
		x0, x1 := math.Floor((minLng+180)/w), math.Min(math.Floor((maxLng+180)/w), math.Exp2(float64((5*p+1)/2))-1)
		y0, y1 := math.Floor((minLat+90)/h), math.Min(math.Floor((maxLat+90)/h), math.Exp2(float64(5*p/2))-1)
		if (x1-x0+1)*(y1-y0+1) > float64(maxCells) {
			continue
		}
		cells := make([]string, 0, int((x1-x0+1)*(y1-y0+1)))
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				cells = append(cells, Geohash(Point{Lat: -90 + (y+0.5)*h, Lng: -180 + (x+0.5)*w}, p))
			}
		}
		return cells
	}
	return nil
}
