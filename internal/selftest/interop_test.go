package selftest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestInteropLLMD runs the live suite against llm-d-inference-sim, a vLLM
// simulator written by another project (scripts/interop.sh starts it and
// sets LLMD_BASE_URL). Its tool arguments are random values that fit the
// schema, so with tool_choice required or named every call must be parsed,
// be valid JSON and satisfy the schema, while args_match failures are
// expected and must be reported as args_mismatch, not as crashes.
//
// What this proves: our client, stream reassembly, schema validation and
// diagnosis read a second, independent implementation of vLLM's wire format
// without misreporting it. What it does not prove: anything about a real
// model's tool-calling quality, or vLLM's parsers (the parser and reasoning
// diagnoses cannot occur there).
func TestInteropLLMD(t *testing.T) {
	url := llmdURL(t)
	o := Run(t, map[string]string{
		"VLLM_BASE_URL":               url,
		"ACCEPTANCE_FIXTURES":         filepath.Join(config.RepoRoot(), "internal/selftest/testdata/interop"),
		"ACCEPTANCE_THINKING":         "default",
		"ACCEPTANCE_TOOLCALL_MODES":   "plain,stream",
		"ACCEPTANCE_TOOLCALL_REPEATS": "5",
		"ACCEPTANCE_REQUEST_TIMEOUT":  "30s",
	}, 5*time.Minute, "-test.run", "TestToolCalling")
	require.NotNil(t, o.Metrics, o.Output)
	require.True(t, o.Metrics.Complete, "the run completes:\n%s", tail(o.Output))
	assert.Equal(t, "openai-compatible", o.Metrics.Target.Kind, "llm-d-inference-sim has no /version, so it is not claimed to be vLLM")
	require.NotNil(t, o.Metrics.ToolCalling)
	require.Len(t, o.Metrics.ToolCalling.Scenarios, 8, "4 interop scenarios x plain and stream")
	for _, s := range o.Metrics.ToolCalling.Scenarios {
		t.Logf("%s [%s]: checks %v, diagnoses %v", s.Name, s.Mode, s.Checks, codes(s))
		for _, c := range []string{"parsed", "json_valid", "schema_valid"} {
			assert.Equal(t, s.Attempts, s.Checks[c], "%s [%s]: %s must hold on every attempt", s.Name, s.Mode, c)
		}
		// Expected there: args_mismatch (random values), stream_mismatch (a
		// fresh random draw for the streamed twin, so the streamed call
		// differs from the non-streamed one) and stream_malformed (its
		// finish_reason on every call's last chunk when it sends several).
		for _, d := range s.Diagnoses {
			assert.Contains(t, []string{"args_mismatch", "stream_mismatch", "stream_malformed"}, d.Code,
				"%s [%s]: only consequences of random arguments and the known multi-finish-chunk quirk are expected, got %s: %s", s.Name, s.Mode, d.Code, d.Example)
		}
	}
	assert.NotNil(t, o.Metrics.ToolCalling.ParseSuccessRate)
	assert.Equal(t, 1.0, *o.Metrics.ToolCalling.ParseSuccessRate)
	assert.Equal(t, 1.0, *o.Metrics.ToolCalling.JSONValidRate)
	assert.NotEmpty(t, o.Records)
	for _, r := range o.Records {
		assert.Empty(t, r.ErrorKind, "no transport failure against llm-d-inference-sim: %s", r.Error)
	}
}

// TestInteropLLMDServerView runs the load runs against llm-d-inference-sim,
// which publishes some of vLLM's latency histograms on /metrics: the server
// view must read them as vLLM's (or say which are missing), and
// client_server_gap must come out judged or unknown, never crash the run.
// What it says there is logged (docs/methods.md quotes it).
func TestInteropLLMDServerView(t *testing.T) {
	url := llmdURL(t)
	o := Run(t, map[string]string{
		"VLLM_BASE_URL":                   url,
		"ACCEPTANCE_SHORT_TOKENS":         "8",
		"ACCEPTANCE_CONCURRENCY":          "4",
		"ACCEPTANCE_CONCURRENCY_REQUESTS": "16",
		"ACCEPTANCE_OPEN_LOOP_RATE":       "20",
		"ACCEPTANCE_OPEN_LOOP_REQUESTS":   "20",
		"ACCEPTANCE_REQUEST_TIMEOUT":      "30s",
	}, 3*time.Minute, "-test.run", "TestConcurrency")
	require.NotNil(t, o.Metrics, o.Output)
	require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
	require.Len(t, o.Metrics.Concurrency.Runs, 2, tail(o.Output))
	for _, r := range o.Metrics.Concurrency.Runs {
		v := r.ServerView
		require.NotNil(t, v, r.Name)
		t.Logf("%s: server view: available %v, requests %g/%d, note %q", r.Name, v.Available, v.Requests, v.ClientRequests, v.Note)
		if v.TTFTms != nil {
			t.Logf("%s: TTFT server mean %.1f ms p50 %.1f [%g-%g], client p50 %.1f ms", r.Name, v.TTFTms.Mean, v.TTFTms.P50, v.TTFTms.P50Low, v.TTFTms.P50High, r.TTFTms.P50)
		}
		var gap *sidecar.Check
		for i := range r.Checks {
			if r.Checks[i].Name == sidecar.CheckClientServerGap {
				gap = &r.Checks[i]
			}
		}
		require.NotNil(t, gap, r.Name)
		t.Logf("%s: client_server_gap passed=%v skipped=%v value=%.2f: %s", r.Name, gap.Passed, gap.Skipped, gap.Value, gap.Detail)
		assert.True(t, v.Available, "%s: llm-d-inference-sim publishes vllm: series: %s", r.Name, v.Note)
		assert.NotContains(t, gap.Detail, "panic", r.Name)
	}
}

