package scrape

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specText is /metrics of a vLLM with speculative decoding (3 draft
// tokens) and the offloading connector, in the shape prometheus_client
// writes SpecDecodingProm's counters (vllm/v1/spec_decode/metrics.py,
// commit 016a8587) and vllm:kv_offload_total_bytes (labelled by
// transfer_type).
func specText(drafts, draftTok, accepted, offGPU, offCPU, preempt float64) string {
	l := `engine="0",model_name="Qwen/Qwen3-8B"`
	return strings.Join([]string{
		"# HELP vllm:num_preemptions_total Cumulative number of preemption from the engine.",
		"# TYPE vllm:num_preemptions_total counter",
		fmt.Sprintf("vllm:num_preemptions_total{%s} %g", l, preempt),
		"# HELP vllm:spec_decode_num_drafts_total Number of spec decoding drafts.",
		"# TYPE vllm:spec_decode_num_drafts_total counter",
		fmt.Sprintf("vllm:spec_decode_num_drafts_total{%s} %g", l, drafts),
		"# HELP vllm:spec_decode_num_draft_tokens_total Number of draft tokens.",
		"# TYPE vllm:spec_decode_num_draft_tokens_total counter",
		fmt.Sprintf("vllm:spec_decode_num_draft_tokens_total{%s} %g", l, draftTok),
		"# HELP vllm:spec_decode_num_accepted_tokens_total Number of accepted tokens.",
		"# TYPE vllm:spec_decode_num_accepted_tokens_total counter",
		fmt.Sprintf("vllm:spec_decode_num_accepted_tokens_total{%s} %g", l, accepted),
		"# HELP vllm:kv_offload_total_bytes_total Number of bytes offloaded by KV connector",
		"# TYPE vllm:kv_offload_total_bytes_total counter",
		fmt.Sprintf(`vllm:kv_offload_total_bytes_total{%s,transfer_type="GPU_to_CPU"} %g`, l, offGPU),
		fmt.Sprintf(`vllm:kv_offload_total_bytes_total{%s,transfer_type="CPU_to_GPU"} %g`, l, offCPU),
		"",
	}, "\n")
}

func TestViewReadsSpecDecodeOffloadAndPreemptions(t *testing.T) {
	before, err := Parse(strings.NewReader(specText(100, 300, 180, 1e6, 0, 2)))
	require.NoError(t, err)
	after, err := Parse(strings.NewReader(specText(600, 1800, 1080, 5e6, 2e6, 5)))
	require.NoError(t, err)
	v := View(before, after)
	require.NotNil(t, v.SpecDecode)
	assert.Equal(t, 500.0, v.SpecDecode.Drafts)
	assert.InDelta(t, 0.6, *v.SpecDecode.AcceptanceRate, 1e-12, "900 of 1500 draft tokens accepted")
	assert.InDelta(t, 2.8, *v.SpecDecode.MeanAcceptedLength, 1e-12, "1 + 900/500, the bonus token included")
	require.NotNil(t, v.KVOffloadBytes)
	assert.Equal(t, 6e6, *v.KVOffloadBytes, "summed over transfer types")
	assert.Equal(t, "vllm:kv_offload_total_bytes_total", v.KVOffloadSeries)
	require.NotNil(t, v.Preemptions)
	assert.Equal(t, 3.0, *v.Preemptions)

	// A server without speculative decoding or offloading: nil, not zero.
	plain := `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 0
`
	b, err := Parse(strings.NewReader(plain))
	require.NoError(t, err)
	v = View(b, b)
	assert.Nil(t, v.SpecDecode)
	assert.Nil(t, v.KVOffloadBytes)
	assert.Nil(t, v.Preemptions)

	// A restart between the scrapes (counters went down): left out.
	v = View(after, before)
	assert.Nil(t, v.SpecDecode)
	assert.Nil(t, v.KVOffloadBytes)
}
