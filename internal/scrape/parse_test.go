package scrape

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseFile(t *testing.T, name string) (Snapshot, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	return Parse(f)
}

// vllm-v0.10.txt: V1 engine names, two engines (data parallel) to sum.
func TestParseV010(t *testing.T) {
	s, err := parseFile(t, "vllm-v0.10.txt")
	require.NoError(t, err)
	assert.Equal(t, 0.4375, s.KVCacheUsage, "the fuller engine's usage, not 0.4375+0.3125")
	assert.Equal(t, 21.0, s.Running, "12 + 9 over engines")
	assert.Equal(t, 3.0, s.Waiting)
	assert.Equal(t, 7.0, s.Preemptions, "vllm:num_preemptions_total, 4 + 3")

	require.NotNil(t, s.TTFT)
	assert.Equal(t, 24.0, s.TTFT.Count)
	assert.InDelta(t, 11.044, s.TTFT.Sum, 1e-9)
	require.Len(t, s.TTFT.Buckets, 22, "vLLM's 22 TTFT bounds; +Inf left out")
	assert.Equal(t, 0.001, s.TTFT.Buckets[0].LE)
	assert.Equal(t, 2560.0, s.TTFT.Buckets[21].LE)
	byLE := map[float64]float64{}
	for _, b := range s.TTFT.Buckets {
		byLE[b.LE] = b.Count
	}
	assert.Equal(t, 0.0, byLE[0.02])
	assert.Equal(t, 11.0, byLE[0.1], "6 (engine 0) + 5 (engine 1) observations <= 0.1 s")
	assert.Equal(t, 24.0, byLE[5.0])

	assert.Equal(t, map[string]float64{
		KeyKVCacheUsage: 0.4375, KeyRunning: 21, KeyWaiting: 3, KeyPreemptions: 7,
		KeyTTFTCount: 24, KeyTTFTSum: s.TTFT.Sum,
	}, s.Values())
}

// vllm-v0.6-old-names.txt: V0 engine, gpu_cache_usage_perc, model_name only.
func TestParseOldNames(t *testing.T) {
	s, err := parseFile(t, "vllm-v0.6-old-names.txt")
	require.NoError(t, err)
	assert.Equal(t, 0.8125, s.KVCacheUsage, "from vllm:gpu_cache_usage_perc")
	assert.Equal(t, 5.0, s.Running)
	assert.Equal(t, 1.0, s.Waiting)
	assert.Equal(t, 2.0, s.Preemptions)
	require.NotNil(t, s.TTFT)
	assert.Equal(t, 5.0, s.TTFT.Count)
	assert.Len(t, s.TTFT.Buckets, 16)
	assert.Equal(t, "16", s.Info["cache_config_info.block_size"], "the engine configuration vLLM exposes as *_info gauges")
	assert.Equal(t, "0.9", s.Info["cache_config_info.gpu_memory_utilization"])
}

func TestParse(t *testing.T) {
	type testCase struct {
		name    string
		text    string
		want    map[string]float64
		wantErr string
	}
	run := func(t *testing.T, tc testCase) {
		s, err := Parse(strings.NewReader(tc.text))
		if tc.wantErr != "" {
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, s.Values())
	}
	for _, tc := range []testCase{
		{
			name: "bare counter name, as some exporters write it",
			text: "# TYPE vllm:num_preemptions counter\nvllm:num_preemptions{model_name=\"m\"} 5\n",
			want: map[string]float64{KeyPreemptions: 5},
		},
		{
			name: "untyped series without TYPE lines",
			text: "vllm:num_requests_running{model_name=\"a\"} 2\nvllm:num_requests_running{model_name=\"b\"} 3\n",
			want: map[string]float64{KeyRunning: 5},
		},
		{
			name: "new name wins over the deprecated one",
			text: "vllm:gpu_cache_usage_perc 0.9\nvllm:kv_cache_usage_perc 0.5\n",
			want: map[string]float64{KeyKVCacheUsage: 0.5},
		},
		{
			name: "no histogram: ttft keys absent, not zero",
			text: "vllm:num_requests_waiting 0\n",
			want: map[string]float64{KeyWaiting: 0},
		},
		{
			name:    "other server's metrics",
			text:    "# TYPE go_goroutines gauge\ngo_goroutines 12\n",
			wantErr: "no vllm: metrics",
		},
		{
			name:    "empty body",
			text:    "",
			wantErr: "no vllm: metrics",
		},
		{
			name:    "JSON error body",
			text:    `{"detail":"Not Found"}`,
			wantErr: "not Prometheus text",
		},
		{
			name:    "garbage",
			text:    "vllm:num_requests_running{model_name=\"a\" 2\n",
			wantErr: "not Prometheus text",
		},
		{
			name:    "value not a number",
			text:    "vllm:num_requests_running twelve\n",
			wantErr: "not Prometheus text",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestParseHTML(t *testing.T) {
	_, err := parseFile(t, "not-prometheus.html")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not Prometheus text")
}

func TestSubHistogram(t *testing.T) {
	before, err := parseFile(t, "vllm-v0.10.txt")
	require.NoError(t, err)
	after := *before.TTFT
	after.Buckets = append(after.Buckets[:0:0], after.Buckets...)
	after.Count += 2
	after.Sum += 0.5
	for i := range after.Buckets {
		if after.Buckets[i].LE >= 0.25 {
			after.Buckets[i].Count += 2
		}
	}
	d := SubHistogram(&after, before.TTFT)
	require.NotNil(t, d)
	assert.Equal(t, 2.0, d.Count)
	assert.InDelta(t, 0.5, d.Sum, 1e-9)
	for _, b := range d.Buckets {
		if b.LE >= 0.25 {
			assert.Equal(t, 2.0, b.Count, "le=%g", b.LE)
		} else {
			assert.Equal(t, 0.0, b.Count, "le=%g", b.LE)
		}
	}
	assert.Nil(t, SubHistogram(before.TTFT, &after), "counts going down mean a restart")
	assert.Nil(t, SubHistogram(nil, before.TTFT))
}
