package compare

// FormatValue prints a figure of the given unit as compare.md does
// ("234.3 ms", "0.950", "100 % of runs pass"), for callers that show
// compare's rows elsewhere (the report's "against the baseline" table), so
// each unit has one format.
func FormatValue(v float64, unit string) string { return fmtNum(v, unit) }

// FormatDifference prints a signed difference of the given unit as
// compare.md's estimate column does ("+0.020", "−9.9 %").
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
