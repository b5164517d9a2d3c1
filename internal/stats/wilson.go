package stats

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
func Wilson(k, n int) Interval { return WilsonZ(k, n, z95) }
