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
	// farther, then decide on the snapped distance. The candidates carry
	// status and reporter, so the decision is made before any report is
	// read, and only the (at most 20) shown are.
	hits, err := s.nearbyHits(ctx, p, category, radius+150, 60)
	if err != nil {
		return nil, err
	}
	shown := make([]nearbyHit, 0, len(hits))
	for _, h := range hits {
		if h.Status != StatusSubmitted || (caller.UserID != "" && caller.UserID == h.ReporterID) {
			if h.Distance <= radius {
				shown = append(shown, h)
			}
			continue
		}
		h.Distance = math.Round(DistanceMeters(p, SnapToHintGrid(h.Location))/HintBand) * HintBand
		if h.Distance > radius {
			continue
		}
		h.hint = true
		shown = append(shown, h)
	}
	sort.SliceStable(shown, func(a, b int) bool { return shown[a].Distance < shown[b].Distance })
	if len(shown) > 20 {
		shown = shown[:20]
	}
	list, err := s.readHits(ctx, shown)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, nb := range list {
		r := nb.Report
		if !nb.Hint && r.Status == StatusSubmitted && (caller.UserID == "" || caller.UserID != r.ReporterID) {
			// Not what its candidate said: whatever the race, an unpublished
			// report of someone else is a hint.
			nb.Hint, nb.Distance = true, math.Round(DistanceMeters(p, SnapToHintGrid(r.Location))/HintBand)*HintBand
			if nb.Distance > radius {
				continue
			}
		}
		if nb.Hint {
			nb.Report = Report{ID: r.ID, CategoryCode: r.CategoryCode, Status: r.Status, CreatedAt: r.CreatedAt}
		}
		out = append(out, nb)
	}
	return out, nil
}

// SnapToHintGrid moves a point to the centre of its HintGrid cell.
func SnapToHintGrid(p Point) Point {
	snap := func(v float64) float64 { return (math.Floor(v/HintGrid) + 0.5) * HintGrid }
	return Point{Lat: snap(p.Lat), Lng: snap(p.Lng)}
}