// llmdURL is the llm-d-inference-sim to test, or skips with the reason.
func llmdURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("LLMD_BASE_URL")
	if url == "" {
		t.Skip("LLMD_BASE_URL not set: scripts/interop.sh (make interop, part of make test) starts llm-d-inference-sim and sets it")
	}
	return url
}

// TestInteropLLMDStructured runs TestContract and TestStructuredOutputs
// against llm-d-inference-sim v0.10.2 (scripts/interop.sh). What it
// supports must pass: /tokenize and usage.prompt_tokens agree, streamed
// usage adds up, max_tokens 0 and n 0 are refused with a 400 naming them.
// What it does not do is reported as the server's, with its code, never
// as a crash: it accepts temperature -1, top_p 2 and a malformed
// response_format (contract_param_accepted), answers an unknown tool_choice
// with a 500 (streamed: a 200), and does not constrain its random text,
// so every structured-output mode fails as not JSON or outside the
// constraint.
func TestInteropLLMDStructured(t *testing.T) {
	url := llmdURL(t)
	o := Run(t, map[string]string{
		"VLLM_BASE_URL":                 url,
		"ACCEPTANCE_THINKING":           "default",
		"ACCEPTANCE_STRUCTURED_REPEATS": "2",
		"ACCEPTANCE_REQUEST_TIMEOUT":    "30s",
	}, 5*time.Minute, "-test.run", "TestStructuredOutputs$|TestContract")
	require.NotNil(t, o.Metrics, o.Output)
	require.True(t, o.Metrics.Complete, "the run completes:\n%s", tail(o.Output))
	ct := o.Metrics.Contract
	require.NotNil(t, ct, tail(o.Output))
	assert.True(t, ct.Tokenize, "llm-d-inference-sim has /tokenize")
	for _, c := range ct.Checks {
		t.Logf("%s/%s: %s %s %s", c.Name, c.Mode, c.Outcome, c.Code, c.Detail)
		switch c.Name {
		case "prompt_tokens", "stream_usage", "max_tokens_zero", "n_zero":
			assert.Equal(t, sidecar.Pass, c.Outcome, "%s/%s is supported: %s", c.Name, c.Mode, c.Detail)
		case "temperature_negative", "top_p_above_one", "response_format_malformed":
			assert.Equal(t, sidecar.Fail, c.Outcome, "%s/%s", c.Name, c.Mode)
			assert.Equal(t, "contract_param_accepted", c.Code, "%s/%s", c.Name, c.Mode)
		case "tool_choice_unknown":
			assert.Equal(t, sidecar.Fail, c.Outcome, "%s/%s", c.Name, c.Mode)
			assert.Contains(t, []string{"contract_param_server_error", "contract_param_accepted"}, c.Code, "%s/%s", c.Name, c.Mode)
		}
	}
	so := o.Metrics.StructuredOutputs
	require.NotNil(t, so, tail(o.Output))
	for _, s := range so.Scenarios {
		assert.Equal(t, sidecar.Fail, s.Outcome, "%s [%s]: llm-d-inference-sim does not constrain its output", s.Name, s.Mode)
		for _, d := range s.Diagnoses {
			assert.Contains(t, []string{"structured_not_json", "structured_schema_violation", "structured_truncated_max_tokens", "structured_wrong_value"}, d.Code,
				"%s [%s]: random text is judged as such, got %s: %s", s.Name, s.Mode, d.Code, d.Example)
		}
	}
	for _, r := range o.Records {
		if r.Status == 0 {
			assert.Empty(t, r.ErrorKind, "no transport failure against llm-d-inference-sim: %s", r.Error)
		}
	}
}
