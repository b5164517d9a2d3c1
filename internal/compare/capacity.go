package compare

import (
	"fmt"
	"math"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// UnitReqPerS prints a rate of requests.
const UnitReqPerS = "req/s"

// CapacityTolerance is capacity.*: the largest acceptable drop of
// capacity.max_rate_per_s, a fraction (ToleranceRules; capacityRows).
type CapacityTolerance struct {
	MaxDrop float64 `yaml:"max_drop" json:"max_drop"`
}

// sideCapacity is one side's capacity over its runs: the point (geometric
// mean) and the union of the runs' brackets; high 0 when some run found
// no failing rate (an "at least" capacity: no upper end).
type sideCapacity struct {
	point, low, high float64
	slos             sidecar.CapacitySLOs
	ok               bool // every run searched (none refused)
}

func capacityOf(ms []*sidecar.Metrics) *sideCapacity {
	var s *sideCapacity
	logSum, n := 0.0, 0
	for _, m := range ms {
		c := m.Capacity
		if c == nil {
			continue
		}
		if s == nil {
			s = &sideCapacity{low: math.Inf(1), slos: c.SLOs, ok: true}
		}
		if len(c.Steps) == 0 || c.SLOs != s.slos {
			s.ok = false
		}
		s.low = math.Min(s.low, c.Interval.Low)
		if c.Interval.High == 0 || s.high < 0 {
			s.high = -1
		} else {
			s.high = math.Max(s.high, c.Interval.High)
		}
		if c.MaxRatePerS > 0 {
			logSum += math.Log(c.MaxRatePerS)
		} else {
			logSum = math.Inf(-1)
		}
		n++
	}
	if s == nil {
		return nil
	}
	s.point = math.Exp(logSum / float64(n))
	s.high = math.Max(s.high, 0)
	return s
}

// capacityRows judges capacity.max_rate_per_s on the ratio candidate /
// baseline. Each side's capacity lies in its search's bracket (passed at
// low, failed at high), so the ratio lies in
// [cand.low / base.high, cand.high / base.low]: regressed when that whole
// interval is below 1 − max_drop, pass when it is all at or above,
// inconclusive when it straddles (or an "at least" side leaves an end
// open). The bracket is the search's own resolution; run-to-run variation
// shows only with several runs per side (their brackets' union).
func capacityRows(base, cand []*sidecar.Metrics, tol CapacityTolerance) []Row {
	b, c := capacityOf(base), capacityOf(cand)
	if b == nil && c == nil {
		return nil
	}
	r := Row{Metric: "capacity.max_rate_per_s", Unit: UnitReqPerS, On: OnRatio}
	if b != nil {
		r.Baseline = f(b.point)
	}
	if c != nil {
		r.Candidate = f(c.point)
	}
	switch {
	case b == nil || c == nil:
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return []Row{r}
	case !b.ok || !c.ok:
		r.Verdict, r.Why = RowMissing, "a capacity search was refused or its runs used different SLOs"
		return []Row{r}
	case b.slos != c.slos:
		r.Verdict, r.Why = RowMissing, fmt.Sprintf("measured under different SLOs (baseline %+v, candidate %+v): capacities are not comparable", b.slos, c.slos)
		return []Row{r}
	}
	limit := 1 - tol.MaxDrop
	r.Limit = f(limit)
	r.Tolerance = fmt.Sprintf("ratio ≥ %.3f (-%s)", limit, units.Percent(tol.MaxDrop))
	r.Method = "the searches' brackets: cand passed/failed rates over base failed/passed rates"
	if b.point > 0 {
		r.Estimate = f(c.point / b.point)
	}
	lo, hi := 0.0, math.Inf(1)
	if b.high > 0 {
		lo = c.low / b.high
	}
	if c.high > 0 && b.low > 0 {
		hi = c.high / b.low
	}
	if !math.IsInf(hi, 1) {
		r.Interval = &stats.Interval{Low: lo, High: hi}
	}
	judge(&r, hi < limit-eps, lo >= limit-eps)
	if r.Interval == nil {
		r.Why = fmt.Sprintf("the ratio is at least %.3f but has no upper end (a side found no failing rate, or the baseline's capacity is 0)", lo)
		if lo >= limit-eps {
			r.Verdict = RowPass
		}
	}
	if r.Verdict == RowInconclusive {
		r.Why += "; narrow the brackets (ACCEPTANCE_CAPACITY_RESOLUTION), raise ACCEPTANCE_CAPACITY_MAX_RATE if a side reads \"at least\", or run each side several times"
	}
	return []Row{r}
}

// capacityRank fills a rank row's capacity from its runs.
func capacityRank(r *RankRow, runs []sidecar.Run) {
	ms := make([]*sidecar.Metrics, len(runs))
	for i := range runs {
		ms[i] = runs[i].Metrics
	}
	c := capacityOf(ms)
	if c == nil || !c.ok {
		return
	}
	r.Capacity = f(c.point)
	r.CapacityCI = &stats.Interval{Low: c.low, High: c.high}
	r.CapacitySLOs = fmt.Sprintf("TTFT ≤ %g ms, TPOT ≤ %g ms, goodput ≥ %g", c.slos.TTFTms, c.slos.TPOTms, c.slos.MinGoodputRatio)
}

// capacityCmp orders two rank rows by capacity (higher first), only when
// they were measured under the same SLOs (0 otherwise: the next criterion
// decides).
func capacityCmp(a, b RankRow) int {
	if a.CapacitySLOs != b.CapacitySLOs {
		return 0
	}
	return cmpOpt(a.Capacity, b.Capacity, true)
}

// capacityOverlap: the brackets overlap (a high of 0 is an open "at
// least" end), or neither row has a capacity.
func capacityOverlap(a, b RankRow) bool {
	switch {
	case a.Capacity == nil && b.Capacity == nil:
		return true
	case a.Capacity == nil || b.Capacity == nil:
		return false
	case a.CapacitySLOs != b.CapacitySLOs:
		return true // not compared
	}
	hi := func(iv *stats.Interval) float64 {
		if iv.High == 0 {
			return math.Inf(1)
		}
		return iv.High
	}
	return a.CapacityCI.Low < hi(b.CapacityCI) && b.CapacityCI.Low < hi(a.CapacityCI)
}
