package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// TestTraceReplaySection: a concurrency run that replayed a trace shows
// the asked and counted lengths, the calibration and the TTFT with and
// without a shared prefix; a synthetic run shows no such section.
func TestTraceReplaySection(t *testing.T) {
	m, recs := fixture(t)
	var b strings.Builder
	require.NoError(t, Markdown(&b, m, recs, Options{}))
	assert.NotContains(t, b.String(), "### Trace replay", "the synthetic load has no trace section")

	m.Concurrency.Runs[0].Workload = &sidecar.Workload{
		Trace: "demo.jsonl", SHA256: "0123456789abcdef", Format: "mooncake", Lines: 46,
		Calibration:      &sidecar.Calibration{TokensPerWord: 1.214, Overhead: 18, Source: "tokenize"},
		TraceInputTokens: 80510, InputTokens: 80100, InputAbsDiff: 483, InputError: 0.006,
		TraceOutputTokens: 4000, OutputTokens: 4000,
		SharedPrefixLines:  30,
		SharedPrefixTTFTms: stats.Summary{N: 30, P50: 12.5}, NewPrefixTTFTms: stats.Summary{N: 16, P50: 41},
	}
	b.Reset()
	require.NoError(t, Markdown(&b, m, recs, Options{}))
	md := b.String()
	require.Contains(t, md, "### Trace replay")
	assert.Contains(t, md, "`demo.jsonl` (mooncake, sha256 0123456789ab), prompts calibrated by tokenize: 1.214 tokens per word, 18 tokens of chat template")
	assert.Contains(t, md, "| 46 | 80510 / 80100 | 0.6 % | 4000 / 4000 | 0.0 % | 12.5 ms (30 lines) | 41.0 ms (16 lines) |")
}
