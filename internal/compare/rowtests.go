package compare

// The statistical row tests: a rate (rateRow), a ratio of latencies or
// throughputs (ratioRow), a difference of trends (diffRow), an error rate
// (errorRateRow), each judged against its tolerance (judge).

import (
	"fmt"
	"math"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// rateRow compares two pooled proportions, higher is better, with
// Newcombe's hybrid score interval on the difference at 90 %:
// regressed when the whole interval lies below −maxDrop, pass when it
// lies at or above −maxDrop, inconclusive otherwise.
//
// With runs as the unit of nothing here (attempts are pooled over runs),
// an inconclusive rate row's RunsNeeded is the runs per side at which the
// same proportions over proportionally more attempts would be decided.
func rateRow(metric string, kb, nb, kc, nc int, maxDrop float64, higherIsBetter, advisory bool, runs int) Row {
	r := Row{Metric: metric, Unit: UnitRate, On: OnDifference, Advisory: advisory,
		Method: fmt.Sprintf("Newcombe hybrid score interval (90 %%) on %d/%d vs %d/%d", kb, nb, kc, nc)}
	if nb > 0 {
		r.Baseline = f(float64(kb) / float64(nb))
	}
	if nc > 0 {
		r.Candidate = f(float64(kc) / float64(nc))
	}
	if nb <= 0 || nc <= 0 {
		if nb <= 0 && nc <= 0 {
			return Row{}
		}
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	d, iv := stats.NewcombeDiff(kb, nb, kc, nc, stats.ZGate)
	r.Estimate, r.Interval = f(d), &iv
	decided := func(iv stats.Interval) (regressed, pass bool) {
		if higherIsBetter {
			return iv.High < -maxDrop-eps, iv.Low >= -maxDrop-eps
		}
		return iv.Low > maxDrop+eps, iv.High <= maxDrop+eps
	}
	if higherIsBetter {
		r.Limit = f(-maxDrop)
		r.Tolerance = "drop ≤ " + fmtNum(maxDrop, UnitRate)
	} else {
		r.LowerIsBetter = true
		r.Limit = f(maxDrop)
		r.Tolerance = "rise ≤ " + fmtNum(maxDrop, UnitRate)
	}
	regressed, pass := decided(iv)
	judge(&r, regressed, pass)
	if r.Verdict == RowInconclusive && runs > 0 {
		for m := runs + 1; m <= MaxAdviceRuns; m++ {
			x := float64(m) / float64(runs)
			sc := func(k int) int { return int(math.Round(float64(k) * x)) }
			_, miv := stats.NewcombeDiff(sc(kb), sc(nb), sc(kc), sc(nc), stats.ZGate)
			if g, p := decided(miv); g || p {
				r.RunsNeeded = m
				break
			}
		}
	}
	return r
}

// judge sets the outcome from the two whole-interval tests and says why.
func judge(r *Row, regressed, pass bool) {
	iv := fmtInterval(r)
	switch {
	case regressed:
		r.Verdict = RowRegressed
		r.Why = fmt.Sprintf("the whole interval %s lies beyond the tolerance (%s)", iv, r.Tolerance)
	case pass:
		r.Verdict = RowPass
		r.Why = fmt.Sprintf("the whole interval %s lies within the tolerance (%s)", iv, r.Tolerance)
	default:
		r.Verdict = RowInconclusive
		r.Why = fmt.Sprintf("the interval %s straddles the tolerance (%s)", iv, r.Tolerance)
	}
}

// eps absorbs float noise so a figure exactly at its tolerance is inside it.
const eps = 1e-9

// sample is one run's view of one figure: its point value (a quantile, a
// throughput) and, for single-run intervals, the distribution it came from.
type sample struct {
	v    float64
	hist string // encoded histogram of the figure's distribution, or ""
	q    float64
	// proxy says the histogram is a per-request stand-in for a run-level
	// figure (output_throughput).
	proxy bool
}

// ratioRow compares a positive figure between sides as the ratio cand/base
// (docs/statistics.md, "Latency and throughput").
//
// Runs as the unit (3 runs or more in all): the values are per-run logs,
// and the interval on the ratio is exp of stats.RunsDiff's t interval.
// One run per side: exp of stats.LogQuantileDiff's interval over the
// requests of each run (the histograms), which cannot see run-to-run
// variation; the row says so.
//
// The tolerance on the ratio is 1 + max(rel, abs/base) for lower-is-better
// figures and 1 − max(rel, abs/base) for higher-is-better ones, base being
// the baseline's geometric mean: the absolute floor keeps a few
// milliseconds on a fast server from counting.
func ratioRow(metric, unit string, b, c []sample, rel, abs float64, lowerIsBetter, advisory bool) Row {
	r := Row{Metric: metric, Unit: unit, On: OnRatio, LowerIsBetter: lowerIsBetter, Advisory: advisory}
	if len(b) == 0 && len(c) == 0 {
		return Row{}
	}
	if len(b) > 0 {
		r.Baseline = f(geoMean(b))
	}
	if len(c) > 0 {
		r.Candidate = f(geoMean(c))
	}
	if len(b) == 0 || len(c) == 0 {
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	slack := rel
	if *r.Baseline > 0 {
		slack = math.Max(rel, abs / *r.Baseline)
	}
	limit := 1 + slack
	r.Tolerance = fmt.Sprintf("ratio ≤ %.3f (+%s, or +%s)", limit, units.Percent(rel), fmtNum(abs, unit))
	if !lowerIsBetter {
		limit = 1 - slack
		r.Tolerance = fmt.Sprintf("ratio ≥ %.3f (-%s, or -%s)", limit, units.Percent(rel), fmtNum(abs, unit))
	}
	r.Limit = f(limit)
	var est stats.Estimate
	var ok bool
	var nReq int64 // requests per run, for one run per side
	perRun := len(b)+len(c) >= 3
	if perRun {
		est, ok = stats.RunsDiff(logs(b), logs(c))
		r.Method = fmt.Sprintf("runs as the unit: Welch t on per-run logs, %d vs %d runs", len(b), len(c))
	} else {
		hb, errB := stats.DecodeHistogram(b[0].hist)
		hc, errC := stats.DecodeHistogram(c[0].hist)
		if errB != nil || errC != nil {
			r.Estimate = f(c[0].v / b[0].v)
			r.Verdict, r.Method = RowInconclusive, "one run per side, no histogram"
			r.Why = "one run per side and no request distribution in the sidecar: no interval; rerun the suite with this version, or run 3 or more times per side"
			return r
		}
		est, ok = stats.LogQuantileDiff(hb, hc, b[0].q)
		nReq = max(hb.Count(), hc.Count())
		r.Method = fmt.Sprintf("one run per side: order-statistic interval over requests (%d vs %d); run-to-run variation not measured", hb.Count(), hc.Count())
		if b[0].proxy {
			r.Method += "; width from the per-request tokens/s median (a proxy)"
			est.Diff = math.Log(c[0].v) - math.Log(b[0].v)
		}
	}
	if !ok {
		r.Verdict, r.Why = RowInconclusive, "no interval could be formed"
		return r
	}
	civ := est.Interval(stats.GateConfidence)
	iv := stats.Interval{Low: math.Exp(civ.Low), High: math.Exp(civ.High)}
	r.Estimate, r.Interval = f(math.Exp(est.Diff)), &iv
	lim := math.Log(limit)
	if lowerIsBetter {
		judge(&r, iv.Low > limit+eps, iv.High <= limit+eps)
	} else {
		judge(&r, iv.High < limit-eps, iv.Low >= limit-eps)
	}
	if r.Verdict == RowInconclusive {
		margin := math.Abs(lim - est.Diff)
		if perRun {
			r.RunsNeeded = stats.RunsNeeded(est.PerUnitSD, float64(len(b)+len(c)-2), margin, max(len(b), len(c)), MaxAdviceRuns)
		} else if est.SE > 0 && margin > 0 {
			// The standard error shrinks as 1/√requests: the requests per
			// run at which the interval would clear the tolerance.
			need := float64(nReq) * math.Pow(stats.ZGate*est.SE/margin, 2)
			if need < 1e6 {
				r.RequestsNeeded = int(math.Ceil(need))
			}
		}
	}
	if !runToRun(r.Method) {
		r.Why += "; run-to-run variation not measured"
	}
	return r
}

// runToRun says whether a method measured run-to-run variation.
func runToRun(method string) bool { return strings.HasPrefix(method, "runs as the unit") }

func logs(s []sample) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = math.Log(x.v)
	}
	return out
}

func geoMean(s []sample) float64 {
	sum := 0.0
	for _, x := range s {
		sum += math.Log(x.v)
	}
	return math.Exp(sum / float64(len(s)))
}

// diffRow compares a figure whose difference matters (degradation), lower
// is better: runs as the unit with 3 runs or more (t on per-run values),
// else the two runs' own intervals (normal, se from each interval's
// width at zOwn). The interval is 98 % (each side a one-sided 1 % test):
// a trend over ten requests per class is so noisy that a 90 % interval
// would raise a false regression about once in a hundred comparisons, and
// the candidate's own degradation check (stability.passed) already gates
// the absolute level.
func diffRow(metric string, b, c []float64, bIv, cIv []stats.Interval, zOwn, maxIncrease float64) Row {
	r := Row{Metric: metric, Unit: UnitFraction, On: OnDifference, LowerIsBetter: true, Advisory: true,
		Tolerance: "rise ≤ " + units.Percent(maxIncrease), Limit: f(maxIncrease)}
	mean := func(xs []float64) *float64 {
		if len(xs) == 0 {
			return nil
		}
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return f(s / float64(len(xs)))
	}
	r.Baseline, r.Candidate = mean(b), mean(c)
	if len(b) == 0 && len(c) == 0 {
		return Row{}
	}
	if len(b) == 0 || len(c) == 0 {
		r.Verdict, r.Why = RowMissing, "measured on one side only"
		return r
	}
	var est stats.Estimate
	if len(b)+len(c) >= 3 {
		est, _ = stats.RunsDiff(b, c)
		r.Method = fmt.Sprintf("runs as the unit: Welch t on per-run values, %d vs %d runs", len(b), len(c))
	} else {
		se := func(iv stats.Interval) float64 { return (iv.High - iv.Low) / (2 * zOwn) }
		sb, sc := se(bIv[0]), se(cIv[0])
		est = stats.Estimate{Diff: c[0] - b[0], SE: math.Sqrt(sb*sb + sc*sc), DF: math.Inf(1)}
		r.Method = "one run per side: each run's own trend interval; run-to-run variation not measured"
	}
	r.Method += "; 98 % interval"
	iv := est.Interval(degradationConfidence)
	r.Estimate, r.Interval = f(est.Diff), &iv
	judge(&r, iv.Low > maxIncrease+eps, iv.High <= maxIncrease+eps)
	return r
}

// degradationConfidence is the confidence of the degradation row's interval.
const degradationConfidence = 0.98

// zTrend is the normal quantile of the 97.5 % Theil–Sen interval the
// stability runs record (stats.Degradation).
const zTrend = 2.241402727604947

func errorRateRow[T any](metric string, b, c []*T, counts func(*T) (int, int), maxIncrease float64, advisory bool) Row {
	sum := func(rs []*T) (int, int) {
		k, n := 0, 0
		for _, r := range rs {
			a, b := counts(r)
			k, n = k+a, n+b
		}
		return k, n
	}
	kb, nb := sum(b)
	kc, nc := sum(c)
	return rateRow(metric, kb, nb, kc, nc, maxIncrease, false, advisory, 0)
}
