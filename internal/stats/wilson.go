package stats

import "math"

// z95 is the two-sided 95 % normal quantile, Φ⁻¹(0.975).
const z95 = 1.959964

// Wilson is the Wilson score 95 % interval for k successes in n trials
// (Wilson 1927; Newcombe 1998, method 3):
//
//	p = k/n, c = (p + z²/2n) / (1 + z²/n),
//	h = z/(1 + z²/n) · √(p(1-p)/n + z²/4n²),  interval = [c-h, c+h]
//
// with z = 1.959964, clipped to [0, 1]. n <= 0 gives {0, 1}: nothing is
// known. k is clamped to [0, n].
func Wilson(k, n int) Interval {
	if n <= 0 {
		return Interval{Low: 0, High: 1}
	}
	k = min(max(k, 0), n)
	nf := float64(n)
	p := float64(k) / nf
	z2 := z95 * z95
	d := 1 + z2/nf
	c := (p + z2/(2*nf)) / d
	h := z95 / d * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Low: max(0, c-h), High: min(1, c+h)}
	// At k = 0 and k = n the bound is exactly 0 or 1; rounding may leave 1e-17.
	if k == 0 {
		iv.Low = 0
	}
	if k == n {
		iv.High = 1
	}
	return iv
}
