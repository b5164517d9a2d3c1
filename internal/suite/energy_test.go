package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestCostAtTheCapacityFound(t *testing.T) {
	c := sidecar.Capacity{MaxRatePerS: 4, Steps: []sidecar.CapacityStep{
		{RatePerS: 2, Outcome: "pass", Goodput: 2, Energy: &sidecar.Energy{GoodTokens: 1000, GoodRequests: 10}},
		{RatePerS: 8, Outcome: "saturated", Goodput: 3},
		// 4 req/s offered, 90 % good: 3.6 good req/s of 100 tokens each.
		{RatePerS: 4, Outcome: "pass", Goodput: 3.6, Good: 36, Energy: &sidecar.Energy{GoodTokens: 4400, GoodRequests: 44}},
	}}
	cost := Cost(c, 2.5, 2, "ACCEPTANCE_GPU_COUNT")
	require.NotNil(t, cost.GoodTokensPerS)
	assert.InDelta(t, 360, *cost.GoodTokensPerS, 1e-9)
	require.NotNil(t, cost.PerMillionGoodTokens)
	// $5 an hour over 1,296,000 good tokens an hour.
	assert.InDelta(t, 5/1.296, *cost.PerMillionGoodTokens, 1e-9)

	unknownGPUs := Cost(c, 2.5, 0, "")
	assert.Nil(t, unknownGPUs.PerMillionGoodTokens, "no GPU count: unknown, never zero")
	assert.Contains(t, unknownGPUs.Note, "ACCEPTANCE_GPU_COUNT")

	none := Cost(sidecar.Capacity{Steps: []sidecar.CapacityStep{{RatePerS: 1, Outcome: "fail"}}}, 2.5, 1, "NVML")
	assert.Nil(t, none.PerMillionGoodTokens)
	assert.Contains(t, none.Note, "no step met the SLOs")
}

func TestTokensCountGoodOnesWithinTheSLOs(t *testing.T) {
	lim := load.Limits{SLOTTFTms: 100, SLOTPOTms: 10}
	var tk tokens
	for _, r := range []record.Record{
		{Status: 200, TTFTms: 50, TPOTms: 5, CompletionTokens: 10},
		{Status: 200, TTFTms: 150, TPOTms: 5, CompletionTokens: 20},
		{Status: 500, ErrorKind: record.ErrHTTP, CompletionTokens: 7},
		{Status: 200, TTFTms: 90, TPOTms: 10, CompletionTokens: 30},
	} {
		tk.add(&r, lim)
	}
	assert.Equal(t, tokens{out: 60, good: 40, goodReqs: 2}, tk)
}
