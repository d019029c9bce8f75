package feedback

import (
	"math/rand"
	"strings"
	"testing"
)

// Every point of a box, its corners and edges included, lies in one of
// the cells CoverBox returns, and there are no more of them than asked.
func TestCoverBox(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 3000; i++ {
		size := []float64{0.0005, 0.005, 0.05, 0.5, 5}[i%5] * rng.Float64() * 2
		lng, lat := 104.5+rng.Float64()*1.5, 8.4+rng.Float64()*1.5
		if i%97 == 0 { // at the world's edges too
			lng, lat = 180-size, 90-size
		}
		b := [4]float64{lng, lat, lng + size*rng.Float64()*2, lat + size}
		maxCells := 1 + rng.Intn(24)
		cells := CoverBox(b, 7, maxCells)
		if cells == nil || len(cells) > maxCells {
			t.Fatalf("box %v, at most %d cells: got %v", b, maxCells, cells)
		}
		in := func(p Point) {
			h := Geohash(p, 7)
			for _, c := range cells {
				if strings.HasPrefix(h, c) {
					return
				}
			}
			t.Fatalf("box %v: point %+v (%s) is in none of %v", b, p, h, cells)
		}
		in(Point{Lat: b[1], Lng: b[0]})
		in(Point{Lat: b[3], Lng: b[2]})
		in(Point{Lat: b[1], Lng: b[2]})
		in(Point{Lat: b[3], Lng: b[0]})
		for k := 0; k < 20; k++ {
			in(Point{Lat: b[1] + rng.Float64()*(b[3]-b[1]), Lng: b[0] + rng.Float64()*(b[2]-b[0])})
		}
	}
	if got := CoverBox([4]float64{105, 9, 104, 10}, 7, 16); got == nil || len(got) != 0 {
		t.Fatalf("an empty box: %v, want no cells", got)
	}
	if got := CoverBox([4]float64{-180, -90, 180, 90}, 7, 16); got != nil {
		t.Fatalf("the world in 16 cells: %v, want nil", got)
	}
	if got := CoverBox([4]float64{-180, -90, 180, 90}, 7, 32); len(got) != 32 {
		t.Fatalf("the world in 32 cells: %d", len(got))
	}
}
