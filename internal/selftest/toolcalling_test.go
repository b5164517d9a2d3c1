package selftest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

func catalogue(t *testing.T) map[string]*fixture.Scenario {
	ss, err := fixture.LoadFS(fixtures.FS, ".", "fixtures")
	require.NoError(t, err)
	out := map[string]*fixture.Scenario{}
	for _, s := range ss {
		out[s.Name] = s
	}
	return out
}

// firstStepCalls: the scenario's first request must produce a tool call.
func firstStepCalls(s *fixture.Scenario) bool { return len(s.Steps[0].Calls) > 0 }

// autoWithCalls: the first request wants a call and leaves the choice to
// the model (tool_choice auto), the only path through vLLM's tool parser.
func autoWithCalls(s *fixture.Scenario) bool { return firstStepCalls(s) && s.ToolChoice == "auto" }

// TestToolCallingVerdicts runs the whole catalogue against each simulator
// persona and asserts the verdict of every scenario and mode: the ones the
// fault affects fail with its diagnosis code and print its remedy; all the
// others pass. healthy must pass everything.
func TestToolCallingVerdicts(t *testing.T) {
	t.Parallel()
	cat := catalogue(t)
	type testCase struct {
		persona string
		// affected says which scenario (and mode) must fail; nil: none.
		affected func(s *fixture.Scenario, mode string) bool
		code     diagnosis.Code
		// remedy is a piece of the fix that must reach the test output.
		remedy string
		env    map[string]string
		reason string
		// detail is a piece of what was seen that the first failure line
		// must carry (the field a wire failure names, the limit that was
		// hit); "" checks nothing more.
		detail string
		// plainCodeOnly: streamed answers of affected scenarios must fail,
		// but may show another code (a streamed "function": null
		// reassembles to a call without a name).
		plainCodeOnly bool
	}
	run := func(t *testing.T, tc testCase) {
		url := Serve(t, sim.New(mustPersona(t, tc.persona), nil))
		env := map[string]string{
			"VLLM_BASE_URL":               url,
			"ACCEPTANCE_TOOLCALL_REPEATS": "2",
			"ACCEPTANCE_THINKING":         "off",
			"ACCEPTANCE_PARALLEL":         "8",
			"ACCEPTANCE_REQUEST_TIMEOUT":  "20s",
		}
		for k, v := range tc.env {
			env[k] = v
		}
		o := Run(t, env, 3*time.Minute, "-test.run", "TestToolCalling")
		require.NotNil(t, o.Metrics, "metrics.json written:\n%s", tail(o.Output))
		require.True(t, o.Metrics.Complete, tail(o.Output))
		assert.Equal(t, sidecar.KindSimulator, o.Metrics.Target.Kind, "the simulator says so in /version, and every output then says kind simulator")
		require.NotNil(t, o.Metrics.ToolCalling)
		var failed int
		for _, s := range o.Metrics.ToolCalling.Scenarios {
			sc := cat[s.Name]
			require.NotNil(t, sc, s.Name)
			want := tc.affected != nil && tc.affected(sc, s.Mode)
			if want {
				failed++
				assert.Equal(t, sidecar.VerdictFail, s.Verdict, "%s [%s] must fail under %s (%s)", s.Name, s.Mode, tc.persona, tc.reason)
				if !tc.plainCodeOnly || strings.HasSuffix(s.Mode, "/plain") {
					assert.Contains(t, codes(s), string(tc.code), "%s [%s] names %s", s.Name, s.Mode, tc.code)
				}
				if !strings.HasPrefix(string(tc.code), "parser_mismatch_") {
					for _, c := range codes(s) {
						assert.False(t, strings.HasPrefix(c, "parser_mismatch_"), "%s [%s]: %s names %s where the parser is not at fault", s.Name, s.Mode, tc.persona, c)
					}
				}
				assert.Equal(t, "FAIL", o.Tests["TestToolCalling/"+s.Name+"/"+s.Mode], "the subtest fails too")
			} else {
				assert.Equal(t, sidecar.VerdictPass, s.Verdict, "%s [%s] is not affected by %s and must pass; diagnoses %v", s.Name, s.Mode, tc.persona, s.Diagnoses)
			}
		}
		if tc.affected == nil {
			assert.Equal(t, 0, o.ExitCode, "healthy passes everything:\n%s", tail(o.Output))
			return
		}
		assert.Positive(t, failed, "the persona affects at least one scenario")
		assert.NotEqual(t, 0, o.ExitCode)
		lines := failLines(o.Output, string(tc.code))
		require.NotEmpty(t, lines, "the failure message names [%s]", tc.code)
		assert.Contains(t, lines[0], tc.remedy, "each failure line carries the remedy")
		assert.Contains(t, lines[0], "fix:", "each failure line says what to do")
		if tc.detail != "" {
			found := false
			for _, l := range lines {
				found = found || strings.Contains(l, tc.detail)
			}
			assert.True(t, found, "a failure line names %q:\n%s", tc.detail, strings.Join(lines, "\n"))
		}
		mentioned := false
		for _, r := range o.Records {
			for _, c := range r.Diagnoses {
				mentioned = mentioned || c == string(tc.code)
			}
		}
		if tc.code == diagnosis.StreamMismatch {
			// Decided over all of a scenario's answers, after their
			// records were written: the sidecar and JUnit carry it.
			assert.False(t, mentioned, "requests.jsonl records are written as each request finishes")
		} else {
			assert.True(t, mentioned, "requests.jsonl carries the code on the failing attempts")
		}
	}
	streamOnly := func(s *fixture.Scenario, mode string) bool {
		return firstStepCalls(s) && strings.HasSuffix(mode, "/stream")
	}
	calls := func(s *fixture.Scenario, _ string) bool { return firstStepCalls(s) }
	// streamWithArgs: streamed, and the first call's arguments stream in
	// more than one piece ("{}" is one).
	streamWithArgs := func(s *fixture.Scenario, mode string) bool {
		return streamOnly(s, mode) && len(s.Steps[0].Calls[0].Args) > 0
	}
	auto := func(s *fixture.Scenario, _ string) bool { return autoWithCalls(s) }
	// withArgs: the first call takes arguments; a tool that declares none
	// has no value to get wrong and no schema to break.
	withArgs := func(s *fixture.Scenario, _ string) bool {
		return firstStepCalls(s) && len(s.Steps[0].Calls[0].Args) > 0
	}
	// proseWanted: some step wants an answer without a call, with tools offered.
	proseWanted := func(s *fixture.Scenario, _ string) bool {
		for _, st := range s.Steps {
			if len(st.Calls) == 0 {
				return len(s.Tools) > 0
			}
		}
		return false
	}
	all := func(*fixture.Scenario, string) bool { return true }
	// choice: the first request wants a call under this tool_choice.
	choice := func(c string) func(*fixture.Scenario, string) bool {
		return func(s *fixture.Scenario, _ string) bool {
			if c == "none" {
				return s.ToolChoice == "none"
			}
			return firstStepCalls(s) && s.ToolChoice == c
		}
	}
	isNamed := func(s *fixture.Scenario) bool {
		return s.ToolChoice != "" && s.ToolChoice != "auto" && s.ToolChoice != "required" && s.ToolChoice != "none"
	}
	named := func(s *fixture.Scenario, _ string) bool { return firstStepCalls(s) && isNamed(s) }
	guided := func(s *fixture.Scenario, _ string) bool {
		return firstStepCalls(s) && (s.ToolChoice == "required" || isNamed(s))
	}
	for _, tc := range []testCase{
		{persona: "healthy", reason: "a healthy server passes every case"},
		{persona: "healthy?style=llmd", reason: "llm-d-inference-sim's streaming style (id repeated, name null after the first chunk) is valid"},
		{persona: "hermes_leak", affected: auto, code: diagnosis.ParserMismatchHermes, remedy: "--tool-call-parser hermes",
			reason: "hermes markup left in content under auto; required/named go through guided decoding, not the parser"},
		{persona: "xml_leak", affected: auto, code: diagnosis.ParserMismatchXML, remedy: "qwen3_coder",
			reason: "Qwen3-Coder XML left in content"},
		{persona: "no_auto_tool_choice", affected: func(s *fixture.Scenario, _ string) bool { return len(s.Tools) > 0 && s.ToolChoice == "auto" },
			code: diagnosis.ToolParserNotEnabled, remedy: "--enable-auto-tool-choice", reason: "vLLM rejects every auto request with tools when the flag is missing"},
		{persona: "prose", affected: auto, code: diagnosis.NoToolCall, remedy: "tool_choice",
			reason: "plain prose, no markup"},
		{persona: "invalid_json", affected: calls, code: diagnosis.InvalidJSONArguments, remedy: "strict",
			reason: "truncated argument JSON"},
		{persona: "unknown_function", affected: calls, code: diagnosis.UnknownFunction, remedy: "tool",
			reason: "a function name that was not offered"},
		{persona: "server_error", affected: all, code: diagnosis.ServerError, remedy: "server log",
			reason: "HTTP 500 on every completion"},
		{persona: "stream_args_repeat", affected: streamWithArgs, code: diagnosis.StreamMismatch, remedy: "stream",
			reason: "a serializer that repeats an arguments piece: every streamed call broken, every plain one right"},
		{persona: "stream_args_repeat?vary=0.5&seed=3", affected: streamWithArgs, code: diagnosis.StreamMismatch, remedy: "stream",
			env:    map[string]string{"ACCEPTANCE_TOOLCALL_REPEATS": "3"},
			reason: "the same serializer on a server whose plain answers vary: still caught (every plain answer passes, no streamed one does)"},
		{persona: "stream_args_differ", affected: streamOnly, code: diagnosis.StreamMismatch, remedy: "stream",
			reason: "streamed arguments reassemble to another object than the non-streamed answer"},
		{persona: "stream_name_repeat", affected: streamOnly, code: diagnosis.StreamMalformed, remedy: "pin a vLLM version",
			reason: "the function name sent in two deltas"},
		{persona: "stream_id_change", affected: streamOnly, code: diagnosis.StreamMalformed, remedy: "pin a vLLM version",
			reason: "a call's id changes between its chunks"},
		{persona: "stream_bad_index", affected: streamOnly, code: diagnosis.StreamMalformed, remedy: "pin a vLLM version",
			reason: "tool-call indices that do not start at 0 and count up"},
		{persona: "stream_double_finish", affected: func(_ *fixture.Scenario, mode string) bool { return strings.HasSuffix(mode, "/stream") },
			code: diagnosis.StreamMalformed, remedy: "pin a vLLM version", reason: "two finish chunks, on every stream, prose included"},
		{persona: "stream_markup_delta", affected: streamOnly, code: diagnosis.StreamMalformed, remedy: "pin a vLLM version",
			reason: "raw <tool_call> text in delta.content next to a parsed call"},
		{persona: "tool_call_in_reasoning", affected: auto, code: diagnosis.ToolCallInReasoning, remedy: "disable thinking",
			reason: "the call sits inside reasoning_content where the tool parser never looks"},
		{persona: "reasoning_exhausted", affected: calls, code: diagnosis.ReasoningExhaustedMaxTokens, remedy: "max_tokens",
			reason: "reasoning used the whole max_tokens budget before the call (the seed report's likely 0 %)"},
		{persona: "think_leak", affected: all, code: diagnosis.ReasoningParserMissing, remedy: "--reasoning-parser",
			reason: "<think> text left in content: no reasoning parser"},
		{persona: "finish_mismatch", affected: auto, code: diagnosis.FinishReasonMismatch, remedy: "vLLM version",
			reason: "calls under auto finishing with stop"},
		{persona: "double_encoded", affected: calls, code: diagnosis.WireFormat, remedy: "serializer",
			reason: "arguments double-encoded as a JSON string: a wire-format fault (a string holding a JSON object is the contract), so a server fault"},
		{persona: "schema_violation", affected: withArgs, code: diagnosis.SchemaViolation, remedy: "structured outputs",
			reason: "a required parameter missing or of the wrong type"},
		{persona: "wrong_args", affected: withArgs, code: diagnosis.ArgsMismatch, remedy: "model quality",
			reason: "a schema-valid call with the wrong values"},
		{persona: "always_call", affected: proseWanted, code: diagnosis.UnexpectedToolCall, remedy: "tool_choice",
			reason: "a call where prose is wanted (irrelevance, tool_choice none, final answers)"},
		{persona: "null_function", affected: calls, code: diagnosis.MalformedToolCall, remedy: "report it upstream", plainCodeOnly: true,
			reason: `a tool_calls entry with "function": null`},

		// Issue 10: vLLM versions, and faults whose cause used to be misnamed.
		{persona: "healthy?vllm=0.10", reason: "0.10: reasoning_content, a plain required call finishing stop"},
		{persona: "healthy?vllm=0.11", reason: "0.11+: reasoning, required finishing tool_calls"},
		{persona: "truncated_auto", detail: "max_tokens=1024 was hit", affected: auto, code: diagnosis.ToolCallTruncatedMaxTokens, remedy: "raise max_tokens",
			reason: "a call cut off by max_tokens under auto stays in content: the budget, not the parser"},
		{persona: "truncated_required", detail: "arguments end unterminated", affected: choice("required"), code: diagnosis.ToolCallTruncatedMaxTokens, remedy: "raise max_tokens",
			reason: "the guided call cut off: unterminated arguments"},
		{persona: "truncated_required?vllm=0.10", detail: "list[FunctionDefinition]", affected: choice("required"), code: diagnosis.ToolCallTruncatedMaxTokens, remedy: "raise max_tokens",
			env:    map[string]string{"ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE": "1"},
			reason: "0.10 answers the plain request HTTP 400 (pydantic cannot parse the cut array); the stream shows the cut arguments"},
		{persona: "truncated_named", detail: "max_tokens=1024 was hit", affected: named, code: diagnosis.ToolCallTruncatedMaxTokens, remedy: "raise max_tokens",
			reason: "the named call cut off: unterminated arguments"},
		{persona: "markup_under_none", detail: `tool_choice "none", yet content holds <tool_call>`, affected: choice("none"), code: diagnosis.ToolMarkupUnderNone, remedy: "--exclude-tools-when-tool-choice-none",
			reason: "vLLM parses nothing under none: the model's markup, not the parser's"},
		{persona: "think_end_only", affected: all, code: diagnosis.ReasoningStartTagInPrompt, remedy: "--reasoning-parser deepseek_r1",
			reason: "</think> without <think>: the template opened it in the prompt"},
		{persona: "answer_in_reasoning", affected: all, code: diagnosis.AnswerInReasoning, remedy: "without --reasoning-parser",
			reason: "a non-thinking model behind a reasoning parser: every answer lands in reasoning"},
		{persona: "mistral_leak", affected: auto, code: diagnosis.ParserMismatchMistral, remedy: "--tool-call-parser mistral",
			reason: "[TOOL_CALLS] left in content"},
		{persona: "harmony_leak", affected: auto, code: diagnosis.ParserMismatchHarmony, remedy: "--tool-call-parser openai",
			reason: "gpt-oss harmony channels left in content"},
		{persona: "object_arguments", detail: "function.arguments is a JSON object", affected: calls, code: diagnosis.WireFormat, remedy: "well formed",
			reason: "function.arguments as an object breaks json.loads in clients"},
		{persona: "missing_ids", detail: "].id is missing", affected: calls, code: diagnosis.WireFormat, remedy: "well formed",
			reason: "no tool_call_id to send the result back with"},
		{persona: "wrong_type", detail: `].type is "tool"`, affected: calls, code: diagnosis.WireFormat, remedy: "well formed",
			reason: `type must be "function"`},
		{persona: "stream_no_index", detail: "delta has no index", affected: streamOnly, code: diagnosis.WireFormat, remedy: "well formed",
			reason: "tool-call deltas without index"},
		{persona: "stream_no_usage", detail: "usage is missing", affected: func(_ *fixture.Scenario, mode string) bool { return strings.HasSuffix(mode, "/stream") },
			code: diagnosis.WireFormat, remedy: "well formed", reason: "include_usage asked on every stream, no usage chunk"},
		{persona: "reasoning_exhausted_guided", detail: "max_tokens=2048", affected: guided, code: diagnosis.ReasoningExhaustedMaxTokens, remedy: "max_tokens",
			env:    map[string]string{"ACCEPTANCE_THINKING": "on", "ACCEPTANCE_THINKING_MAX_TOKENS": "2048"},
			reason: "0.11+: thinking on under required/named, reasoning eats the budget, no call"},
		{persona: "reasoning_exhausted_guided?vllm=0.10", detail: "max_tokens=2048", affected: guided, code: diagnosis.ReasoningExhaustedMaxTokens, remedy: "max_tokens",
			// Model findings (how long the model thinks) in the plain mode
			// only: strict scenario rates, so that every affected mode fails
			// and the row checks the code on each.
			env:    map[string]string{"ACCEPTANCE_THINKING": "on", "ACCEPTANCE_THINKING_MAX_TOKENS": "2048", "ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE": "1"},
			reason: "0.10: HTTP 400 for a plain required request, the cut <think> as a named call's arguments; never bad_request"},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
}

// TestRealisticServersPass: servers that behave as a real vLLM does —
// identical requests answered differently (not batch-invariant), a model
// that errs now and then — pass, run after run; a model wrong in 1 call
// in 3 fails on its model rates, with model codes only.
func TestRealisticServersPass(t *testing.T) {
	t.Parallel()
	type testCase struct {
		persona string
		pass    bool
		reason  string
	}
	run := func(t *testing.T, tc testCase) {
		url := Serve(t, sim.New(mustPersona(t, tc.persona), nil))
		o := Run(t, map[string]string{
			"VLLM_BASE_URL": url, "ACCEPTANCE_THINKING": "off", "ACCEPTANCE_PARALLEL": "8", "ACCEPTANCE_REQUEST_TIMEOUT": "20s",
		}, 3*time.Minute, "-test.run", "TestToolCalling")
		require.NotNil(t, o.Metrics, tail(o.Output))
		tcs := o.Metrics.ToolCalling
		require.NotNil(t, tcs)
		require.NotNil(t, tcs.Model)
		assert.Zero(t, tcs.ServerFailures, "a model's errors and a server's variation are never server faults: %s", tail(o.Output))
		for _, s := range tcs.Scenarios {
			for _, d := range s.Diagnoses {
				assert.Equal(t, "model", d.Kind, "%s [%s]: %s is not the server's fault here", s.Name, s.Mode, d.Code)
				assert.NotContains(t, d.Code, "parser_mismatch", tc.reason)
			}
		}
		if tc.pass {
			assert.Equal(t, 0, o.ExitCode, "%s: %s\n%s", tc.persona, tc.reason, tail(o.Output))
			assert.True(t, tcs.Passed)
		} else {
			assert.NotEqual(t, 0, o.ExitCode, tc.reason)
			assert.Equal(t, "FAIL", o.Tests["TestToolCallingModelRates"], "the run-wide model rate fails: %s", tc.reason)
			assert.Equal(t, sidecar.VerdictFail, tcs.Model.Verdict)
			assert.Contains(t, o.Output, "below the 80 % a healthy model reaches (ACCEPTANCE_MODEL_MIN_PASS_RATE)", "the failure names the rate, the threshold and the knob")
			assert.Contains(t, o.Output, "args_mismatch", "and the model's findings")
		}
		if strings.HasPrefix(tc.persona, "nondeterministic") {
			assert.Positive(t, tcs.Nondeterministic, "the persona's variation was seen and reported as information")
			assert.Equal(t, tcs.Model.Attempts, tcs.Model.Passed, "every varied answer is one the matchers accept")
		}
		if strings.HasPrefix(tc.persona, "imperfect_model") {
			assert.Less(t, tcs.Model.Passed, tcs.Model.Attempts, "the persona's errors were seen")
		}
	}
	for _, tc := range []testCase{
		{"nondeterministic?seed=1", true, "Paris/paris/PARIS between identical requests, plain and streamed"},
		{"nondeterministic?seed=2", true, "another seed: the verdict does not flip"},
		{"imperfect_model?seed=1", true, "a wrong value in about 1 call in 20"},
		{"imperfect_model?seed=2", true, "another seed: the verdict does not flip"},
		{"imperfect_model?seed=3&vary=0.5", true, "both at once"},
		{"imperfect_model?model_error=0.33&seed=1", false, "a wrong value in about 1 call in 3"},
		{"imperfect_model?model_error=0.33&seed=2", false, "another seed"},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
}

// TestHangEndsWithinTimeout: a server that accepts and never answers fails
// its cases as timeout within the request timeout, and the run still ends
// with its outputs.
func TestHangEndsWithinTimeout(t *testing.T) {
	t.Parallel()
	url := Serve(t, sim.New(mustPersona(t, "hang"), nil))
	o := Run(t, map[string]string{
		"VLLM_BASE_URL": url, "ACCEPTANCE_REQUEST_TIMEOUT": "1s", "ACCEPTANCE_TOOLCALL_REPEATS": "1", "ACCEPTANCE_THINKING": "off",
	}, 90*time.Second, "-test.run", "TestToolCalling/simple_get_weather$")
	assert.Equal(t, "FAIL", o.Tests["TestToolCalling/simple_get_weather/think_off/plain"], tail(o.Output))
	assert.NotEmpty(t, failLines(o.Output, "timeout"), "the failure names [timeout]")
	assert.Less(t, o.Elapsed, 30*time.Second, "two 1 s timeouts, not a hang")
	require.NotNil(t, o.Metrics)
	assert.True(t, o.Metrics.Complete)
	assert.Len(t, o.Records, 2, "the plain request (also the stream's twin) and the streamed one are recorded")
}

// TestCanaryKeyNeverWritten runs the suite with a canary key against a
// simulator that requires it (and echoes it in an error), then searches
// stdout, stderr and every output file for it.
func TestCanaryKeyNeverWritten(t *testing.T) {
	t.Parallel()
	const canary = "sk-canary-7f3a9c1e5b2d4608"
	url := Serve(t, sim.New(mustPersona(t, "healthy"), nil, sim.WithAPIKey(canary)))
	dir := t.TempDir()
	o := Run(t, map[string]string{
		"VLLM_BASE_URL": url, "VLLM_API_KEY": canary, "ACCEPTANCE_OUT": dir,
		"ACCEPTANCE_TOOLCALL_REPEATS": "1", "ACCEPTANCE_THINKING": "off",
	}, 2*time.Minute, "-test.run", "TestToolCalling")
	require.NotNil(t, o.Metrics)
	assert.True(t, o.Metrics.ToolCalling.Passed, "the key reached the server (it requires it):\n%s", tail(o.Output))
	assert.NotContains(t, o.Output, canary, "test output")
	files := 0
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(b), canary, "output file %s", p)
		return nil
	}))
	assert.GreaterOrEqual(t, files, 2, "metrics.json and requests.jsonl were searched")

	// A wrong key: the canary must not appear in the auth_failed message either.
	o = Run(t, map[string]string{"VLLM_BASE_URL": url, "VLLM_API_KEY": canary + "-wrong"}, time.Minute, "-test.run", "TestToolCalling")
	assert.Contains(t, o.Output, "[auth_failed]")
	assert.NotContains(t, o.Output, canary)
}

func mustPersona(t *testing.T, spec string) sim.Persona {
	t.Helper()
	p, err := sim.Lookup(spec)
	require.NoError(t, err, fmt.Sprintf("simulator persona %q", spec))
	return p
}
