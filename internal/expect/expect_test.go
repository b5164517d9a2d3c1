package expect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// The contract's example file (../shared/CONTRACT.md), whole.
const contractExample = `model: Qwen/Qwen3-32B-AWQ
max_model_len: 32768
vllm_version: "0.11.0"          # exact, or ">=0.10.2"
block_size: 16                  # vllm:cache_config_info labels
cache_dtype: auto
enable_prefix_caching: true
gpu_memory_utilization: 0.9
num_gpu_blocks: {min: 4000}     # a number, or {min, max}
auto_tool_choice: true          # behaviour probe: tool_choice auto accepted
reasoning_parser: true          # behaviour probe: reasoning split out of content
gpu: {name: "NVIDIA H100 80GB HBM3", count: 1}
`

func TestParseContractExample(t *testing.T) {
	d, err := Parse([]byte(contractExample))
	require.NoError(t, err)
	assert.Equal(t, "Qwen/Qwen3-32B-AWQ", *d.Model)
	assert.Equal(t, 32768, *d.MaxModelLen)
	assert.Equal(t, 0.9, *d.GPUMemoryUtilization)
	assert.Equal(t, "≥ 4000", d.NumGPUBlocks.String())
	assert.Nil(t, d.NumGPUBlocks.Max)
	assert.True(t, *d.AutoToolChoice)
	assert.Equal(t, 1, *d.GPU.Count)
	assert.Nil(t, d.Root, "an undeclared key is nil: not checked")
}

func TestParseRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "gpu_mem_util: 0.9\n", `field gpu_mem_util not found`},
		{"wrong type", "max_model_len: lots\n", "cannot unmarshal"},
		{"not yaml", "model: [unclosed\n", "line"},
		{"empty", "", "empty"},
		{"bad version", `vllm_version: "latest"`, "vllm_version"},
		{"fraction", "gpu_memory_utilization: 90\n", "fraction"},
		{"range key", "num_gpu_blocks: {least: 4}\n", `unknown key "least"`},
		{"empty range", "num_gpu_blocks: {}\n", "min or max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestLoadHashesTheBytes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "expected.yaml")
	require.NoError(t, os.WriteFile(p, []byte("block_size: 16\n"), 0o600))
	_, sha, err := Load(p)
	require.NoError(t, err)
	// sha256("block_size: 16\n")
	assert.Equal(t, "b3708b67d76d663fa978f456f40603e73e4e32f4f0f906328f93aacd5f6e4587", sha)
	_, _, err = Load(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "cannot read it")
}

func TestJudgeRows(t *testing.T) {
	d, err := Parse([]byte(contractExample + "tensor_parallel_size: 2\n"))
	require.NoError(t, err)
	facts := Facts{
		"model":                  {Value: "Qwen/Qwen3-32B-AWQ", Known: true, Source: SourceModels},
		"max_model_len":          {Value: "32768", Known: true, Source: SourceModels},
		"vllm_version":           {Value: "0.11.0", Known: true, Source: SourceVersion},
		"block_size":             {Value: "16", Known: true, Source: SourceCache},
		"cache_dtype":            {Value: "fp8", Known: true, Source: SourceCache},
		"enable_prefix_caching":  {Value: "True", Known: true, Source: SourceCache},
		"gpu_memory_utilization": {Value: "0.8", Known: true, Source: SourceCache},
		"num_gpu_blocks":         {Value: "27718", Known: true, Source: SourceCache},
		"tensor_parallel_size":   {Source: SourceTP, Note: "vLLM publishes no parallel_config_info"},
		"auto_tool_choice":       {Value: "false", Known: true, Source: SourceTool},
		"reasoning_parser":       {Value: "true", Known: true, Source: SourceReason},
		"gpu.count":              {Source: SourceNVML, Note: "no local GPU"},
	}
	e := Judge(d, facts, "expected.yaml", "abc")
	got := map[string]sidecar.Outcome{}
	for _, r := range e.Rows {
		got[r.Key] = r.Outcome
	}
	assert.Equal(t, map[string]sidecar.Outcome{
		"model": sidecar.Pass, "max_model_len": sidecar.Pass, "vllm_version": sidecar.Pass, "block_size": sidecar.Pass,
		"cache_dtype": sidecar.Fail, "enable_prefix_caching": sidecar.Pass, "gpu_memory_utilization": sidecar.Fail,
		"num_gpu_blocks": sidecar.Pass, "tensor_parallel_size": sidecar.Unknown, "auto_tool_choice": sidecar.Fail,
		"reasoning_parser": sidecar.Pass, "gpu.name": sidecar.Unknown, "gpu.count": sidecar.Unknown,
	}, got)
	assert.Equal(t, "cache_dtype: expected auto, found fp8 (vllm:cache_config_info); gpu_memory_utilization: expected 0.9, found 0.8 (vllm:cache_config_info); auto_tool_choice: expected true, found false (probe: tool_choice auto)", Mismatches(e))
	assert.Contains(t, Table(e), "(not exposed)")
	j := sidecar.Judge{}
	assert.Equal(t, sidecar.Fail, j.Checks(e.Checks()))
	// Unknown rows alone fail nothing, unless ACCEPTANCE_FAIL_UNKNOWN names them.
	only := &sidecar.ExpectedConfig{Rows: []sidecar.ExpectedRow{e.Rows[0], e.Rows[8]}}
	passed, ok := j.Section(&sidecar.Metrics{ExpectedConfig: only}, sidecar.SectionExpectedConfig)
	assert.True(t, ok)
	assert.True(t, passed)
	passed, _ = sidecar.NewJudge("expected_config.tensor_parallel_size").Section(&sidecar.Metrics{ExpectedConfig: only}, sidecar.SectionExpectedConfig)
	assert.False(t, passed)
}

func TestVersionMatches(t *testing.T) {
	for _, tc := range []struct {
		spec, found string
		ok          bool
	}{
		{"0.11.0", "0.11.0", true},
		{"0.11.0", "v0.11.0", true},
		{"0.11", "0.11.0", true},
		{"0.11.0", "0.11.1", false},
		{">=0.10.2", "0.11.0", true},
		{">=0.10.2", "0.10.1.dev12+gabc", false},
		{">=0.10.2", "0.10.2+cu128", true},
		{"0.11.0", "0.0.0-vllm-acceptance-sim", false},
		{"0.11.0", "nightly", false},
	} {
		ok, _ := versionMatches(tc.spec, tc.found)
		assert.Equal(t, tc.ok, ok, "%s against %s", tc.spec, tc.found)
	}
}
