package sidecar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample() *Metrics {
	r := 1.0
	return &Metrics{
		SchemaVersion: SchemaVersion, Complete: true, EndReason: EndFinished,
		StartedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 11, 26, 10, 5, 0, 0, time.UTC),
		Target: Target{BaseURL: "http://gpu-box:5002/v1", Model: "Qwen/Qwen3-32B-AWQ", Kind: KindVLLM},
		ToolCalling: &ToolCalling{ParseSuccessRate: &r, JSONValidRate: nil, Scenarios: []Scenario{{
			Name: "simple", Attempts: 3, Passed: 3, PassRate: 1, Verdict: VerdictPass,
			Checks:    map[string]int{"parsed": 3, "json_valid": 3, "schema_valid": 3, "args_match": 3},
			Diagnoses: []Diagnosis{},
		}}},
		Stability: &Stability{Runs: []StabilityRun{{Name: "alternating", Requests: 20, Completed: 20, Errors: map[string]int{},
			Degradation: Degradation{Value: 0.1, Threshold: 0.2, Method: "m", Passed: true}}}},
	}
}

func TestSchemaAcceptsTheStructs(t *testing.T) {
	require.NoError(t, ValidateMetrics(sample()))
	require.NoError(t, ValidateMetrics(&Metrics{SchemaVersion: 2, EndReason: EndPreflight, Target: Target{Kind: KindOpenAI}}),
		"a sidecar written after a failed preflight is valid too")
}

func TestSchemaRejects(t *testing.T) {
	type testCase struct {
		name   string
		mutate func(m map[string]any)
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		b, _ := json.Marshal(sample())
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		tc.mutate(m)
		b, _ = json.Marshal(m)
		assert.Error(t, Validate(b), tc.reason)
	}
	for _, tc := range []testCase{
		{"credentials in base_url", func(m map[string]any) { m["target"].(map[string]any)["base_url"] = "http://u:p@h/v1" }, "the sidecar must never carry credentials"},
		{"unknown kind", func(m map[string]any) { m["target"].(map[string]any)["kind"] = "tgi" }, "kind is one of three"},
		{"rate above 1", func(m map[string]any) { m["tool_calling"].(map[string]any)["parse_success_rate"] = 1.5 }, "rates are 0..1"},
		{"missing check", func(m map[string]any) {
			delete(m["tool_calling"].(map[string]any)["scenarios"].([]any)[0].(map[string]any)["checks"].(map[string]any), "args_match")
		}, "the contract's four checks are required"},
		{"missing degradation method", func(m map[string]any) {
			delete(m["stability"].(map[string]any)["runs"].([]any)[0].(map[string]any)["degradation"].(map[string]any), "method")
		}, "degradation says how it was computed"},
		{"bad time", func(m map[string]any) { m["started_at"] = "yesterday" }, "RFC 3339 times"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestWriteIsAtomicAndReadable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "metrics.json")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o644))
	require.NoError(t, Write(p, sample()))
	got, err := Read(p)
	require.NoError(t, err)
	assert.Equal(t, "Qwen/Qwen3-32B-AWQ", got.Target.Model)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left behind")
}

func TestEnding(t *testing.T) {
	assert.Equal(t, "finished", (&Metrics{EndReason: EndFinished}).Ending(), "no detail, no colon")
	assert.Equal(t, "interrupted: SIGINT", (&Metrics{EndReason: EndInterrupted, EndDetail: "SIGINT"}).Ending())
}

func TestValidateCurrent(t *testing.T) {
	b, err := json.Marshal(sample())
	require.NoError(t, err)
	require.NoError(t, ValidateCurrent(b), "what Write writes is current")
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["tool_calling"].(map[string]any)["scenarios"].([]any)[0].(map[string]any)["min_pass_rate"] = 1
	old, _ := json.Marshal(m)
	require.NoError(t, Validate(old), "the schema lets unknown fields through")
	err = ValidateCurrent(old)
	require.Error(t, err, "a field removed from the sidecar (0.2.0's scenarios[].min_pass_rate) is caught")
	assert.Contains(t, err.Error(), "min_pass_rate")
}
