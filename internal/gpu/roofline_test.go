package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLookupBandwidth: NVML's names as nvmlDeviceGetName reports them
// (nvidia-smi --query-gpu=name shows the same strings).
func TestLookupBandwidth(t *testing.T) {
	for name, want := range map[string]float64{
		"NVIDIA H100 80GB HBM3":          3350,
		"NVIDIA H100 PCIe":               2000,
		"NVIDIA H100 NVL":                3900,
		"NVIDIA H200":                    4800,
		"NVIDIA H200 NVL":                4800,
		"NVIDIA A100-SXM4-40GB":          1555,
		"NVIDIA A100-SXM4-80GB":          2039,
		"NVIDIA A100-PCIE-40GB":          1555,
		"NVIDIA A100 80GB PCIe":          1935,
		"NVIDIA L40S":                    864,
		"NVIDIA L40":                     864,
		"NVIDIA L4":                      300,
		"NVIDIA A10G":                    600,
		"NVIDIA A10":                     600,
		"NVIDIA GeForce RTX 4090":        1008,
		"NVIDIA GeForce RTX 3090":        936,
		"NVIDIA RTX 6000 Ada Generation": 960,
		"NVIDIA RTX A6000":               768,
		"NVIDIA B200":                    8000,
		"Tesla V100-SXM2-32GB":           900,
		"Tesla T4":                       320,
		"NVIDIA GH200 480GB":             4000,
	} {
		t.Run(name, func(t *testing.T) {
			bw, ok := LookupBandwidth(name)
			require.True(t, ok)
			assert.Equal(t, want, bw.GBs, bw.Model)
			assert.NotEmpty(t, bw.Source)
		})
	}
	_, ok := LookupBandwidth("NVIDIA Quadro K600")
	assert.False(t, ok, "an unknown GPU is not guessed")
	_, ok = LookupBandwidth("")
	assert.False(t, ok)
}

func TestParseGPUs(t *testing.T) {
	n, c := ParseGPUs("2x NVIDIA H100 80GB HBM3")
	assert.Equal(t, "NVIDIA H100 80GB HBM3", n)
	assert.Equal(t, 2, c)
	n, c = ParseGPUs("NVIDIA H200")
	assert.Equal(t, "NVIDIA H200", n)
	assert.Equal(t, 1, c)
}

// TestRooflineQwen3_32B_AWQ: the example, 17.7 GB per decode step.
func TestRooflineQwen3_32B_AWQ(t *testing.T) {
	h200, _ := LookupBandwidth("NVIDIA H200")
	r := RooflineOf(h200, 1, 17.7e9, 60)
	assert.InDelta(t, 4800e9/17.7e9, r.BoundTokensPerS, 1e-9, "271 tok/s")
	assert.InDelta(t, 60/r.BoundTokensPerS, r.Fraction, 1e-12)
	assert.False(t, r.Above)

	l4, _ := LookupBandwidth("NVIDIA L4")
	r = RooflineOf(l4, 1, 17.7e9, 40) // bound 16.9 tok/s
	assert.True(t, r.Above, "40 tok/s from an L4 reading 17.7 GB a step is impossible")
	assert.Contains(t, r.Detail, "speculative decoding")
	assert.Contains(t, r.Detail, "measurement bug")

	r = RooflineOf(l4, 4, 17.7e9, 40) // 4-way tensor parallel: 67.8 tok/s
	assert.False(t, r.Above)
	assert.Contains(t, r.Detail, "4× L4")
}
