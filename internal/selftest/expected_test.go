package selftest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestExpectedConfig proves the expected-config verdict (issue 28): a
// server whose configuration differs from the declaration fails before any
// load, with the table of expected against found; a fact the server does
// not expose is unknown, never failed; a healthy server that matches
// passes; a malformed file is a configuration error of one line.
func TestExpectedConfig(t *testing.T) {
	t.Parallel()
	declare := func(t *testing.T, yaml string) string {
		p := filepath.Join(t.TempDir(), "expected.yaml")
		require.NoError(t, os.WriteFile(p, []byte(yaml), 0o600))
		return p
	}
	rows := func(m *sidecar.Metrics) map[string]sidecar.Outcome {
		out := map[string]sidecar.Outcome{}
		if m != nil && m.ExpectedConfig != nil {
			for _, r := range m.ExpectedConfig.Rows {
				out[r.Key] = r.Outcome
			}
		}
		return out
	}
	type testCase struct {
		name, persona, yaml string
		wantFail            bool
		rows                map[string]sidecar.Outcome
		output              []string
	}
	for _, tc := range []testCase{
		{"gpu_memory_utilization 0.8 served, 0.9 declared", "healthy?gpu_memory_utilization=0.8",
			"model: Qwen/Qwen3-32B-AWQ\ngpu_memory_utilization: 0.9\nblock_size: 16\n", true,
			map[string]sidecar.Outcome{"model": sidecar.Pass, "gpu_memory_utilization": sidecar.Fail, "block_size": sidecar.Pass},
			[]string{"gpu_memory_utilization: expected 0.9, found 0.8 (vllm:cache_config_info)", "checked before any load", "expected  ", "found"}},
		{"auto tool choice off, declared on", "no_auto_tool_choice",
			"auto_tool_choice: true\nmax_model_len: 32768\n", true,
			map[string]sidecar.Outcome{"auto_tool_choice": sidecar.Fail, "max_model_len": sidecar.Pass},
			[]string{"auto_tool_choice: expected true, found false (probe: tool_choice auto)"}},
		{"reasoning parser off, declared on", "think_leak",
			"reasoning_parser: true\n", true,
			map[string]sidecar.Outcome{"reasoning_parser": sidecar.Fail}, []string{"reasoning_parser: expected true, found false"}},
		{"healthy, matching, facts not exposed are unknown", "healthy",
			"model: Qwen/Qwen3-32B-AWQ\nroot: Qwen/Qwen3-32B-AWQ\nmax_model_len: 32768\nblock_size: 16\ncache_dtype: auto\nenable_prefix_caching: true\n" +
				"gpu_memory_utilization: 0.9\nnum_gpu_blocks: {min: 1000, max: 2000}\nauto_tool_choice: true\nreasoning_parser: true\n" +
				"tensor_parallel_size: 2\n", false,
			map[string]sidecar.Outcome{"model": sidecar.Pass, "root": sidecar.Pass, "max_model_len": sidecar.Pass, "block_size": sidecar.Pass,
				"cache_dtype": sidecar.Pass, "enable_prefix_caching": sidecar.Pass, "gpu_memory_utilization": sidecar.Pass,
				"num_gpu_blocks": sidecar.Pass, "auto_tool_choice": sidecar.Pass, "reasoning_parser": sidecar.Pass,
				// vLLM publishes no parallel_config_info.
				"tensor_parallel_size": sidecar.Unknown},
			[]string{"vLLM publishes no parallel_config_info"}},
		{"the simulator's /version is no vLLM release", "healthy", "vllm_version: \">=0.10.2\"\n", true,
			map[string]sidecar.Outcome{"vllm_version": sidecar.Fail}, []string{"found 0.0.0-vllm-acceptance-sim (GET /version)"}},
		{"no /metrics: the cache facts are unknown, not failed", "healthy?metrics=404",
			"block_size: 32\ngpu_memory_utilization: 0.5\n", false,
			map[string]sidecar.Outcome{"block_size": sidecar.Unknown, "gpu_memory_utilization": sidecar.Unknown}, []string{"(not exposed)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"ACCEPTANCE_SIMULATOR": tc.persona, "ACCEPTANCE_EXPECT_CONFIG": declare(t, tc.yaml)}
			run := "TestExpectedConfig$"
			if tc.wantFail {
				// A load case too: it must fail with the mismatch, unrun.
				run += "|TestStability"
			}
			o := Run(t, env, 2*time.Minute, "-test.run", run, "-test.timeout", "5m")
			require.NotNil(t, o.Metrics, "%s", tail(o.Output))
			assert.Equal(t, tc.rows, rows(o.Metrics), "%s", tail(o.Output))
			for _, w := range tc.output {
				assert.Contains(t, o.Output, w)
			}
			assert.Len(t, o.Metrics.Provenance.ExpectConfigSHA256, 64, "the declaration's hash is in the provenance compare checks")
			if tc.wantFail {
				assert.NotEqual(t, 0, o.ExitCode)
				assert.Equal(t, "FAIL", o.Tests["TestExpectedConfig"], "%s", tail(o.Output))
				assert.Equal(t, "FAIL", o.Tests["TestStability"], "every case fails with the mismatch")
				assert.Empty(t, o.Records, "a mismatch fails before any load: no request was recorded")
				assert.Equal(t, sidecar.EndPreflight, o.Metrics.EndReason)
				assert.False(t, o.Metrics.Passed())
				return
			}
			assert.Equal(t, "PASS", o.Tests["TestExpectedConfig"], "%s", tail(o.Output))
			assert.True(t, o.Metrics.ExpectedConfig != nil && o.Metrics.Passed(), "the section passes and so does the run")
		})
	}
}

// TestExpectedConfigBadFile: a malformed declaration or an unknown key
// stops the run at start with one line naming the file and the key.
func TestExpectedConfigBadFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "expected.yaml")
	require.NoError(t, os.WriteFile(p, []byte("gpu_mem_util: 0.9\n"), 0o600))
	o := Run(t, map[string]string{"ACCEPTANCE_SIMULATOR": "healthy", "ACCEPTANCE_EXPECT_CONFIG": p}, time.Minute, "-test.run", "TestExpectedConfig$")
	assert.NotEqual(t, 0, o.ExitCode)
	assert.Equal(t, "FAIL", o.Tests["TestExpectedConfig"])
	assert.Contains(t, o.Output, "[invalid_config]: ACCEPTANCE_EXPECT_CONFIG="+p)
	assert.Contains(t, o.Output, "gpu_mem_util")
	assert.Contains(t, o.Output, "known keys: model, root")
	assert.NotContains(t, o.Output, "panic")
}
