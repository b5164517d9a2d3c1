package structured

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func catalogue(t *testing.T) map[string]*fixture.Structured {
	t.Helper()
	list, err := fixture.LoadStructuredFS(fixtures.StructuredFS, "structured", "fixtures/structured")
	require.NoError(t, err)
	require.NotEmpty(t, list)
	out := map[string]*fixture.Structured{}
	for _, s := range list {
		out[s.Name] = s
	}
	return out
}

// TestCatalogueAnswersPass: every shipped scenario's own answer, sent as
// content, passes every check (the simulator sends it; a check that
// rejected it would fail the healthy persona).
func TestCatalogueAnswersPass(t *testing.T) {
	for name, sc := range catalogue(t) {
		for _, stream := range []bool{false, true} {
			rec := record.Record{Status: 200, Stream: stream, Content: sc.AnswerText(), FinishReason: "stop", MaxTokens: sc.MaxTokens, CompletionTokens: 20}
			r := Judge(&rec, sc)
			assert.Empty(t, r.Findings, name)
			assert.False(t, r.ServerFault(), name)
			assert.True(t, r.ModelOK(), name)
			assert.True(t, r.Checks[Constraint], name)
		}
	}
}

// TestJudgeFaults: each fault shape of issue 27 gives its code and kind.
// The bodies are vLLM's: the 400 is validate_xgrammar_grammar's message
// (vllm/v1/structured_output/backend_xgrammar.py, vllm@ec3b890c), the 500
// the "grammar rejected tokens" of vLLM #51693.
func TestJudgeFaults(t *testing.T) {
	cat := catalogue(t)
	for _, tc := range []struct {
		name, scenario string
		rec            record.Record
		code           diagnosis.Code
		kind           diagnosis.Kind
	}{
		{"prose instead of JSON", "json_schema_nested_objects", record.Record{Status: 200, Content: "Sure! The customer is Ada Lovelace.", FinishReason: "stop"}, diagnosis.StructuredNotJSON, diagnosis.KindServer},
		{"a required field missing", "json_schema_nested_objects", record.Record{Status: 200, Content: `{"name":"Ada Lovelace","age":36}`, FinishReason: "stop"}, diagnosis.StructuredSchemaViolation, diagnosis.KindServer},
		{"maximum ignored", "json_schema_bounds", record.Record{Status: 200, Content: `{"stars":7,"verdict":"visionary"}`, FinishReason: "stop"}, diagnosis.StructuredFeatureIgnored, diagnosis.KindServer},
		{"enum ignored", "json_schema_enums", record.Record{Status: 200, Content: `{"priority":"urgent","team":"infrastructure"}`, FinishReason: "stop"}, diagnosis.StructuredFeatureIgnored, diagnosis.KindServer},
		{"JSON in reasoning", "json_schema_enums", record.Record{Status: 200, Reasoning: `Let me triage. {"priority":"critical","team":"infrastructure"}`, FinishReason: "stop"}, diagnosis.StructuredInReasoning, diagnosis.KindServer},
		{"HTTP 500", "json_schema_enums", record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: `{"error":{"message":"grammar rejected tokens","type":"InternalServerError","code":500}}`}, diagnosis.StructuredServerError, diagnosis.KindServer},
		{"feature refused", "json_schema_bounds", record.Record{Status: 400, ErrorKind: record.ErrHTTP, Body: `{"error":{"message":"The provided JSON schema contains features not supported by xgrammar.","type":"BadRequestError","code":400}}`}, diagnosis.StructuredFeatureRefused, diagnosis.KindServer},
		{"budget ran out", "json_schema_nested_objects", record.Record{Status: 200, Content: `{"name":"Ada Lov`, FinishReason: "length", MaxTokens: 512, CompletionTokens: 512}, diagnosis.StructuredTruncatedMaxTokens, diagnosis.KindModel},
		// llm-d-inference-sim's random text, cut at max_tokens: it broke the
		// schema before the budget ran out, so the cut does not excuse it.
		{"prose cut by max_tokens", "json_schema_bounds", record.Record{Status: 200, Content: "Testing@, #testing 1, 2, 3 alas the", FinishReason: "length", MaxTokens: 64, CompletionTokens: 64}, diagnosis.StructuredNotJSON, diagnosis.KindServer},
		{"JSON then garbage, cut", "json_schema_bounds", record.Record{Status: 200, Content: `{"stars":5,"verdict":"grand"}} and more`, FinishReason: "length", MaxTokens: 64, CompletionTokens: 64}, diagnosis.StructuredNotJSON, diagnosis.KindServer},
		{"a choice prefix cut", "choice_sentiment", record.Record{Status: 200, Content: "posi", FinishReason: "length", MaxTokens: 2, CompletionTokens: 2}, diagnosis.StructuredTruncatedMaxTokens, diagnosis.KindModel},
		{"no choice prefix, cut", "choice_sentiment", record.Record{Status: 200, Content: "I think the", FinishReason: "length", MaxTokens: 3, CompletionTokens: 3}, diagnosis.StructuredSchemaViolation, diagnosis.KindServer},
		{"wrong values", "json_schema_defs_ref", record.Record{Status: 200, Content: `{"sender":{"name":"Grace Hopper","city":"Arlington","country":"US"},"recipient":{"name":"Ada Lovelace","city":"London","country":"GB"}}`, FinishReason: "stop"}, diagnosis.StructuredWrongValue, diagnosis.KindModel},
		{"not a choice", "choice_sentiment", record.Record{Status: 200, Content: "very positive", FinishReason: "stop"}, diagnosis.StructuredSchemaViolation, diagnosis.KindServer},
		{"regex not matched", "regex_iso_date", record.Record{Status: 200, Content: "July 20, 1969", FinishReason: "stop"}, diagnosis.StructuredSchemaViolation, diagnosis.KindServer},
		{"wrong choice", "choice_sentiment", record.Record{Status: 200, Content: "negative", FinishReason: "stop"}, diagnosis.StructuredWrongValue, diagnosis.KindModel},
		{"json_object not an object", "json_object_basic", record.Record{Status: 200, Content: `["Paris"]`, FinishReason: "stop"}, diagnosis.StructuredSchemaViolation, diagnosis.KindServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := cat[tc.scenario]
			require.NotNil(t, sc)
			r := Judge(&tc.rec, sc)
			require.NotEmpty(t, r.Findings)
			assert.Equal(t, tc.code, r.Findings[0].Code, "%+v", r.Findings)
			assert.Equal(t, tc.kind, diagnosis.KindOf(r.Findings[0].Code, ""))
			assert.Equal(t, tc.kind == diagnosis.KindServer, r.ServerFault())
			assert.NotEmpty(t, diagnosis.Lookup(tc.code).Remedy)
		})
	}
}

