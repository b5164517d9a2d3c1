package selftest

import (
	"slices"
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

func structuredCatalogue(t *testing.T) map[string]*fixture.Structured {
	list, err := fixture.LoadStructuredFS(fixtures.StructuredFS, "structured", "fixtures/structured")
	require.NoError(t, err)
	out := map[string]*fixture.Structured{}
	for _, s := range list {
		out[s.Name] = s
	}
	return out
}

// TestStructuredOutputVerdicts runs TestStructuredOutputs against each
// structured-output persona and asserts every scenario mode's verdict: the
// modes the fault affects fail with its code, of its kind, and the failure
// message carries the remedy; the others pass. healthy passes with
// thinking off and on, plain and streamed.
func TestStructuredOutputVerdicts(t *testing.T) {
	t.Parallel()
	cat := structuredCatalogue(t)
	jsonFormat := func(s *fixture.Structured) bool {
		return s.Format == fixture.FormatJSONSchema || s.Format == fixture.FormatJSONObject
	}
	all := func(*fixture.Structured) bool { return true }
	type testCase struct {
		persona string
		// affected says which scenarios fail; nil: none.
		affected func(s *fixture.Structured) bool
		// code is the code of an affected scenario.
		code   func(s *fixture.Structured) diagnosis.Code
		kind   diagnosis.Kind
		remedy string
		env    map[string]string
		reason string
	}
	is := func(c diagnosis.Code) func(*fixture.Structured) diagnosis.Code {
		return func(*fixture.Structured) diagnosis.Code { return c }
	}
	for _, tc := range []testCase{
		{persona: "healthy", env: map[string]string{"ACCEPTANCE_THINKING": "off,on"}, reason: "a correct server passes thinking off and on, plain and streamed"},
		{persona: "healthy", env: map[string]string{"ACCEPTANCE_STRUCTURED_API": "guided"}, reason: "choice and regex as guided_choice and guided_regex (vLLM before 0.10.2)"},
		{persona: "so_not_json", affected: all, kind: diagnosis.KindServer, remedy: "structured outputs are not applied",
			code: func(s *fixture.Structured) diagnosis.Code {
				if jsonFormat(s) {
					return diagnosis.StructuredNotJSON
				}
				return diagnosis.StructuredSchemaViolation
			}, reason: "prose around the JSON: not JSON; around a choice or a date: outside the constraint"},
		{persona: "so_schema_violation", affected: func(s *fixture.Structured) bool { return s.Format != fixture.FormatJSONObject },
			code: is(diagnosis.StructuredSchemaViolation), kind: diagnosis.KindServer, remedy: "--structured-outputs-config",
			reason: "a required field missing under json_schema; json_object enforces only an object"},
		{persona: "so_feature_ignored", affected: func(s *fixture.Structured) bool {
			return s.Name == "json_schema_bounds" || s.Name == "json_schema_enums"
		}, code: is(diagnosis.StructuredFeatureIgnored), kind: diagnosis.KindServer, remedy: "--guided-decoding-backend",
			reason: "maximum and enum broken while the shape fits (vLLM #12028)"},
		{persona: "so_in_reasoning", affected: all, code: is(diagnosis.StructuredInReasoning), kind: diagnosis.KindServer, remedy: "disable thinking",
			env: map[string]string{"ACCEPTANCE_THINKING": "off,on"}, reason: "the constrained answer in reasoning_content (vLLM #44012)"},
		{persona: "so_server_error", affected: all, code: is(diagnosis.StructuredServerError), kind: diagnosis.KindServer, remedy: "another backend",
			reason: "HTTP 500 grammar rejected tokens (vLLM #51693)"},
		{persona: "so_feature_refused", affected: func(s *fixture.Structured) bool { return s.Name == "json_schema_bounds" },
			code: is(diagnosis.StructuredFeatureRefused), kind: diagnosis.KindServer, remedy: "--structured-outputs-config",
			reason: "HTTP 400 for integer and string bounds: names the feature and the backend flags"},
		{persona: "so_truncated", affected: all, code: is(diagnosis.StructuredTruncatedMaxTokens), kind: diagnosis.KindModel, remedy: "raise max_tokens",
			env: map[string]string{"ACCEPTANCE_STRUCTURED_REPEATS": "5"}, reason: "the budget ran out inside the JSON: the model's, with its own code"},
		{persona: "so_wrong_values", affected: func(s *fixture.Structured) bool { return s.Name != "json_schema_bounds" },
			code: is(diagnosis.StructuredWrongValue), kind: diagnosis.KindModel, remedy: "the model's answer",
			env: map[string]string{"ACCEPTANCE_STRUCTURED_REPEATS": "5"}, reason: "the constraint holds, the values are wrong: a model rate"},
	} {
		t.Run(tc.persona, func(t *testing.T) {
			t.Parallel()
			url := Serve(t, sim.New(mustPersona(t, tc.persona), nil))
			env := map[string]string{
				"VLLM_BASE_URL":                 url,
				"ACCEPTANCE_STRUCTURED_REPEATS": "2",
				"ACCEPTANCE_THINKING":           "off",
				"ACCEPTANCE_PARALLEL":           "8",
				"ACCEPTANCE_REQUEST_TIMEOUT":    "20s",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			o := Run(t, env, 3*time.Minute, "-test.run", "TestStructuredOutputs")
			require.NotNil(t, o.Metrics, "metrics.json written:\n%s", tail(o.Output))
			require.True(t, o.Metrics.Complete, tail(o.Output))
			so := o.Metrics.StructuredOutputs
			require.NotNil(t, so, tail(o.Output))
			modes := 2 * len(strings.Split(env["ACCEPTANCE_THINKING"], ","))
			assert.Len(t, so.Scenarios, modes*len(cat), "every scenario in every mode")
			var failed int
			for _, s := range so.Scenarios {
				sc := cat[s.Name]
				require.NotNil(t, sc, s.Name)
				var got []string
				for _, d := range s.Diagnoses {
					got = append(got, d.Code)
				}
				if tc.affected == nil || !tc.affected(sc) {
					assert.Equal(t, sidecar.Pass, s.Outcome, "%s [%s] is not affected by %s and must pass; diagnoses %v", s.Name, s.Mode, tc.persona, got)
					assert.Equal(t, "PASS", o.Tests["TestStructuredOutputs/"+s.Name+"/"+s.Mode])
					continue
				}
				failed++
				want := tc.code(sc)
				assert.Equal(t, sidecar.Fail, s.Outcome, "%s [%s] must fail under %s (%s)", s.Name, s.Mode, tc.persona, tc.reason)
				assert.Contains(t, got, string(want), "%s [%s] names %s", s.Name, s.Mode, want)
				for _, d := range s.Diagnoses {
					if d.Code == string(want) {
						assert.Equal(t, string(tc.kind), d.Kind, "%s is a %s fault", want, tc.kind)
						assert.NotEmpty(t, d.Remedy)
					}
				}
				assert.Equal(t, "FAIL", o.Tests["TestStructuredOutputs/"+s.Name+"/"+s.Mode], "the subtest fails too")
			}
			if tc.affected == nil {
				assert.Equal(t, 0, o.ExitCode, "healthy passes everything:\n%s", tail(o.Output))
				assert.True(t, so.Passed)
				assert.True(t, o.Metrics.Passed())
				return
			}
			assert.Positive(t, failed, "the persona affects at least one scenario")
			assert.NotEqual(t, 0, o.ExitCode)
			assert.False(t, so.Passed, "the section fails through the one judge")
			assert.False(t, o.Metrics.Passed())
			assert.Contains(t, o.Output, tc.remedy, "the failure message carries the remedy")
			assert.Contains(t, o.Output, "["+string(tc.kind)+"]", "the failure message names the kind")
		})
	}
}

// TestStructuredRunWideRate: with two attempts a mode, an answer cut by
// max_tokens every time leaves each mode within chance of the scenario
// threshold (0/2: Wilson upper bound 66 %, above 50 %), so no mode fails;
// the values' rate over every mode (0 of 40) is beyond chance below
// ACCEPTANCE_MODEL_MIN_PASS_RATE, so the test and the section fail, as
// the model's, naming the budget. Nothing passes on answers none of
// which held.
func TestStructuredRunWideRate(t *testing.T) {
	t.Parallel()
	url := Serve(t, sim.New(mustPersona(t, "so_truncated"), nil))
	o := Run(t, map[string]string{
		"VLLM_BASE_URL": url, "ACCEPTANCE_STRUCTURED_REPEATS": "2", "ACCEPTANCE_THINKING": "off",
		"ACCEPTANCE_PARALLEL": "8", "ACCEPTANCE_REQUEST_TIMEOUT": "20s",
	}, 3*time.Minute, "-test.run", "TestStructuredOutputs")
	require.NotNil(t, o.Metrics, tail(o.Output))
	so := o.Metrics.StructuredOutputs
	require.NotNil(t, so, tail(o.Output))
	require.NotEmpty(t, so.Scenarios)
	for _, s := range so.Scenarios {
		assert.Zero(t, s.ServerFailures, "%s [%s]: a cut JSON prefix is the budget's, not the server's", s.Name, s.Mode)
		assert.Zero(t, s.Passed, "%s [%s]", s.Name, s.Mode)
		assert.NotEqual(t, sidecar.Fail, s.Outcome, "%s [%s]: 0/2 is within chance of the scenario threshold", s.Name, s.Mode)
	}
	require.NotNil(t, so.Model)
	assert.Equal(t, 0, so.Model.Passed)
	assert.Equal(t, 2*len(so.Scenarios), so.Model.Attempts)
	assert.Equal(t, sidecar.VerdictFail, so.Model.Verdict)
	assert.False(t, so.Passed, "the section fails through the one judge")
	assert.False(t, o.Metrics.Passed())
	assert.Equal(t, "FAIL", o.Tests["TestStructuredOutputs"])
	assert.Contains(t, o.Output, "structured outputs, all modes: model checks held in 0 of")
	assert.Contains(t, o.Output, "structured_truncated_max_tokens")
	assert.NotEqual(t, 0, o.ExitCode)
}

// TestStructuredEngineDead: a structured request that takes the engine
// down (vLLM #4070) fails every mode, and the plain canary after the
// modes names the server got worse (structured_next_request_worse).
func TestStructuredEngineDead(t *testing.T) {
	t.Parallel()
	url := Serve(t, sim.New(mustPersona(t, "so_engine_dead"), nil))
	o := Run(t, map[string]string{
		"VLLM_BASE_URL": url, "ACCEPTANCE_STRUCTURED_REPEATS": "2", "ACCEPTANCE_THINKING": "off",
		"ACCEPTANCE_PARALLEL": "1", "ACCEPTANCE_REQUEST_TIMEOUT": "20s",
	}, 3*time.Minute, "-test.run", "TestStructuredOutputs")
	require.NotNil(t, o.Metrics, tail(o.Output))
	so := o.Metrics.StructuredOutputs
	require.NotNil(t, so)
	var worse int
	for _, s := range so.Scenarios {
		assert.Equal(t, sidecar.Fail, s.Outcome, "%s [%s]", s.Name, s.Mode)
		if slices.ContainsFunc(s.Diagnoses, func(d sidecar.Diagnosis) bool {
			return d.Code == string(diagnosis.StructuredNextRequestWorse) && d.Kind == string(diagnosis.KindServer)
		}) {
			worse++
		}
	}
	assert.Positive(t, worse, "the canary after the modes says the server got worse")
	assert.Positive(t, so.CanaryFailures)
	assert.Contains(t, o.Output, "structured_next_request_worse")
	assert.NotEqual(t, 0, o.ExitCode)
}

// TestStructuredUnderLoadHealthyPasses: behind the capacity background
// loop, a sound server keeps every structured answer valid, and the
// decode cost of structured against plain requests of the same window is
// measured (the simulator decodes both at one pace).
func TestStructuredUnderLoadHealthyPasses(t *testing.T) {
	env := underLoadEnv(t, "batching?ttft=50ms&itl=10ms&batch_k=16")
	env["ACCEPTANCE_STRUCTURED_REPEATS"] = "1"
	env["ACCEPTANCE_SLO_TPOT"] = "25ms" // headroom over the idle 10 ms TPOT on a busy CI box
	o := Run(t, env, 3*time.Minute, "-test.run", "^(TestCapacity|TestStructuredOutputs|TestStructuredOutputsUnderLoad)$")
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.Equal(t, "PASS", o.Tests["TestStructuredOutputsUnderLoad"], tail(o.Output))
	u := o.Metrics.StructuredUnderLoad
	require.NotNil(t, u, tail(o.Output))
	assert.True(t, u.Passed)
	assert.Zero(t, u.NewServerFailures)
	assert.Len(t, u.Scenarios, 2*len(structuredCatalogue(t)), "every scenario, plain and streamed (the shipped ones: the fixtures folder has no structured/)")
	for _, s := range u.Scenarios {
		assert.Zero(t, s.IsolatedServerFailures, "%s/%s ran in isolation first", s.Name, s.Mode)
	}
	require.NotNil(t, u.DecodeCost, "streamed structured answers and the plain background both measured")
	assert.Positive(t, u.StructuredTPOTms.N)
	t.Logf("background %.1f req/s; structured TPOT p50 %.2f ms vs plain %.2f ms (%+.0f %%)", u.RatePerS, u.StructuredTPOTms.P50, u.PlainTPOTms.P50, 100**u.DecodeCost)
	assert.Contains(t, o.Output, "decode cost of structured outputs")
}

// TestStructuredUnderLoadCatchesBreakage: a server whose structured
// outputs break with more than 4 requests in flight passes
// TestStructuredOutputs in isolation (2 at a time) and fails
// TestStructuredOutputsUnderLoad with server codes.
func TestStructuredUnderLoadCatchesBreakage(t *testing.T) {
	env := underLoadEnv(t, "serializer_under_load?ttft=50ms&itl=10ms&batch_k=16&break_above=4")
	env["ACCEPTANCE_STRUCTURED_REPEATS"] = "1"
	env["ACCEPTANCE_SLO_TPOT"] = "25ms" // headroom over the idle 10 ms TPOT on a busy CI box
	o := Run(t, env, 3*time.Minute, "-test.run", "^(TestCapacity|TestStructuredOutputs|TestStructuredOutputsUnderLoad)$")
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.Equal(t, "PASS", o.Tests["TestStructuredOutputs"], "in isolation structured outputs hold:\n%s", tail(o.Output))
	assert.Equal(t, "FAIL", o.Tests["TestStructuredOutputsUnderLoad"], tail(o.Output))
	u := o.Metrics.StructuredUnderLoad
	require.NotNil(t, u, tail(o.Output))
	assert.Positive(t, u.NewServerFailures)
	assert.False(t, u.Passed)
	assert.False(t, o.Metrics.Passed(), "the section fails the run through the one judge")
	for _, s := range u.Scenarios {
		if s.NewServerFailure {
			assert.NotEmpty(t, s.Diagnoses, "%s/%s names its server codes", s.Name, s.Mode)
			for _, d := range s.Diagnoses {
				assert.Equal(t, "server", d.Kind)
			}
		}
	}
	assert.Contains(t, o.Output, "had a server fault under a background load")
}
