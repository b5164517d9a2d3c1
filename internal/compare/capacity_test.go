package compare

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

var capSLOs = sidecar.CapacitySLOs{TTFTms: 2000, TPOTms: 20, MinGoodputRatio: 0.9, MaxErrorRate: 0.05}

// withCapacity is a synthetic run whose search bracketed the capacity
// between low and high (high 0: "at least" low) at a 10 % resolution.
func withCapacity(m *sidecar.Metrics, low, high float64) *sidecar.Metrics {
	conf := "bracketed"
	if high == 0 {
		conf = "at_least"
	}
	m.Capacity = &sidecar.Capacity{MaxRatePerS: low, Interval: stats.Interval{Low: low, High: high}, Confidence: conf, AtLeast: high == 0,
		SLOs: capSLOs, Steps: []sidecar.CapacityStep{{RatePerS: low, Outcome: "pass"}}, Verdict: "pass"}
	return m
}

func capRuns(t *testing.T, seed uint64, low, high float64) []sidecar.Run {
	t.Helper()
	runs := side(rand.New(rand.NewPCG(seed, 1)), defaultWorld(), 1)
	withCapacity(runs[0].Metrics, low, high)
	return runs
}

func capacityRow(t *testing.T, res Result) Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Metric == "capacity.max_rate_per_s" {
			return r
		}
	}
	require.FailNow(t, "no capacity row")
	return Row{}
}

func TestCompareCapacity(t *testing.T) {
	type tc struct {
		name       string
		base, cand [2]float64 // low, high of each side's bracket
		want       string
		reason     string
	}
	run := func(t *testing.T, c tc) {
		res := Compare(capRuns(t, 1, c.base[0], c.base[1]), capRuns(t, 2, c.cand[0], c.cand[1]), DefaultTolerances(), Options{Force: true})
		r := capacityRow(t, res)
		assert.Equal(t, c.want, r.Verdict, "%s: %s", c.reason, r.Why)
		if c.want == RowRegressed {
			assert.Equal(t, VerdictRegressed, res.Verdict)
		}
	}
	for _, c := range []tc{
		{"30 % less capacity", [2]float64{32, 35.2}, [2]float64{22.4, 24.6}, RowRegressed,
			"even the candidate's failing rate is below 0.9 × the baseline's passing rate (the issue's Done-when)"},
		{"the same capacity", [2]float64{32, 35.2}, [2]float64{32, 35.2}, RowPass,
			"the candidate passed at 32 ≥ 0.9 × 35.2"},
		{"5 % less: within the tolerance", [2]float64{32, 35.2}, [2]float64{30.4, 33.4}, RowInconclusive,
			"30.4 / 35.2 = 0.86 < 0.9 < 33.4 / 32: the brackets cannot tell"},
		{"more capacity", [2]float64{32, 35.2}, [2]float64{48, 52.8}, RowPass, "an improvement passes"},
		{"candidate at least above the baseline", [2]float64{32, 35.2}, [2]float64{64, 0}, RowPass, "no upper end needed to pass"},
		{"baseline at least: cannot pass", [2]float64{64, 0}, [2]float64{64, 70.4}, RowInconclusive, "the baseline's capacity has no upper end"},
		{"candidate capacity 0", [2]float64{32, 35.2}, [2]float64{0, 4}, RowRegressed, "it failed its lowest rate, 4 req/s"},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
}

func TestCompareCapacityDifferentSLOs(t *testing.T) {
	b, c := capRuns(t, 1, 32, 35.2), capRuns(t, 2, 16, 17.6)
	c[0].Metrics.Capacity.SLOs.TPOTms = 10
	r := capacityRow(t, Compare(b, c, DefaultTolerances(), Options{Force: true}))
	assert.Equal(t, RowMissing, r.Verdict, "capacities under other SLOs are not compared")
	assert.Contains(t, r.Why, "different SLOs")
}

// TestRankCapacity: three configurations ordered by capacity, the two
// whose brackets overlap marked tied.
func TestRankCapacity(t *testing.T) {
	// The same seed: every other figure equal, capacity alone differs.
	mk := func(low, high float64) []sidecar.Run { return capRuns(t, 7, low, high) }
	rk := RankConfigs([][]sidecar.Run{mk(16, 17.6), mk(32, 35.2), mk(33, 36.3)}, []string{"small", "big", "bigger"})
	require.Len(t, rk.Rows, 3)
	names := []string{rk.Rows[0].Name, rk.Rows[1].Name, rk.Rows[2].Name}
	assert.Equal(t, []string{"bigger", "big", "small"}, names, "higher capacity first")
	assert.True(t, rk.Rows[0].Tied && rk.Rows[1].Tied, "33–36.3 and 32–35.2 overlap: tied")
	assert.Equal(t, rk.Rows[0].Rank, rk.Rows[1].Rank)
	assert.False(t, rk.Rows[2].Tied)
	assert.Equal(t, 3, rk.Rows[2].Rank)
}
