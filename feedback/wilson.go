package feedback

import "math"

// wilsonZ is the normal quantile of a two-sided 95% interval.
const wilsonZ = 1.959963984540054

// Wilson returns the 95% Wilson score interval of k successes in n trials,
// as proportions 0–1. With no trials it returns 0, 1: nothing is known.
func Wilson(k, n int64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	k = max(0, min(k, n))
	nf := float64(n)
	p := float64(k) / nf
	z2 := wilsonZ * wilsonZ
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := wilsonZ * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / denom
	return max(0, center-half), min(1, center+half)
}
