package feedback

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestGeohash(t *testing.T) {
	if got := Geohash(Point{Lat: 57.64911, Lng: 10.40744}, 11); got != "u4pruydqqvj" {
		t.Errorf("got %s, want u4pruydqqvj", got)
	}
	la0, la1, lo0, lo1 := geohashBounds("u4pruydqqvj")
	if 57.64911 < la0 || 57.64911 > la1 || 10.40744 < lo0 || 10.40744 > lo1 {
		t.Errorf("bounds %v %v %v %v do not hold the point", la0, la1, lo0, lo1)
	}
}

func TestNearestCells(t *testing.T) {
	center := Point{Lat: 9.1769, Lng: 105.1524}
	for _, radius := range []float64{150, 2000} {
		cells := NearestCells(center, radius)
		set := map[string]bool{}
		for i, c := range cells {
			set[c.Hash] = true
			if i > 0 && c.MinDist < cells[i-1].MinDist {
				t.Fatalf("radius %.0f: cells not nearest first at %d", radius, i)
			}
			if c.MinDist > radius {
				t.Fatalf("radius %.0f: cell %s is %.0f m away", radius, c.Hash, c.MinDist)
			}
		}
		// Every point within the radius falls in a listed cell.
		rng := rand.New(rand.NewPCG(7, 8))
		for i := 0; i < 2000; i++ {
			d := radius * math.Sqrt(rng.Float64())
			a := rng.Float64() * 2 * math.Pi
			p := Point{Lat: center.Lat + d*math.Cos(a)/111_320, Lng: center.Lng + d*math.Sin(a)/(111_320*math.Cos(center.Lat*math.Pi/180))}
			if DistanceMeters(center, p) > radius {
				continue
			}
			if !set[Geohash(p, 7)] {
				t.Fatalf("radius %.0f: point %+v (%.0f m) is in no listed cell", radius, p, DistanceMeters(center, p))
			}
		}
	}
}

func TestDistanceMeters(t *testing.T) {
	// Cà Mau city to Bạc Liêu city: about 66 km.
	d := DistanceMeters(Point{Lat: 9.1769, Lng: 105.1524}, Point{Lat: 9.2940, Lng: 105.7216})
	if d < 60_000 || d > 70_000 {
		t.Errorf("got %.0f m, want about 64 km", d)
	}
}

func TestSearchText(t *testing.T) {
	for in, want := range map[string]string{
		"Ngập nước ĐƯỜNG Phan Ngọc Hiển!": "ngap nuoc duong phan ngoc hien",
		"  đèn   đường — hỏng ":           "den duong hong",
		"Cà Mau, 2026":                    "ca mau 2026",
	} {
		if got := SearchText(in); got != want {
			t.Errorf("SearchText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SearchTerms(`ngap" OR * nuoc`); len(got) != 3 || got[0] != "ngap" || got[1] != "or" || got[2] != "nuoc" {
		t.Errorf("SearchTerms kept query syntax: %q", got)
	}
}
