package feedback

import "math"

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// Geohash encodes a point at the given precision (characters). Precision 7
// cells are about 153 × 153 m near the equator, precision 6 about
// 1.2 × 0.6 km: reports store both so "nearby" reads a handful of index
// ranges instead of scanning.
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

// geohashCellSize returns a cell's height and width in degrees.
func geohashCellSize(precision int) (dLat, dLng float64) {
	bits := precision * 5
	lngBits := (bits + 1) / 2
	latBits := bits / 2
	return 180 / math.Pow(2, float64(latBits)), 360 / math.Pow(2, float64(lngBits))
}

// CoveringCells returns the geohash cells, at precision 7 when at most 64 cells
// do, else precision 6 (radii up to a few kilometres), that together cover the circle of
// radius meters around p.
func CoveringCells(p Point, radius float64) (precision int, cells []string) {
	dLat := radius / 111_320
	dLng := radius / (111_320 * math.Max(math.Cos(p.Lat*math.Pi/180), 0.01))
	for _, prec := range []int{7, 6} {
		h, w := geohashCellSize(prec)
		seen := map[string]bool{}
		cells = cells[:0]
		for lat := p.Lat - dLat; ; lat += h {
			if lat > p.Lat+dLat {
				lat = p.Lat + dLat
			}
			for lng := p.Lng - dLng; ; lng += w {
				if lng > p.Lng+dLng {
					lng = p.Lng + dLng
				}
				c := Geohash(Point{Lat: lat, Lng: lng}, prec)
				if !seen[c] {
					seen[c] = true
					cells = append(cells, c)
				}
				if lng >= p.Lng+dLng {
					break
				}
			}
			if lat >= p.Lat+dLat {
				break
			}
		}
		if len(cells) <= 64 || prec == 6 {
			return prec, cells
		}
	}
	return 6, cells
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
