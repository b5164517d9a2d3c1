package stats

import (
	"math"
	"slices"
)

// TheilSen fits y = intercept + slope·x robustly (Theil 1950; Sen 1968).
//
// slope is the median of the pairwise slopes (y[j]-y[i])/(x[j]-x[i]) over
// i < j with x[i] != x[j]; intercept is median(y[i] - slope·x[i]) (Siegel's
// form; scipy.stats.theilslopes uses median(y) - slope·median(x) instead).
// Medians interpolate linearly between the two middle values.
//
// ci is Sen's (1968) distribution-free 95 % interval for the slope, by the
// normal approximation to Kendall's S as given by Gilbert (1987, §16.5):
//
//	Var(S) = n(n-1)(2n+5)/18          (ties ignored)
//	C      = z·√Var(S),  z = 1.959964
//	M1     = (N - C)/2,  M2 = (N + C)/2
//	ci     = [Q(M1), Q(M2+1)]
//
// where Q(1) <= ... <= Q(N) are the N pairwise slopes sorted, ranks are
// 1-based, and a fractional rank interpolates linearly between neighbours.
// Ranks outside 1..N (n < 5 points: too few for 95 %) are clipped to the
// extreme slopes, so the interval is then narrower than it claims.
//
// The pairs cost O(n²) time and memory: n = 300 takes about 5 ms and 360 KB;
// fine up to a few thousand points.
// x and y must have the same length; with fewer than two distinct x the
// slope is 0 and intercept is median(y). NaNs are not handled: pass finite
// values.
func TheilSen(x, y []float64) (slope, intercept float64, ci Interval) {
	return TheilSenZ(x, y, z95)
}

// TheilSenZ is TheilSen with the interval's normal quantile z chosen by the
// caller (z95 for 95 %, z99 = 2.575829 for 99 %).
func TheilSenZ(x, y []float64, z float64) (slope, intercept float64, ci Interval) {
	n := min(len(x), len(y))
	slopes := make([]float64, 0, n*(n-1)/2)
	for i := range n {
		for j := i + 1; j < n; j++ {
			if dx := x[j] - x[i]; dx != 0 {
				slopes = append(slopes, (y[j]-y[i])/dx)
			}
		}
	}
	if len(slopes) == 0 {
		m := median(y[:n])
		return 0, m, Interval{}
	}
	slices.Sort(slopes)
	slope = quantileSorted(slopes, 0.5)

	res := make([]float64, n)
	for i := range n {
		res[i] = y[i] - slope*x[i]
	}
	intercept = median(res)

	nf, bigN := float64(n), float64(len(slopes))
	c := z * math.Sqrt(nf*(nf-1)*(2*nf+5)/18)
	ci = Interval{
		Low:  rankSorted(slopes, (bigN-c)/2),
		High: rankSorted(slopes, (bigN+c)/2+1),
	}
	return slope, intercept, ci
}

// rankSorted is the r-th (1-based, possibly fractional) order statistic of
// sorted xs, interpolating linearly and clipping r to 1..len(xs).
func rankSorted(xs []float64, r float64) float64 {
	r = min(max(r, 1), float64(len(xs)))
	lo := int(math.Floor(r)) - 1
	if lo >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := r - math.Floor(r)
	return xs[lo] + f*(xs[lo+1]-xs[lo])
}
