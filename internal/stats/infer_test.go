package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTQuantile(t *testing.T) {
	assert.InDelta(t, 2.776, TQuantile(0.975, 4), 1e-3, "t table, 4 df")
	assert.InDelta(t, 1.645, TQuantile(0.95, 1e9), 1e-3, "large df: the normal quantile")
	assert.True(t, math.IsInf(TQuantile(0.95, 0), 1), "no degrees of freedom: no interval")
}

// TestNewcombeDiff checks Newcombe (1998), Table II, example (a): 56/70
// against 48/80, method 10 gives 0.0524 to 0.3339 at 95 %.
func TestNewcombeDiff(t *testing.T) {
	d, iv := NewcombeDiff(48, 80, 56, 70, z95)
	assert.InDelta(t, 0.2, d, 1e-12)
	assert.InDelta(t, 0.0524, iv.Low, 1e-4)
	assert.InDelta(t, 0.3339, iv.High, 1e-4)
	_, iv = NewcombeDiff(0, 0, 1, 1, z95)
	assert.Equal(t, Interval{Low: -1, High: 1}, iv, "no attempts: nothing known")
	assert.Equal(t, Wilson(3, 3), WilsonZ(3, 3, z95), "one Wilson formula")
}

// TestRunsDiffCoverage: over many seeded draws of 3 runs per side with
// run-level noise, the 90 % Welch interval holds the true difference about
// 90 % of the time; with 1 run on one side, too.
func TestRunsDiffCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const draws = 4000
	for _, sizes := range [][2]int{{3, 3}, {1, 4}, {5, 2}} {
		hit := 0
		for range draws {
			b, c := make([]float64, sizes[0]), make([]float64, sizes[1])
			for i := range b {
				b[i] = 0.05 * rng.NormFloat64()
			}
			for i := range c {
				c[i] = 0.1 + 0.05*rng.NormFloat64()
			}
			e, ok := RunsDiff(b, c)
			assert.True(t, ok)
			iv := e.Interval(GateConfidence)
			if iv.Low <= 0.1 && 0.1 <= iv.High {
				hit++
			}
		}
		cov := float64(hit) / draws
		// Welch's interval is slightly conservative at small, unequal n.
		assert.GreaterOrEqual(t, cov, 0.88, "%v runs: coverage %.3f", sizes, cov)
		assert.LessOrEqual(t, cov, 0.94, "%v runs: coverage %.3f", sizes, cov)
	}
	_, ok := RunsDiff([]float64{1}, []float64{2})
	assert.False(t, ok, "one run per side cannot measure run-to-run variation")
}

func TestRunsNeeded(t *testing.T) {
	assert.Zero(t, RunsNeeded(0.05, 4, 0, 3, 20), "on the tolerance: no number of runs decides")
	few := RunsNeeded(0.03, 4, 0.09, 3, 20)
	many := RunsNeeded(0.03, 4, 0.05, 3, 20)
	assert.Greater(t, few, 3)
	assert.Greater(t, many, few, "a smaller margin needs more runs")
	assert.Zero(t, RunsNeeded(0.05, 4, 0.001, 3, 20), "past the cap: 0")
}
