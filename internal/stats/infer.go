package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Confidence of every interval the promotion gate judges by: two-sided 90 %,
// so each side is a one-sided 95 % test. A figure "passes" when its whole
// interval lies inside the tolerance, which is the two one-sided tests
// (TOST) of equivalence testing (Schuirmann 1987) at the 5 % level; it
// "regresses" when the whole interval lies beyond the tolerance, a
// one-sided 5 % test against the tolerance.
const (
	GateConfidence = 0.90
	// ZGate is Φ⁻¹(0.95), the normal quantile of GateConfidence.
	ZGate = 1.6448536269514722
)

// zPower is Φ⁻¹(0.80): the sample sizes RunsNeeded advises give 80 % power.
const zPower = 0.8416212335729143

// TQuantile is Student's t quantile: P(T ≤ t) = p with df degrees of
// freedom (gonum's distuv.StudentsT). df ≤ 0 gives +Inf.
func TQuantile(p, df float64) float64 {
	if df <= 0 || math.IsNaN(df) {
		return math.Inf(1)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// Estimate is a difference (on the log scale for ratios) with its standard
// error and degrees of freedom: enough to build an interval at any
// confidence, and to say how much more data would settle a comparison.
type Estimate struct {
	// Diff is the point estimate: mean(log cand) − mean(log base) for a
	// ratio, cand − base for a difference.
	Diff float64 `json:"diff"`
	// SE is its standard error; DF the t degrees of freedom (+Inf when the
	// normal approximation is used).
	SE float64 `json:"se"`
	DF float64 `json:"df"`
	// PerUnitSD is the spread of one unit (one run, for runs as the unit)
	// used by Needed; 0 when unknown.
	PerUnitSD float64 `json:"per_unit_sd,omitempty"`
}

// Interval is Diff ± t_{(1+conf)/2, DF}·SE (z when DF is infinite).
func (e Estimate) Interval(conf float64) Interval {
	q := (1 + conf) / 2
	var c float64
	if math.IsInf(e.DF, 1) {
		c = distuv.UnitNormal.Quantile(q)
	} else {
		c = TQuantile(q, e.DF)
	}
	return Interval{Low: e.Diff - c*e.SE, High: e.Diff + c*e.SE}
}

// RunsDiff compares per-run values of two sides, runs as the unit (each
// value is one run's statistic, e.g. the log of its TTFT median):
//
//	d = mean(c) − mean(b)
//
// With at least two runs on each side, Welch's unequal-variance t: SE =
// √(s_b²/n_b + s_c²/n_c), and the Welch–Satterthwaite degrees of freedom
// (s_b²/n_b + s_c²/n_c)² / ((s_b²/n_b)²/(n_b−1) + (s_c²/n_c)²/(n_c−1)). With
// one run on one side the other side's spread s stands for both (equal
// variances): SE = s·√(1/n_b + 1/n_c), df = n − 1 of the side with several
// runs. With one run on each side, ok is false: run-to-run variation cannot
// be measured from the runs.
func RunsDiff(b, c []float64) (e Estimate, ok bool) {
	nb, nc := float64(len(b)), float64(len(c))
	if nb == 0 || nc == 0 || nb+nc < 3 {
		return Estimate{}, false
	}
	mb, vb := meanVar(b)
	mc, vc := meanVar(c)
	e.Diff = mc - mb
	switch {
	case nb >= 2 && nc >= 2:
		ab, ac := vb/nb, vc/nc
		e.SE = math.Sqrt(ab + ac)
		if e.SE == 0 {
			e.DF = nb + nc - 2
		} else {
			e.DF = (ab + ac) * (ab + ac) / (ab*ab/(nb-1) + ac*ac/(nc-1))
		}
		e.PerUnitSD = math.Sqrt((vb*(nb-1) + vc*(nc-1)) / (nb + nc - 2))
	case nb >= 2:
		e.SE = math.Sqrt(vb * (1/nb + 1/nc))
		e.DF = nb - 1
		e.PerUnitSD = math.Sqrt(vb)
	default:
		e.SE = math.Sqrt(vc * (1/nb + 1/nc))
		e.DF = nc - 1
		e.PerUnitSD = math.Sqrt(vc)
	}
	return e, true
}

// meanVar is the mean and the unbiased sample variance (0 for one value).
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

// LogQuantileDiff compares the q-quantile of two single runs, requests as
// the unit, on the log scale: d = log Q_c(q) − log Q_b(q), and each side's
// standard error from its distribution-free order-statistic interval
// (Histogram.QuantileInterval at z = 1.645): se = (log high − log low) /
// (2·1.645); SE = √(se_b² + se_c²), normal (DF = +Inf). It says nothing
// about run-to-run variation, which one run per side cannot measure. ok is
// false when either side is empty.
func LogQuantileDiff(b, c *Histogram, q float64) (e Estimate, ok bool) {
	if b == nil || c == nil || b.Count() == 0 || c.Count() == 0 {
		return Estimate{}, false
	}
	se := func(h *Histogram) float64 {
		iv := h.QuantileInterval(q, ZGate)
		lo, hi := math.Max(iv.Low, histLowestMs), math.Max(iv.High, histLowestMs)
		return (math.Log(hi) - math.Log(lo)) / (2 * ZGate)
	}
	qb, qc := math.Max(b.Quantile(q), histLowestMs), math.Max(c.Quantile(q), histLowestMs)
	sb, sc := se(b), se(c)
	return Estimate{Diff: math.Log(qc) - math.Log(qb), SE: math.Sqrt(sb*sb + sc*sc), DF: math.Inf(1)}, true
}

// WilsonZ is the Wilson score interval for k successes in n trials at the
// normal quantile z (the formula of Wilson above, at any z). n ≤ 0
// gives {0, 1}.
func WilsonZ(k, n int, z float64) Interval {
	if n <= 0 {
		return Interval{Low: 0, High: 1}
	}
	k = min(max(k, 0), n)
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	d := 1 + z2/nf
	c := (p + z2/(2*nf)) / d
	h := z / d * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	iv := Interval{Low: max(0, c-h), High: min(1, c+h)}
	if k == 0 {
		iv.Low = 0
	}
	if k == n {
		iv.High = 1
	}
	return iv
}

// NewcombeDiff is Newcombe's hybrid score interval (Newcombe 1998, method
// 10) for the difference of two proportions p_c − p_b, from each side's
// Wilson interval [l, u] at the same z:
//
//	d = p_c − p_b
//	low  = d − √((p_c − l_c)² + (u_b − p_b)²)
//	high = d + √((u_c − p_c)² + (p_b − l_b)²)
//
// It keeps the Wilson interval's good coverage at small n and at 0 or 1,
// where the Wald interval fails. Either n ≤ 0 gives {−1, 1}.
func NewcombeDiff(kb, nb, kc, nc int, z float64) (d float64, iv Interval) {
	if nb <= 0 || nc <= 0 {
		return 0, Interval{Low: -1, High: 1}
	}
	pb, pc := float64(min(max(kb, 0), nb))/float64(nb), float64(min(max(kc, 0), nc))/float64(nc)
	wb, wc := WilsonZ(kb, nb, z), WilsonZ(kc, nc, z)
	d = pc - pb
	iv.Low = d - math.Sqrt((pc-wc.Low)*(pc-wc.Low)+(wb.High-pb)*(wb.High-pb))
	iv.High = d + math.Sqrt((wc.High-pc)*(wc.High-pc)+(pb-wb.Low)*(pb-wb.Low))
	return d, iv
}

// RunsNeeded is how many runs per side would likely settle a comparison
// that is inconclusive at n runs per side: the textbook sample size for a
// one-sided test at 5 % with 80 % power (e.g. Chow, Shao & Wang, Sample
// Size Calculations in Clinical Research, §3.2), the smallest m
// (n < m ≤ max) with
//
//	(t_{0.95, 2m−2} + z_{0.80}) · sd · √(2/m) < margin
//
// where margin is the distance from the estimate to the tolerance edge it
// straddles, z_{0.80} = 0.8416, and sd the spread of one run: the
// observed one (Estimate.PerUnitSD, on df degrees of freedom) scaled to
// its median-unbiased value sd·√(df/χ²_{0.50, df}) (a sample standard
// deviation from a few runs is more often below the true spread than
// above). It assumes the next runs look like these. 0 means "more than max": the estimate sits about on the
// tolerance, and no practical number of runs will decide it.
func RunsNeeded(sd, df, margin float64, n, maxRuns int) int {
	if margin <= 0 || sd <= 0 {
		return 0
	}
	if df > 0 {
		sd *= math.Sqrt(df / distuv.ChiSquared{K: df}.Quantile(0.5))
	}
	for m := max(n+1, 2); m <= maxRuns; m++ {
		if (TQuantile(0.95, float64(2*m-2))+zPower)*sd*math.Sqrt(2/float64(m)) < margin {
			return m
		}
	}
	return 0
}
