package selftest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// Answers of the capacity self-tests: 20 tokens (the simulator answers
// exactly max_tokens tokens to a prompt without tools).
const capTokens = 20

// capacityEnv runs only TestCapacity against spec, with steps short
// enough for a self-test (2 s counted after 1 s of warm-up, at least 30
// requests) and the SLOs of the example: TPOT 20 ms.
func capacityEnv(t *testing.T, spec string, extra map[string]string) map[string]string {
	t.Helper()
	p, err := sim.Lookup(spec)
	require.NoError(t, err, spec)
	env := map[string]string{
		"VLLM_BASE_URL":                         Serve(t, sim.New(p, nil)),
		"ACCEPTANCE_CAPACITY":                   "true",
		"ACCEPTANCE_SHORT_TOKENS":               fmt.Sprint(capTokens),
		"ACCEPTANCE_SLO_TTFT":                   "2s",
		"ACCEPTANCE_SLO_TPOT":                   "20ms",
		"ACCEPTANCE_CAPACITY_STEP":              "2s",
		"ACCEPTANCE_CAPACITY_WARMUP":            "1s",
		"ACCEPTANCE_CAPACITY_MIN_STEP_REQUESTS": "30",
		"ACCEPTANCE_CAPACITY_RESOLUTION":        "0.05",
		"ACCEPTANCE_CAPACITY_MAX_TIME":          "90s",
		"ACCEPTANCE_GPU_INTERVAL":               "0",
		"ACCEPTANCE_REQUEST_TIMEOUT":            "20s",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func capacitySection(t *testing.T, o Outcome) *sidecar.Capacity {
	t.Helper()
	require.NotNil(t, o.Metrics, "metrics.json:\n%s", tail(o.Output))
	require.NotNil(t, o.Metrics.Capacity, "capacity section:\n%s", tail(o.Output))
	return o.Metrics.Capacity
}

// modelOf is the discrete-event model (capacity.Model) of the persona
// spec names under the self-tests' request shape and SLOs: the oracle of
// the capacity self-tests, from the persona's declared parameters only,
// never from what a run measured.
func modelOf(t *testing.T, spec string, tokens int, sloTTFT, sloTPOT time.Duration, ratio float64) capacity.Model {
	t.Helper()
	p, err := sim.Lookup(spec)
	require.NoError(t, err, spec)
	return capacity.Model{TTFT: p.TTFT, ITL: p.ITL, Noise: p.Noise, BatchK: p.BatchK, Tokens: tokens,
		SLOTTFT: sloTTFT, SLOTPOT: sloTPOT, MinGoodputRatio: ratio}
}

// TestCapacityDoneWhen is the case: 50 ms TTFT, 10 ms ITL,
// 20-token answers, K = 16, a 20 ms TPOT SLO, goodput ratio 0.5: the
// fluid limit is 33 req/s (the issue rounds it to 32 with 20 ITLs per
// answer; docs/capacity.md), the discrete-event model about the same.
// The reported capacity must be within 25 % of both.
func TestCapacityDoneWhen(t *testing.T) {
	const spec = "batching?ttft=50ms&itl=10ms&batch_k=16"
	want := modelOf(t, spec, capTokens, 2*time.Second, 20*time.Millisecond, 0.5).Capacity()
	o := Run(t, capacityEnv(t, spec, map[string]string{
		"ACCEPTANCE_MIN_GOODPUT_RATIO": "0.5", "ACCEPTANCE_CAPACITY_START_RATE": "5",
	}), 3*time.Minute, "-test.run", "^TestCapacity$")
	c := capacitySection(t, o)
	logSteps(t, c)
	t.Logf("capacity %.1f req/s (model %.1f), %s, %d requests in %.0fs, %d steps", c.MaxRatePerS, want, c.Confidence, c.Requests, c.DurationS, len(c.Steps))
	assert.Equal(t, "PASS", o.Tests["TestCapacity"], tail(o.Output))
	assert.Equal(t, "bracketed", c.Confidence, c.StopReason)
	assert.InEpsilon(t, want, c.MaxRatePerS, 0.25)
	assert.InEpsilon(t, 32.0, c.MaxRatePerS, 0.25, "the issue's figure")
}

func logSteps(t *testing.T, c *sidecar.Capacity) {
	t.Helper()
	if c.Idle != nil {
		// Information only, never the oracle: on a loaded machine the
		// simulator's timers overshoot, and its TPOT rises above the
		// declared ITL (docs/capacity.md).
		t.Logf("idle probe: TTFT %.1fms, TPOT %.2fms", c.Idle.TTFTms, c.Idle.TPOTms)
	}
	for i, st := range c.Steps {
		srv := ""
		if st.Server != nil {
			srv = fmt.Sprintf(", running max %.0f", st.Server.RunningMax)
		}
		t.Logf("step %d: %.2f req/s %s, %d+%d requests, goodput ratio %.2f, TPOT p50 %.1fms p99 %.1fms, %.1fs%s: %s",
			i+1, st.RatePerS, st.Outcome, st.Warmup, st.Sent, st.GoodputRatio, st.TPOTms.P50, st.TPOTms.P99, st.DurationS, srv, st.Reason)
	}
}

// TestCapacityFindsModel: for several batch sizes K, the search finds
// the discrete-event model's capacity within 15 %, at a goodput ratio of
// 0.5. The search starts at 5 req/s for every K, so its grid of rates has
// nothing to do with the answer. The oracle is the persona's declared
// parameters run through capacity.Model, never the run's own figures.
func TestCapacityFindsModel(t *testing.T) {
	for _, k := range []int{16, 24, 32} {
		t.Run(fmt.Sprintf("K=%d", k), func(t *testing.T) {
			spec := fmt.Sprintf("batching?ttft=50ms&itl=10ms&batch_k=%d", k)
			want := modelOf(t, spec, capTokens, 2*time.Second, 20*time.Millisecond, 0.5).Capacity()
			o := Run(t, capacityEnv(t, spec, map[string]string{
				"ACCEPTANCE_MIN_GOODPUT_RATIO":   "0.5",
				"ACCEPTANCE_CAPACITY_START_RATE": "5",
			}), 3*time.Minute, "-test.run", "^TestCapacity$")
			c := capacitySection(t, o)
			logSteps(t, c)
			t.Logf("K=%d: capacity %.1f req/s; model %.1f (%+.0f %%); %d requests in %.0fs, %d steps",
				k, c.MaxRatePerS, want, 100*(c.MaxRatePerS/want-1), c.Requests, c.DurationS, len(c.Steps))
			assert.Equal(t, "PASS", o.Tests["TestCapacity"], tail(o.Output))
			assert.Equal(t, "bracketed", c.Confidence, c.StopReason)
			assert.InEpsilon(t, want, c.MaxRatePerS, 0.15)
		})
	}
}

// TestCapacitySeedPace: the seed_pace persona (TTFT 200 ms, ITL 30 ms,
// ±20 % noise, K = 16) with the default SLOs (TTFT 2 s, TPOT 100 ms) and
// goodput ratio (0.9), shortened for make test: 20-token answers, steps
// of 3 s warm-up and at most 8 s counted, a 3-minute budget, no start
// rate (planned from the probe). The search ends by itself (bracketed),
// its probe bounds it from above, and it lands within 15 % of the
// discrete-event model (the full default-knob figure, 10 %, is
// scripts/capacity-figures.sh's seed_pace case, in docs/capacity.md).
func TestCapacitySeedPace(t *testing.T) {
	want := modelOf(t, "seed_pace", capTokens, 2*time.Second, 100*time.Millisecond, 0.9).Capacity()
	o := Run(t, capacityEnv(t, "seed_pace", map[string]string{
		"ACCEPTANCE_SLO_TPOT":                   "100ms",
		"ACCEPTANCE_MIN_GOODPUT_RATIO":          "0.9",
		"ACCEPTANCE_CAPACITY_STEP":              "8s",
		"ACCEPTANCE_CAPACITY_WARMUP":            "3s",
		"ACCEPTANCE_CAPACITY_MIN_STEP_REQUESTS": "20",
		"ACCEPTANCE_CAPACITY_RESOLUTION":        "0.1",
		"ACCEPTANCE_CAPACITY_MAX_TIME":          "3m",
	}), 5*time.Minute, "-test.run", "^TestCapacity$")
	c := capacitySection(t, o)
	logSteps(t, c)
	require.NotNil(t, c.Probe, "the search is planned from a saturating probe")
	t.Logf("capacity %.2f req/s; model %.2f (%+.0f %%); probe %d in flight: %.2f req/s; %d requests in %.0fs, %d steps; %s",
		c.MaxRatePerS, want, 100*(c.MaxRatePerS/want-1), c.Probe.Concurrency, c.Probe.ThroughputPerS, c.Requests, c.DurationS, len(c.Steps), c.StopReason)
	assert.Equal(t, "PASS", o.Tests["TestCapacity"], tail(o.Output))
	assert.Equal(t, "bracketed", c.Confidence, "ends by itself, not on a budget: %s", c.StopReason)
	assert.Greater(t, c.Probe.ThroughputPerS, want, "the probe's throughput is a ceiling")
	assert.InEpsilon(t, c.Probe.ThroughputPerS/2, c.Steps[0].RatePerS, 1e-6, "the first step at half the ceiling")
	assert.InEpsilon(t, want, c.MaxRatePerS, 0.15)
}
