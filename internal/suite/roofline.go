package suite

import (
	"fmt"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// roofline is the sidecar's roofline section (nil when
// ACCEPTANCE_MODEL_BYTES is unset): the single-stream decode bound of the
// server's GPU (ACCEPTANCE_GPU_NAME, else the local GPUs NVML names, all
// of them taken as one tensor-parallel server) against the stability
// run's median decode rate, 1000 / TPOT p50. The stability run sends one
// request at a time, so its TPOT is single-stream decode. Called with the
// run's lock held (Finish).
//
// The verdict is "above_bound" over the bound, "below_bound" under
// minFraction of it (it fails the run only when belowFails), "ok" between,
// and "unknown" when it could not be computed.
func roofline(m *sidecar.Metrics, modelBytes float64, gpuName string, minFraction float64, belowFails bool) *sidecar.Roofline {
	if modelBytes <= 0 {
		return nil
	}
	out := &sidecar.Roofline{ModelBytes: modelBytes, Verdict: sidecar.RooflineUnknown, MinFraction: minFraction, BelowFails: belowFails}
	name, count := gpu.ParseGPUs(gpuName)
	if name == "" && m.GPU != nil && len(m.GPU.Devices) > 0 {
		name, count = m.GPU.Devices[0].Name, len(m.GPU.Devices)
	}
	out.GPU = name
	if count > 1 {
		out.GPU = fmt.Sprintf("%d× %s", count, name)
	}
	bw, ok := gpu.LookupBandwidth(name)
	if !ok {
		out.Detail = fmt.Sprintf("GPU %q is not in the bandwidth table: set ACCEPTANCE_GPU_NAME to its NVML name (nvidia-smi --query-gpu=name --format=csv)", name)
		if name == "" {
			out.Detail = "no GPU name: run the suite on the GPU host (NVML) or set ACCEPTANCE_GPU_NAME (e.g. \"NVIDIA H200\", or \"2x NVIDIA H100 80GB HBM3\" for tensor parallelism over two)"
		}
		return out
	}
	out.BandwidthGBs, out.Source = bw.GBs*float64(max(count, 1)), bw.Source
	var tpot float64
	if m.Stability != nil {
		for _, run := range m.Stability.Runs {
			if run.TPOTms.N > 0 && run.TPOTms.P50 > 0 {
				tpot = run.TPOTms.P50
				break
			}
		}
	}
	rl := gpu.RooflineOf(bw, count, modelBytes, 0)
	out.BoundTokensPerS = rl.BoundTokensPerS
	if tpot == 0 {
		out.Detail = fmt.Sprintf("bound %.1f tok/s; no stability run with a TPOT to compare", rl.BoundTokensPerS)
		return out
	}
	rl = gpu.RooflineOf(bw, count, modelBytes, 1000/tpot)
	rl.JudgeBelow(minFraction)
	out.MeasuredTokensPerS, out.Fraction, out.Detail = 1000/tpot, rl.Fraction, rl.Detail
	switch {
	case rl.Above:
		out.Verdict = sidecar.RooflineAbove
	case rl.Below:
		out.Verdict = sidecar.RooflineBelow
	default:
		out.Verdict = sidecar.RooflineOK
	}
	return out
}
