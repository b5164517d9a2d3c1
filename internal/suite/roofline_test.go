package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

func stabilityTPOT(p50 float64) *sidecar.Stability {
	return &sidecar.Stability{Runs: []sidecar.StabilityRun{{Name: "alternating", TPOTms: stats.Summary{N: 20, P50: p50}}}}
}

func TestRoofline(t *testing.T) {
	type tc struct {
		name    string
		m       sidecar.Metrics
		gpuName string
		min     float64
		verdict string
		detail  string
	}
	run := func(t *testing.T, c tc) {
		r := roofline(&c.m, 17.7e9, c.gpuName, c.min, false)
		require.NotNil(t, r)
		assert.Equal(t, c.verdict, r.Verdict, r.Detail)
		assert.Contains(t, r.Detail, c.detail)
		assert.Equal(t, c.min, r.MinFraction)
	}
	// Qwen3-32B-AWQ (17.7 GB per step) on an H200: bound 271.2 tok/s.
	at := func(fraction float64) *sidecar.Stability { return stabilityTPOT(1000 / (fraction * 271.2)) }
	for _, c := range []tc{
		{"H200, 25 ms TPOT: 40 tok/s is 15 % of 271, below 30 %", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA H200", 0.3, "below_bound", "15 % of the roofline 271.2 tok/s"},
		{"the same with the lower side off", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA H200", 0, "ok", "15 % of the roofline"},
		{"70 % of the bound: a healthy vLLM", sidecar.Metrics{Stability: at(0.70)}, "NVIDIA H200", 0.3, "ok", "70 % of the roofline"},
		{"10 % of the bound names the causes", sidecar.Metrics{Stability: at(0.10)}, "NVIDIA H200", 0.3, "below_bound", "--enforce-eager"},
		{"the issue's 9 %: eager or offloaded", sidecar.Metrics{Stability: at(0.09)}, "NVIDIA H200", 0.3, "below_bound", "--cpu-offload-gb"},
		{"local NVML name, two GPUs", sidecar.Metrics{Stability: at(0.6), GPU: &sidecar.GPU{Available: true,
			Devices: []sidecar.GPUDevice{{Name: "NVIDIA H100 80GB HBM3"}, {Name: "NVIDIA H100 80GB HBM3"}}}}, "", 0.3, "ok", "2× H100 SXM"},
		{"L4 at 40 tok/s: above the bound", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA L4", 0.3, "above_bound", "speculative decoding"},
		{"unknown GPU: unknown, not ok", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA Quadro K600", 0.3, "unknown", "not in the bandwidth table"},
		{"no GPU at all", sidecar.Metrics{Stability: stabilityTPOT(25)}, "", 0.3, "unknown", "ACCEPTANCE_GPU_NAME"},
		{"no stability run", sidecar.Metrics{}, "NVIDIA H200", 0.3, "unknown", "no stability run"},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
	assert.Nil(t, roofline(&sidecar.Metrics{}, 0, "NVIDIA H200", 0.3, false), "no ACCEPTANCE_MODEL_BYTES, no section")
}

// TestRooflineBelowFails: below_bound is advice unless
// ACCEPTANCE_ROOFLINE_BELOW_FAILS; then the run's verdict fails on it.
func TestRooflineBelowFails(t *testing.T) {
	m := sidecar.Metrics{Complete: true, Stability: stabilityTPOT(25)}
	m.Stability.Passed = true
	m.Roofline = roofline(&m, 17.7e9, "NVIDIA H200", 0.3, false)
	assert.Equal(t, sidecar.RooflineBelow, m.Roofline.Verdict)
	assert.True(t, m.Passed(), "advice by default")
	m.Roofline = roofline(&m, 17.7e9, "NVIDIA H200", 0.3, true)
	assert.False(t, m.Passed(), "the knob makes below_bound fail the run")
	assert.False(t, m.SectionVerdicts()["roofline"])
	m.Stability = at70()
	m.Stability.Passed = true
	m.Roofline = roofline(&m, 17.7e9, "NVIDIA H200", 0.3, true)
	assert.Equal(t, sidecar.RooflineOK, m.Roofline.Verdict)
	assert.True(t, m.Passed(), "ok passes with the knob on")
}

func at70() *sidecar.Stability { return stabilityTPOT(1000 / (0.7 * 271.2)) }

// TestRooflineUnknownFailsOnlyWhenNamed: a roofline that could not be
// computed is unknown: it fails nothing unless ACCEPTANCE_FAIL_UNKNOWN
// names it.
func TestRooflineUnknownFailsOnlyWhenNamed(t *testing.T) {
	m := sidecar.Metrics{Complete: true, Stability: stabilityTPOT(25)}
	m.Roofline = roofline(&m, 17.7e9, "NVIDIA Quadro K600", 0.3, false)
	require.Equal(t, sidecar.RooflineUnknown, m.Roofline.Verdict)
	assert.Equal(t, sidecar.Unknown, m.Roofline.Check().Result())
	_, judged := sidecar.NewJudge("").Section(&m, sidecar.SectionRoofline)
	assert.False(t, judged, "advice: no section verdict")
	passed, judged := sidecar.NewJudge("roofline").Section(&m, sidecar.SectionRoofline)
	assert.True(t, judged)
	assert.False(t, passed, "ACCEPTANCE_FAIL_UNKNOWN=roofline fails an unknown roofline")
}
