package compare

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func TestRowImproved(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	ttft := func(lo, hi float64) Row { // tolerance: a rise of 10 % regresses
		return Row{Verdict: RowPass, On: OnRatio, Limit: f(1.10), LowerIsBetter: true, Interval: &stats.Interval{Low: lo, High: hi}}
	}
	assert.True(t, ttft(0.80, 0.88).Improved(), "TTFT at least 12 % lower, beyond the mirrored 10 %")
	assert.False(t, ttft(0.85, 0.95).Improved(), "within the mirrored tolerance: a pass, not an improvement")
	assert.False(t, Row{Verdict: RowRegressed, On: OnRatio, Limit: f(1.10), LowerIsBetter: true, Interval: &stats.Interval{Low: 0.5, High: 0.6}}.Improved(),
		"only a passing figure improves")
	thr := Row{Verdict: RowPass, On: OnRatio, Limit: f(0.90), Interval: &stats.Interval{Low: 1.12, High: 1.30}}
	assert.True(t, thr.Improved(), "throughput at least 12 % higher where a 10 % drop regresses")
	assert.True(t, Row{Verdict: RowPass, Unit: UnitPass, Baseline: f(0.5), Candidate: f(1)}.Improved(), "an area that now passes more often")
	assert.False(t, Row{Verdict: RowPass, On: OnRatio, LowerIsBetter: true}.Improved(), "no tolerance, no judgement")
}
