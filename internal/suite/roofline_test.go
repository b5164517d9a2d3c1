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
		verdict string
		detail  string
	}
	run := func(t *testing.T, c tc) {
		r := roofline(&c.m, 17.7e9, c.gpuName)
		require.NotNil(t, r)
		assert.Equal(t, c.verdict, r.Verdict, r.Detail)
		assert.Contains(t, r.Detail, c.detail)
	}
	for _, c := range []tc{
		{"H200 from the knob, 25 ms TPOT: 40 tok/s of 271", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA H200", "ok", "15 % of the roofline 271.2 tok/s"},
		{"local NVML name, two GPUs", sidecar.Metrics{Stability: stabilityTPOT(25), GPU: &sidecar.GPU{Available: true,
			Devices: []sidecar.GPUDevice{{Name: "NVIDIA H100 80GB HBM3"}, {Name: "NVIDIA H100 80GB HBM3"}}}}, "", "ok", "2× H100 SXM"},
		{"L4 at 40 tok/s: above the bound", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA L4", "above_bound", "speculative decoding"},
		{"unknown GPU", sidecar.Metrics{Stability: stabilityTPOT(25)}, "NVIDIA Quadro K600", "skipped", "not in the bandwidth table"},
		{"no GPU at all", sidecar.Metrics{Stability: stabilityTPOT(25)}, "", "skipped", "ACCEPTANCE_GPU_NAME"},
		{"no stability run", sidecar.Metrics{}, "NVIDIA H200", "skipped", "no stability run"},
	} {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
	assert.Nil(t, roofline(&sidecar.Metrics{}, 0, "NVIDIA H200"), "no ACCEPTANCE_MODEL_BYTES, no section")
}
