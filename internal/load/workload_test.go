package load

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

func replayTrace(t *testing.T) *trace.Trace {
	tr, err := trace.Parse(strings.NewReader(`{"timestamp": 0, "input_length": 1000, "output_length": 50, "hash_ids": [1, 2]}
{"timestamp": 10, "input_length": 600, "output_length": 20, "hash_ids": [1, 3]}
{"timestamp": 20, "input_length": 200, "output_length": 10, "hash_ids": [4]}
`), "r.jsonl")
	require.NoError(t, err)
	return tr
}

// TestReplayCountsAskedAgainstAchieved: the error is Σ|counted − asked| /
// Σ asked over the completed requests; a failed request counts as a line
// sent, not as a length.
func TestReplayCountsAskedAgainstAchieved(t *testing.T) {
	tr := replayTrace(t)
	p := NewReplay(tr, trace.NewBuilder(trace.Calibration{TokensPerWord: 1.2, Overhead: 9, Source: "tokenize"}), 2)
	p.Add(tr.Requests[0], 0, &record.Record{Status: 200, PromptTokens: 1010, CompletionTokens: 50, TTFTms: 40})
	p.Add(tr.Requests[1], 512, &record.Record{Status: 200, PromptTokens: 590, CompletionTokens: 20, TTFTms: 10})
	p.Add(tr.Requests[2], 0, &record.Record{Status: 500, ErrorKind: record.ErrHTTP})
	w := p.Workload()
	assert.Equal(t, 3, w.Lines)
	assert.Equal(t, int64(1600), w.TraceInputTokens)
	assert.Equal(t, int64(1600), w.InputTokens)
	assert.InDelta(t, 20.0/1600, w.InputError, 1e-12, "10 over and 10 under do not cancel")
	assert.Zero(t, w.OutputError)
	assert.Equal(t, 2, w.Input.N)
	require.NotNil(t, w.Calibration)
	assert.Equal(t, "tokenize", w.Calibration.Source)
	assert.Len(t, w.Histograms, 6)
	assert.Equal(t, 1, w.SharedPrefixLines)
	assert.InDelta(t, 10, w.SharedPrefixTTFTms.P50, 0.01, "line 2 shares line 1's first block, 512 of its 600 tokens")
	assert.InDelta(t, 40, w.NewPrefixTTFTms.P50, 0.05)
}

// TestMergeWorkloadsAddsTheShards: two shards' replays merge into the
// replay of the whole trace; shards of different traces are refused.
func TestMergeWorkloadsAddsTheShards(t *testing.T) {
	tr := replayTrace(t)
	tr.SHA256 = "abc"
	a, b := NewReplay(tr, nil, 1), NewReplay(tr, nil, 1)
	a.Add(tr.Requests[0], 0, &record.Record{Status: 200, PromptTokens: 1000, CompletionTokens: 40})
	a.Add(tr.Requests[2], 0, &record.Record{Status: 200, PromptTokens: 200, CompletionTokens: 10})
	b.Add(tr.Requests[1], 512, &record.Record{Status: 200, PromptTokens: 600, CompletionTokens: 20})
	m, err := MergeWorkloads([]*sidecar.Workload{a.Workload(), b.Workload()})
	require.NoError(t, err)
	assert.Equal(t, 3, m.Lines)
	assert.Equal(t, 3, m.TraceOutput.N, "the histograms add")
	assert.InDelta(t, 10.0/80, m.OutputError, 1e-12)
	assert.Equal(t, 1, m.SharedPrefixLines)

	other := *b.Workload()
	other.SHA256 = "def"
	_, err = MergeWorkloads([]*sidecar.Workload{a.Workload(), &other})
	assert.ErrorContains(t, err, "every shard must replay the same trace")

	none, err := MergeWorkloads([]*sidecar.Workload{nil, nil})
	require.NoError(t, err)
	assert.Nil(t, none, "synthetic runs merge to no workload")
}
