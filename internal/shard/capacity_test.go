package shard

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// step is one shard's share of a capacity step: sent requests, good ones.
func step(rate float64, sent, good int, outcome string) sidecar.CapacityStep {
	return sidecar.CapacityStep{RatePerS: rate, Outcome: outcome, Planned: sent, Sent: sent, Completed: sent, Good: good,
		Errors: map[string]int{}, TTFTms: stats.Summary{N: sent, P50: 100, P99: 200}, DurationS: 10}
}

func search(reason string, steps ...sidecar.CapacityStep) *sidecar.Capacity {
	return &sidecar.Capacity{
		SLOs:  sidecar.CapacitySLOs{TTFTms: 500, TPOTms: 50, MinGoodputRatio: 0.9, MaxErrorRate: 0.05},
		Idle:  &sidecar.IdleProbe{Requests: 3, Completed: 3, TTFTms: 50},
		Steps: steps, StopReason: reason, Shards: 2, Requests: 100, DurationS: 60, Verdict: "pass",
	}
}

func TestMergeCapacity(t *testing.T) {
	t.Run("lockstep to the end: judged on the sums", func(t *testing.T) {
		// Each shard alone: 8 passes, 16 fails, 12 passes. Summed, 16 still
		// fails (34 of 40 good = 85 %).
		a := search("bracketed", step(8, 20, 20, "pass"), step(16, 20, 17, "fail"), step(12, 20, 19, "pass"))
		b := search("bracketed", step(8, 20, 20, "pass"), step(16, 20, 17, "fail"), step(12, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		require.NotNil(t, m)
		require.Len(t, m.Steps, 3)
		assert.Equal(t, 40, m.Steps[1].Sent, "the step's requests add up")
		assert.Equal(t, "fail", m.Steps[1].Outcome, "34 of 40 within the SLOs is below 90 %")
		assert.InDelta(t, 12, m.MaxRatePerS, 1e-9)
		assert.Equal(t, stats.Interval{Low: 12, High: 16}, m.Interval)
		assert.Equal(t, "bracketed", m.Confidence)
		assert.Equal(t, "bracketed", m.StopReason, "shard 0's reason: the searches never parted")
		assert.Equal(t, 200, m.Requests)
		assert.Equal(t, 2, m.Shards)
		assert.Equal(t, "pass", m.Verdict)
	})
	t.Run("shares disagree: the sum decides, and the searches part", func(t *testing.T) {
		// At 16 shard 0's share fails (17/20) and shard 1's passes (20/20):
		// the run's 37 of 40 (92.5 %) passes. Then shard 0 tries 12 and
		// shard 1 tries 32: no later step ran at a planned total rate.
		a := search("bracketed", step(8, 20, 20, "pass"), step(16, 20, 17, "fail"), step(12, 20, 20, "pass"))
		b := search("at least", step(8, 20, 20, "pass"), step(16, 20, 20, "pass"), step(32, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		require.Len(t, m.Steps, 2, "only the steps run in lockstep")
		assert.Equal(t, "pass", m.Steps[1].Outcome)
		assert.InDelta(t, 16, m.MaxRatePerS, 1e-9)
		assert.True(t, m.AtLeast, "no merged step failed: a lower bound")
		assert.Equal(t, "at_least", m.Confidence)
		assert.Contains(t, m.StopReason, "parted after 2 steps in lockstep")
		assert.Contains(t, m.StopReason, "shard 0 went on to 12 req/s; shard 1 went on to 32 req/s")
	})
	t.Run("a shard's generator fell behind: the step is limited", func(t *testing.T) {
		lim := step(16, 20, 20, "limited")
		lim.Reason = "dispatch lag p99 600ms"
		a := search("generator", step(8, 20, 20, "pass"), lim)
		b := search("generator", step(8, 20, 20, "pass"), step(16, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		require.Len(t, m.Steps, 2)
		assert.Equal(t, "limited", m.Steps[1].Outcome)
		assert.Contains(t, m.Steps[1].Reason, "shard 0: dispatch lag")
		assert.True(t, m.Limited)
		assert.Equal(t, "generator_limited", m.Confidence, "never the server's capacity")
	})
	t.Run("a shard stopped a step early: not a pass", func(t *testing.T) {
		sat := step(16, 10, 10, "saturated")
		sat.StoppedEarly, sat.Reason = true, "stopped early: in flight doubled"
		a := search("bracketed", step(8, 20, 20, "pass"), sat)
		b := search("bracketed", step(8, 20, 20, "pass"), step(16, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		assert.Equal(t, "saturated", m.Steps[1].Outcome, "30 of 30 good, but shard 0 stopped sending half-way")
		assert.InDelta(t, 8, m.MaxRatePerS, 1e-9)
	})
	t.Run("a shard's step cut by the suite's stop: not judged, never the failing bound", func(t *testing.T) {
		cut := step(16, 5, 2, "not_judged")
		a := search("interrupted", step(8, 20, 20, "pass"), cut)
		b := search("interrupted", step(8, 20, 20, "pass"), step(16, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		require.Len(t, m.Steps, 2)
		assert.Equal(t, "not_judged", m.Steps[1].Outcome, "22 of 25 good would fail; cut, it is not judged")
		assert.InDelta(t, 8, m.MaxRatePerS, 1e-9)
		assert.Zero(t, m.Interval.High, "no failing bound")
		assert.Equal(t, sidecar.ConfidenceInterrupted, m.Confidence)
		assert.Equal(t, sidecar.VerdictUnknown, m.Verdict, "the steps that ran passed, but the search did not finish: not run, never a pass (nor the failing bound)")
	})
	t.Run("a shard lost a step (certain failure): the merged step fails", func(t *testing.T) {
		lost := step(16, 8, 2, "fail")
		lost.StoppedEarly, lost.Reason = true, "stopped early: 6 of 20 planned requests already outside the SLOs"
		a := search("bracketed", step(8, 20, 20, "pass"), lost)
		b := search("bracketed", step(8, 20, 20, "pass"), step(16, 20, 20, "pass"))
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{a, b})
		assert.Equal(t, "fail", m.Steps[1].Outcome)
		assert.Contains(t, m.Steps[1].Reason, "shard 0 stopped early")
	})
	t.Run("late requests add up and count outside the SLOs", func(t *testing.T) {
		la, lb := step(16, 18, 17, "fail"), step(16, 18, 17, "fail")
		la.Late, lb.Late = 2, 2
		m := MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{search("x", la), search("x", lb)})
		assert.Equal(t, 4, m.Steps[0].Late)
		assert.Equal(t, "fail", m.Steps[0].Outcome, "34 of 40 judged is below 90 %%, 34 of the 36 finished would pass: %s", m.Steps[0].Reason)
	})
	t.Run("one search or none", func(t *testing.T) {
		a := search("x", step(8, 20, 20, "pass"))
		assert.Same(t, a, MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{nil, a}))
		assert.Nil(t, MergeCapacity(sidecar.Judge{}, []*sidecar.Capacity{nil, nil}))
	})
}