func TestModeVerdicts(t *testing.T) {
	sc := catalogue(t)["choice_sentiment"]
	ok := Result{Checks: map[string]bool{Answered: true, Constraint: true, Values: true}}
	bad := Result{Checks: map[string]bool{Answered: true, Constraint: false}, Findings: []diagnosis.Finding{{Code: diagnosis.StructuredSchemaViolation}}}

	m := NewMode(sc, "think_off/plain", "T")
	m.Add(ok)
	m.Add(ok)
	assert.Equal(t, sidecar.Pass, m.Close(0.5, "").Outcome)

	m = NewMode(sc, "think_off/plain", "T")
	m.Add(ok)
	m.Add(bad)
	got := m.Close(0.5, "")
	assert.Equal(t, sidecar.Fail, got.Outcome, "one server fault fails the mode")
	assert.Equal(t, "server", got.FailedOn)
	assert.Contains(t, FailureMessage(got), "structured_schema_violation [server]")

	m = NewMode(sc, "think_off/plain", "T")
	m.Add(Result{NotRun: true})
	got = m.Close(0.5, "the run's deadline")
	assert.Equal(t, sidecar.Unknown, got.Outcome, "nothing ran: unknown, never pass")
	assert.Contains(t, got.Reason, "not run")

	m = NewMode(sc, "think_off/plain", "T")
	m.Add(ok)
	m.CanaryFailed("HTTP 500 after")
	assert.Equal(t, sidecar.Fail, m.Close(0.5, "").Outcome)
}

// TestUnderLoadFailure holds the failure line of a structured-output mode
// under load to its words: each code with its kind.
func TestUnderLoadFailure(t *testing.T) {
	m := sidecar.UnderLoadScenario{Name: "city", Mode: "think_off/plain", Attempts: 3, ServerFailures: 1,
		Diagnoses: []sidecar.Diagnosis{{Code: "structured_invalid_json", Kind: "server", Count: 1, Message: "not JSON", Remedy: "check the grammar backend"}}}
	assert.Equal(t, "city/think_off/plain: 1 of 3 attempts had a server fault under a background load of 12 req/s (the isolated run had none): "+
		"structured outputs broken by concurrency (a grammar backend under batching, KV-cache pressure cutting answers)\n  structured_invalid_json [server] ×1 (not JSON) → fix: check the grammar backend",
		UnderLoadFailure(m, 12))
}
