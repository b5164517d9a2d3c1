package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsMatchContract(t *testing.T) {
	c, err := Load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "out", c.Out)
	assert.Equal(t, 120*time.Second, c.RequestTimeout)
	assert.Equal(t, 3, c.ToolCallRepeats)
	assert.Equal(t, 0.8, c.ModelMinPassRate)
	assert.Equal(t, 0.5, c.ModelScenarioMinPassRate)
	assert.Empty(t, c.Deprecations, "no deprecated knob set, nothing to say")
	assert.Equal(t, 20, c.StabilityRequests)
	assert.Equal(t, 5*time.Second, c.StabilityInterval)
	assert.Equal(t, 0.20, c.MaxDegradation)
}

func TestBadValuesNameTheVariableAndAnExample(t *testing.T) {
	type testCase struct {
		name   string
		env    map[string]string
		want   []string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		_, err := Load(env(tc.env))
		require.Error(t, err, tc.reason)
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, tc.reason)
		}
	}
	for _, tc := range []testCase{
		{"duration without unit", map[string]string{"ACCEPTANCE_STABILITY_INTERVAL": "5"}, []string{"ACCEPTANCE_STABILITY_INTERVAL=5", "needs a unit", "example: ACCEPTANCE_STABILITY_INTERVAL=5s"}, "the seed's PowerShell took seconds as a bare number; here that is an error, not 5 ns"},
		{"negative rate", map[string]string{"ACCEPTANCE_OPEN_LOOP_RATE": "-2"}, []string{"ACCEPTANCE_OPEN_LOOP_RATE", "negative", "example"}, "a negative rate is rejected"},
		{"not a number", map[string]string{"ACCEPTANCE_TOOLCALL_REPEATS": "three"}, []string{"ACCEPTANCE_TOOLCALL_REPEATS=three", "whole number", "ACCEPTANCE_TOOLCALL_REPEATS=3"}, "plain parse errors carry an example"},
		{"rate above one", map[string]string{"ACCEPTANCE_TOOLCALL_MIN_PASS_RATE": "90"}, []string{"ACCEPTANCE_TOOLCALL_MIN_PASS_RATE", "between 0 and 1"}, "a percentage typed as 90 is caught"},
		{"bad mode", map[string]string{"ACCEPTANCE_TOOLCALL_MODES": "plain,sse"}, []string{`"sse"`, "plain,stream"}, "unknown modes are rejected"},
		{"bad url", map[string]string{"VLLM_BASE_URL": "gpu-box:5002/v1"}, []string{"VLLM_BASE_URL", "http://"}, "a URL without scheme is caught before any request"},
		{"fail_unknown names no check", map[string]string{"ACCEPTANCE_FAIL_UNKNOWN": "no_preemptions"},
			[]string{`ACCEPTANCE_FAIL_UNKNOWN=no_preemptions: "no_preemptions" is not a check name`, "preemptions, vram_growth", "or all"},
			"issue 26: the old comment's no_preemptions (the check is preemptions) silently failed nothing"},
		{"fail_unknown with one typo among good names", map[string]string{"ACCEPTANCE_FAIL_UNKNOWN": "preemptions, vram_grwth,all"},
			[]string{`"vram_grwth" is not a check name`, "success_rate"}, "every name is checked, not only the first"},
		{"bad thinking mode", map[string]string{"ACCEPTANCE_THINKING": "off,yes"}, []string{`"yes"`, "off, on or default"}, "thinking settings are names too"},
		{"workload is neither synthetic nor a file", map[string]string{"ACCEPTANCE_WORKLOAD": "mooncake"},
			[]string{"ACCEPTANCE_WORKLOAD=mooncake", `neither "synthetic" nor a readable trace file`, "Mooncake JSONL or chat JSONL"}, "a format's name is not a workload"},
		{"several at once", map[string]string{"ACCEPTANCE_REQUEST_TIMEOUT": "soon", "ACCEPTANCE_PARALLEL": "x"}, []string{"ACCEPTANCE_REQUEST_TIMEOUT", "ACCEPTANCE_PARALLEL"}, "every bad knob is reported, not just the first"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestDeprecatedMinPassRate(t *testing.T) {
	type testCase struct {
		name      string
		env       map[string]string
		want      float64
		lineHas   string
		reasoning string
	}
	run := func(t *testing.T, tc testCase) {
		c, err := Load(env(tc.env))
		require.NoError(t, err)
		assert.Equal(t, tc.want, c.ModelScenarioMinPassRate, tc.reasoning)
		require.Len(t, c.Deprecations, 1, tc.reasoning)
		assert.Contains(t, c.Deprecations[0], tc.lineHas, tc.reasoning)
	}
	for _, tc := range []testCase{
		{"old knob alone", map[string]string{"ACCEPTANCE_TOOLCALL_MIN_PASS_RATE": "1.0"}, 1.0, "now sets ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE=1",
			"the old name keeps working for one version, mapped to the scenario-level model rate"},
		{"new knob wins", map[string]string{"ACCEPTANCE_TOOLCALL_MIN_PASS_RATE": "1.0", "ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE": "0.5"}, 0.5, "ignored",
			"an explicit new knob is never overridden by the deprecated one"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	_, err := Load(env(map[string]string{"VLLM_API_KEY": "sk-canary-config", "VLLM_BASE_URL": "nope"}))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sk-canary-config")
}

func TestProfileAndEnvPrecedence(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(p, []byte("toolcall_repeats: 5\nstability_interval: 250ms\ntoolcall_modes: [stream]\n"), 0o644))
	c, err := Load(env(map[string]string{"ACCEPTANCE_PROFILE": p, "ACCEPTANCE_TOOLCALL_REPEATS": "2"}))
	require.NoError(t, err)
	assert.Equal(t, 2, c.ToolCallRepeats, "env wins over the profile")
	assert.Equal(t, 250*time.Millisecond, c.StabilityInterval, "the profile sets what env does not")
	assert.Equal(t, []string{"stream"}, c.ToolCallModes, "YAML lists work")
	assert.Equal(t, p, c.SettingsFile)
}

func TestMalformedProfile(t *testing.T) {
	type testCase struct{ name, yaml, want, reason string }
	run := func(t *testing.T, tc testCase) {
		p := filepath.Join(t.TempDir(), "bad.yaml")
		require.NoError(t, os.WriteFile(p, []byte(tc.yaml), 0o644))
		_, err := Load(env(map[string]string{"ACCEPTANCE_PROFILE": p}))
		require.Error(t, err, tc.reason)
		assert.Contains(t, err.Error(), "bad.yaml", "the error names the file")
		assert.Contains(t, err.Error(), tc.want, tc.reason)
	}
	for _, tc := range []testCase{
		{"syntax", "toolcall_repeats: [1,\n", "yaml", "YAML syntax errors are reported"},
		{"unknown key", "toolcall_repeat: 3\n", `unknown key "toolcall_repeat"`, "a typo is an error"},
		{"bad value", "stability_interval: 5\n", "needs a unit", "values parse like the environment's"},
		{"key in profile", "api_key: sk-x\n", "unknown key", "the key cannot live in a profile file that gets committed"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
	_, err := Load(env(map[string]string{"ACCEPTANCE_PROFILE": "/nonexistent/p.yaml"}))
	assert.ErrorContains(t, err, "ACCEPTANCE_PROFILE")
}

func TestDeprecatedMinPassRateNeverOverridesTheProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(p, []byte("model_scenario_min_pass_rate: 0.4\n"), 0o644))
	c, err := Load(env(map[string]string{"ACCEPTANCE_PROFILE": p, "ACCEPTANCE_TOOLCALL_MIN_PASS_RATE": "1.0"}))
	require.NoError(t, err)
	assert.Equal(t, 0.4, c.ModelScenarioMinPassRate, "the new knob set in the profile wins over the deprecated one in the environment")
	require.Len(t, c.Deprecations, 1)
	assert.Contains(t, c.Deprecations[0], "ignored")
}

func TestNamedKnobsAcceptEveryValidName(t *testing.T) {
	for _, n := range append(checkname.Names(), checkname.All) {
		c, err := Load(env(map[string]string{"ACCEPTANCE_FAIL_UNKNOWN": n}))
		require.NoError(t, err, "%s is a check name", n)
		assert.Equal(t, n, c.FailUnknown)
	}
	_, err := Load(env(map[string]string{"ACCEPTANCE_WORKLOAD": "traces/demo.jsonl", "ACCEPTANCE_THINKING": "default"}))
	require.NoError(t, err, "the demo trace exists (relative to the repository root)")
}

func TestFailUnknownInSettingsFileIsRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte("fail_unknown: [preemptions, no_preemptions]\n"), 0o600))
	_, err := Load(env(map[string]string{"ACCEPTANCE_PROFILE": p}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no_preemptions" is not a check name`)
}
