package capacity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
)

// TestProbeConcurrency: the batch limit from the engine's /metrics
// labels, in order: a max_num_seqs label, the KV cache's room
// (vllm:cache_config_info's num_gpu_blocks × block_size over a request's
// tokens; the labels as tools/gpuengine and vLLM publish them), the
// stated default; capped.
func TestProbeConcurrency(t *testing.T) {
	for _, c := range []struct {
		name   string
		info   map[string]string
		tokens int
		want   int
		source string
	}{
		{"nothing on /metrics (the simulator)", map[string]string{"cache_config_info.block_size": "16"}, 132, DefaultProbeConcurrency, SourceDefault},
		{"no /metrics at all", nil, 132, DefaultProbeConcurrency, SourceDefault},
		{"max_num_seqs published", map[string]string{"scheduler_config_info.max_num_seqs": "48", "cache_config_info.num_gpu_blocks": "16383",
			"cache_config_info.block_size": "16"}, 132, 48, SourceMaxNumSeqs},
		{"a small KV cache", map[string]string{"cache_config_info.num_gpu_blocks": "100", "cache_config_info.block_size": "16"}, 132, 12, SourceKVCache},
		{"a large KV cache: capped", map[string]string{"cache_config_info.num_gpu_blocks": "16383", "cache_config_info.block_size": "16"}, 132, MaxProbeConcurrency, SourceKVCache},
		{"a KV cache smaller than one request: the default", map[string]string{"cache_config_info.num_gpu_blocks": "1", "cache_config_info.block_size": "16"}, 132, DefaultProbeConcurrency, SourceDefault},
		{"garbage labels: the default", map[string]string{"cache_config_info.num_gpu_blocks": "None", "x.max_num_seqs": "many"}, 132, DefaultProbeConcurrency, SourceDefault},
	} {
		got, source, detail := ProbeConcurrency(c.info, c.tokens)
		assert.Equal(t, c.want, got, "%s: %s", c.name, detail)
		assert.Equal(t, c.source, source, c.name)
		assert.NotEmpty(t, detail)
	}
}

// TestDrainFor: a request still running after the TTFT SLO plus every
// further token at the TPOT SLO cannot meet them; without SLOs the drain
// is the step's length.
func TestDrainFor(t *testing.T) {
	assert.Equal(t, 2*time.Second+99*100*time.Millisecond, DrainFor(2*time.Second, 100*time.Millisecond, 100, 30*time.Second))
	assert.Equal(t, 30*time.Second, DrainFor(0, 100*time.Millisecond, 100, 30*time.Second))
	assert.Equal(t, 2*time.Second, DrainFor(2*time.Second, 100*time.Millisecond, 1, 30*time.Second))
}

// TestTimeBudget: the pace plan's figure for the search is the knob the
// search never passes.
func TestTimeBudget(t *testing.T) {
	c := config.DefaultCapacity()
	assert.Equal(t, 15*time.Minute, TimeBudget(c))
	c.CapacityMaxTime = 5 * time.Minute
	assert.Equal(t, 5*time.Minute, TimeBudget(c))
}
