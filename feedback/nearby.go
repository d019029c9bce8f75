package feedback

import (
	"context"
	"math"
	"sort"

	"camaug/internal/identity"
)

// HintGrid is the size, in degrees, of the grid an unpublished report's
// place is snapped to before anyone but its reporter learns anything of it:
// 0.001° is about 110 m in Cà Mau.
const HintGrid = 0.001

// HintBand is the step, in meters, that a duplicate hint's distance is
// rounded to.
const HintBand = 100

// PublicNearby is FindNearby for anyone (the app's "already reported, add
// your voice"). A published report comes as the public feed shows it, at
// its distance. A report still awaiting review (submitted) is only a
// duplicate hint: its ID, category, status and received time, with Hint
// set and a distance measured from its place snapped to a HintGrid cell and
// rounded to HintBand meters; whether it is listed at all depends on that
// distance too, so no radius or point reveals its exact place. Its reporter
// sees it in full.
func (s *ReportService) PublicNearby(ctx context.Context, caller identity.Principal, p Point, category string, radius float64) ([]Nearby, error) {
	radius, err := checkNearby(p, radius)
	if err != nil {
		return nil, err
	}
	// A snapped place is at most ~80 m from the real one: look a little
	// farther, then decide on the snapped distance.
	list, err := s.nearby(ctx, p, category, radius+150, 60)
	if err != nil {
		return nil, err
	}
	out := make([]Nearby, 0, len(list))
	for _, nb := range list {
		r := nb.Report
		if r.Status != StatusSubmitted || (caller.UserID != "" && caller.UserID == r.ReporterID) {
			if nb.Distance <= radius {
				out = append(out, nb)
			}
			continue
		}
		d := math.Round(DistanceMeters(p, SnapToHintGrid(r.Location))/HintBand) * HintBand
		if d > radius {
			continue
		}
		out = append(out, Nearby{Distance: d, Hint: true, Report: Report{ID: r.ID, CategoryCode: r.CategoryCode, Status: r.Status,
			CreatedAt: r.CreatedAt}})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Distance < out[b].Distance })
	if len(out) > 20 {
		out = out[:20]
	}
	return out, nil
}

// SnapToHintGrid moves a point to the centre of its HintGrid cell.
func SnapToHintGrid(p Point) Point {
	snap := func(v float64) float64 { return (math.Floor(v/HintGrid) + 0.5) * HintGrid }
	return Point{Lat: snap(p.Lat), Lng: snap(p.Lng)}
}
