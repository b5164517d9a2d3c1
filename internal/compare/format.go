package compare

import (
	"fmt"

	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// FormatValue prints a figure of the given unit as compare.md does
// ("234.3 ms", "0.950", "100 % of runs pass"), for callers that show
// compare's rows elsewhere (the report's "against the baseline" table), so
// each unit has one format.
func FormatValue(v float64, unit string) string { return fmtNum(v, unit) }

// FormatDifference prints a signed difference of the given unit as
// compare.md's estimate column does ("+0.020", "-9.9 %").
func FormatDifference(d float64, unit string) string { return signed(d, unit) }

// Improved reports a passing figure whose whole interval (or, where the point
// decides, its estimate) lies beyond the tolerance mirrored to the better
// side (TTFT p90 at least 10 % lower where a rise of 10 % regresses), or
// an area whose runs now pass more often than the baseline's. compare
// decides pass, regressed or inconclusive; this is for a reader's summary
// (report --baseline), not a verdict.
func (r Row) Improved() bool {
	if r.Verdict != RowPass {
		return false
	}
	if r.Unit == UnitPass {
		return r.Baseline != nil && r.Candidate != nil && *r.Candidate > *r.Baseline
	}
	if r.Limit == nil {
		return false
	}
	var lo, hi float64
	switch {
	case r.Interval != nil:
		lo, hi = r.Interval.Low, r.Interval.High
	case r.Estimate != nil:
		lo, hi = *r.Estimate, *r.Estimate
	default:
		return false
	}
	nochange := 0.0
	if r.On == OnRatio {
		nochange = 1
	}
	mirror := 2*nochange - *r.Limit
	if r.LowerIsBetter {
		return hi < mirror
	}
	return lo > mirror
}

// fmtInterval prints a row's interval on its scale: "[1.02, 1.19]" for a
// ratio, "[-0.050, +0.020]" for a difference of rates.
func fmtInterval(r *Row) string {
	if r.Interval == nil {
		return "–"
	}
	if r.On == OnRatio {
		return fmt.Sprintf("[%.3f, %.3f]", r.Interval.Low, r.Interval.High)
	}
	return fmt.Sprintf("[%s, %s]", signed(r.Interval.Low, r.Unit), signed(r.Interval.High, r.Unit))
}

func signed(d float64, unit string) string {
	return units.Signed(d, func(v float64) string { return fmtNum(v, unit) })
}

// fmtNum prints a figure with the unit's fixed precision, so output diffs well.
func fmtNum(v float64, unit string) string {
	switch unit {
	case UnitRate:
		return fmt.Sprintf("%.3f", v)
	case UnitFraction:
		return units.PercentFixed(v)
	case UnitMs:
		return units.MsFixed(v)
	case UnitTokPerS:
		return units.TokensPerS(v)
	case UnitMiB:
		return units.MiB(v)
	case UnitPass:
		return fmt.Sprintf("%.0f %% of runs pass", v*100)
	case UnitReqPerS:
		return fmt.Sprintf("%.2f req/s", v)
	case UnitJoules:
		return fmt.Sprintf("%.4g J/token", v)
	}
	return fmt.Sprintf("%.3f", v)
}
