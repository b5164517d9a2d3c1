package toolverdict

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

var th = Thresholds{Scenario: 0.5, Rate: 0.8}

func noop(s string) string { return s }

// scenario is a one-step scenario wanting get_weather(city~Paris).
func scenario(choice string) *fixture.Scenario {
	return &fixture.Scenario{Name: "simple_get_weather", Category: "simple", ToolChoice: choice,
		Steps: []fixture.Step{{Calls: []fixture.ExpectedCall{{Name: "get_weather"}}}}}
}

// step is an answer calling get_weather with args; findings make it fail.
func step(args string, findings ...diagnosis.Code) Step {
	rec := record.Record{Status: 200, ToolCalls: []record.ToolCall{{Name: "get_weather", Arguments: args}}}
	res := toolcheck.Result{Checks: map[string]bool{toolcheck.Parsed: true, toolcheck.ArgsMatch: true, toolcheck.FinishReason: true}, Passed: len(findings) == 0}
	for _, c := range findings {
		res.Findings = append(res.Findings, diagnosis.Finding{Code: c, Detail: "seen " + string(c)})
		switch c {
		case diagnosis.ArgsMismatch:
			res.Checks[toolcheck.ArgsMatch] = false
		case diagnosis.FinishReasonMismatch:
			res.Checks[toolcheck.FinishReason] = false
		case diagnosis.NoToolCall:
			res.Checks[toolcheck.Parsed] = false
		}
	}
	return Step{Record: rec, Result: res}
}

func TestJudgeSplitsByKind(t *testing.T) {
	type testCase struct {
		name              string
		choice            string
		codes             []diagnosis.Code
		serverOK, modelOK bool
		reason            string
	}
	run := func(t *testing.T, tc testCase) {
		j := Classify(Attempt{N: 1, Steps: []Step{step(`{"city":"Paris"}`, tc.codes...)}}, tc.choice)
		assert.Equal(t, tc.serverOK, j.ServerOK(), tc.reason)
		assert.Equal(t, tc.modelOK, j.ModelOK(), tc.reason)
	}
	for _, tc := range []testCase{
		{"clean", "auto", nil, true, true, "nothing found"},
		{"wrong value", "auto", []diagnosis.Code{diagnosis.ArgsMismatch}, true, false, "argument values are the model's"},
		{"wrong value under named", "get_weather", []diagnosis.Code{diagnosis.ArgsMismatch}, true, false, "guided decoding fixes the schema, not the values"},
		{"no call under auto", "auto", []diagnosis.Code{diagnosis.NoToolCall}, true, false, "under auto the model decides whether to call"},
		{"no call under required", "required", []diagnosis.Code{diagnosis.NoToolCall}, false, true, "under required guided decoding makes a call certain"},
		{"hermes leak", "auto", []diagnosis.Code{diagnosis.ParserMismatchHermes, diagnosis.NoToolCall}, false, false, "markup the parser should have taken is a server fault"},
		{"finish reason", "auto", []diagnosis.Code{diagnosis.FinishReasonMismatch}, false, true, "finish reasons are the server's"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestScenarioVerdict(t *testing.T) {
	type testCase struct {
		name     string
		choice   string
		attempts [][]diagnosis.Code
		verdict  string
		failedOn string
		reason   string
	}
	run := func(t *testing.T, tc testCase) {
		s := New(scenario(tc.choice), "TestToolCalling/x/think_off/plain", "think_off/plain", false, th)
		for i, codes := range tc.attempts {
			s.Add(Attempt{N: i + 1, Steps: []Step{step(`{"city":"Paris"}`, codes...)}})
		}
		r := s.Close(noop)
		assert.Equal(t, tc.verdict, r.Scenario.Verdict, tc.reason)
		assert.Equal(t, tc.failedOn, r.Scenario.FailedOn, tc.reason)
		assert.Equal(t, "model", r.Scenario.CheckKinds[toolcheck.ArgsMatch])
		for _, d := range r.Scenario.Diagnoses {
			assert.Equal(t, string(diagnosis.KindOf(diagnosis.Code(d.Code), tc.choice)), d.Kind, "every diagnosis carries its kind")
		}
		if tc.verdict == sidecar.VerdictFail {
			msg := FailureMessage(r)
			assert.NotEmpty(t, msg)
			for _, l := range strings.Split(msg, "\n")[1:] {
				if strings.HasPrefix(l, "  attempt") {
					assert.Regexp(t, `^  attempt \d \((server|model)\): `, l, "each line names its kind")
				}
			}
		}
	}
	am := diagnosis.ArgsMismatch
	for _, tc := range []testCase{
		{"all pass", "auto", [][]diagnosis.Code{nil, nil, nil}, sidecar.VerdictPass, "", "a healthy scenario"},
		{"one wrong value in three", "auto", [][]diagnosis.Code{nil, {am}, nil}, sidecar.VerdictPass, "", "2/3: Wilson upper 94 % ≥ 50 %: a model erring now and then passes"},
		{"every value wrong in three", "auto", [][]diagnosis.Code{{am}, {am}, {am}}, sidecar.VerdictPass, "", "0/3: upper 56 %: three attempts are not enough evidence alone (the category and run rates still count them)"},
		{"every value wrong in four", "auto", [][]diagnosis.Code{{am}, {am}, {am}, {am}}, sidecar.VerdictFail, "model", "0/4: upper 49 % < 50 %: the model never gets it right"},
		{"one server fault", "auto", [][]diagnosis.Code{nil, {diagnosis.FinishReasonMismatch}, nil}, sidecar.VerdictFail, "server", "a server fault must never happen"},
		{"no call under required", "required", [][]diagnosis.Code{nil, {diagnosis.NoToolCall}, nil}, sidecar.VerdictFail, "server", "guided decoding makes the call certain"},
		{"both", "auto", [][]diagnosis.Code{{am}, {am, diagnosis.FinishReasonMismatch}, {am}, {am}, {am}}, sidecar.VerdictFail, "server,model", "both kinds named; the model rate is over the 4 attempts without a server fault"},
		{"none", "auto", nil, sidecar.VerdictFail, "no_attempts", "no attempt is no evidence of a pass"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestFailureMessageListsEveryFailedAttemptWithRemedy(t *testing.T) {
	s := New(scenario("auto"), "T", "think_off/stream", true, th)
	s.Add(Attempt{N: 1, Steps: []Step{step(`{"city":"Paris"}`)}})
	s.Add(Attempt{N: 2, Steps: []Step{step(`{"city":"Paris"}`, diagnosis.ParserMismatchHermes)}})
	s.Add(Attempt{N: 3, Steps: []Step{step(`{"city":"Paris"}`, diagnosis.Timeout, diagnosis.StreamMalformed)}})
	msg := FailureMessage(s.Close(noop))
	lines := strings.Split(msg, "\n")
	require.Len(t, lines, 4, "a headline and one line per finding of a failed attempt:\n%s", msg)
	assert.Equal(t, "simple_get_weather [think_off/stream]: server fault in 2 of 3 attempts (server checks must hold on every attempt)", lines[0])
	assert.Contains(t, lines[1], "attempt 2 (server): seen parser_mismatch_hermes [parser_mismatch_hermes] → fix: start vLLM with --tool-call-parser hermes")
	assert.Contains(t, lines[2], "attempt 3 (server):")
	assert.Contains(t, lines[2], "[timeout] → fix:")
	assert.Contains(t, lines[3], "[stream_malformed]")
}

// TestStreamEquivalence: a stream differing from the plain answers is a
// fault only beyond the server's own plain-to-plain variation.
func TestStreamEquivalence(t *testing.T) {
	type testCase struct {
		name     string
		plain    []string
		streamed []string
		// streamBad marks streamed answers that fail their checks.
		streamBad bool
		plainBad  bool
		mismatch  bool
		distinct  int
		reason    string
	}
	run := func(t *testing.T, tc testCase) {
		s := New(scenario("auto"), "T", "think_off/stream", true, th)
		for _, p := range tc.plain {
			st := step(p)
			if tc.plainBad {
				st = step(p, diagnosis.ArgsMismatch)
			}
			s.AddPlain(0, st)
		}
		for i, a := range tc.streamed {
			st := step(a)
			if tc.streamBad {
				st = step(a, diagnosis.ArgsMismatch)
			}
			s.Add(Attempt{N: i + 1, Steps: []Step{st}})
		}
		r := s.Close(noop)
		got := false
		for _, d := range r.Scenario.Diagnoses {
			got = got || d.Code == string(diagnosis.StreamMismatch)
		}
		assert.Equal(t, tc.mismatch, got, tc.reason)
		assert.Equal(t, tc.distinct, r.Scenario.DistinctAnswers, tc.reason)
		assert.Equal(t, tc.distinct > 1, r.Scenario.Nondeterministic, tc.reason)
	}
	P, p, X := `{"city": "Paris"}`, `{"city":"paris"}`, `{"city":"ParisParis"}`
	for _, tc := range []testCase{
		{"identical", []string{P, P, P}, []string{P, P, P}, false, false, false, 1, "a deterministic healthy server"},
		{"formatting only", []string{P, P}, []string{`{ "city" : "Paris" }`, P}, false, false, false, 1, "arguments compare as parsed JSON"},
		{"server varies, stream among plain answers", []string{P, p, P}, []string{p, P, p}, false, false, false, 2, "Paris/paris in both modes: nondeterminism, not a stream bug"},
		{"server varies, one stream outside", []string{P, P, P}, []string{p, P, P}, false, false, false, 2, "one streamed answer alone is not systematic"},
		{"deterministic server, stream always differs", []string{P, P, P}, []string{p, p, p}, false, false, true, 2, "every stream differs from plain answers that agree: the stream alone disagrees"},
		{"serializer repeats a piece", []string{P, P, P, P}, []string{X, X, X}, true, false, true, 2, "caught whatever the matchers say"},
		{"serializer breaks a nondeterministic server", []string{P, p, P}, []string{X, X, X}, true, false, true, 3, "plain answers vary but all pass; no streamed one does"},
		{"bad in both modes", []string{P, p, P}, []string{X, X, X}, true, true, false, 3, "plain answers fail too: the model, not the stream"},
		{"one twin", []string{P}, []string{p, p, p}, false, false, false, 2, "one plain answer cannot show the server is deterministic"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestUnexplainedAsksForAnotherTwin(t *testing.T) {
	s := New(scenario("auto"), "T", "think_off/stream", true, th)
	P, p := `{"city":"Paris"}`, `{"city":"paris"}`
	assert.False(t, s.Unexplained(0, step(p)), "no plain answer yet: nothing to compare with")
	s.AddPlain(0, step(P))
	assert.True(t, s.Unexplained(0, step(p)), "differs from the plain answers, which agree")
	assert.False(t, s.Unexplained(0, step(P)), "equals a plain answer")
	s.AddPlain(0, step(`{"city":"PARIS"}`))
	assert.False(t, s.Unexplained(0, step(p)), "the plain answers disagree: the server varies, another twin tells nothing new")
}

// TestModelRateRule measures the rule's false-alarm and detection rates on
// seeded draws: a model wrong in 1 call in 20 passes; 1 in 3 fails.
func TestModelRateRule(t *testing.T) {
	// A run of the catalogue with default knobs: 33 scenarios × 2 modes ×
	// 3 attempts, with thinking off; calls per attempt from 1 to 3.
	runs := func(errRate float64, seed uint64) (fails int) {
		rng := rand.New(rand.NewPCG(seed, 7))
		for range 200 {
			passed, n := 0, 0
			for sc := range 33 {
				calls := 1 + sc%3
				for range 6 {
					ok := true
					for range calls {
						ok = ok && rng.Float64() >= errRate
					}
					n++
					if ok {
						passed++
					}
				}
			}
			if ModelRate(passed, n, th.Rate).Verdict == sidecar.VerdictFail {
				fails++
			}
		}
		return fails
	}
	assert.Zero(t, runs(0.05, 1), "1 wrong call in 20: no false red in 200 runs")
	assert.Equal(t, 200, runs(1.0/3, 2), "1 wrong call in 3: red every time")
}

func TestModelRate(t *testing.T) {
	assert.Equal(t, sidecar.VerdictNone, ModelRate(0, 0, 0.8).Verdict, "no attempts: no verdict")
	assert.Equal(t, sidecar.VerdictPass, ModelRate(3, 3, 1.0).Verdict, "the old strict knob: all passed is a pass")
	assert.Equal(t, sidecar.VerdictFail, ModelRate(2, 3, 1.0).Verdict, "the old strict knob: one miss fails (Wilson upper 94 % < 100 %)")
	assert.Equal(t, sidecar.VerdictFail, ModelRate(0, 6, 0.5).Verdict)
	assert.Equal(t, sidecar.VerdictPass, ModelRate(1, 6, 0.5).Verdict)
	assert.Equal(t, sidecar.VerdictFail, ModelRate(2, 12, 0.5).Verdict)
	assert.Equal(t, sidecar.VerdictPass, ModelRate(3, 12, 0.5).Verdict)
}

func TestFinalize(t *testing.T) {
	tc := &sidecar.ToolCalling{Scenarios: []sidecar.Scenario{
		{Name: "b", Category: "simple", Attempts: 4, Passed: 2, ExpectsCall: true, AttemptsWithCalls: 3, Verdict: sidecar.VerdictFail, ServerFailures: 1,
			Checks: map[string]int{"parsed": 3, "json_valid": 2, "schema_valid": 2, "args_match": 2}, Model: sidecar.Rate{Attempts: 3, Passed: 2}},
		{Name: "a", Category: "irrelevance", Attempts: 2, Passed: 2, Verdict: sidecar.VerdictPass, Checks: map[string]int{}, Model: sidecar.Rate{Attempts: 2, Passed: 2}, Nondeterministic: true},
	}}
	Finalize(tc, th)
	assert.Equal(t, "a", tc.Scenarios[0].Name, "scenarios are sorted so the sidecar diffs well")
	require.NotNil(t, tc.ParseSuccessRate)
	assert.InDelta(t, 3.0/4, *tc.ParseSuccessRate, 1e-9, "parse rate over attempts that expected a call only")
	require.NotNil(t, tc.JSONValidRate)
	assert.InDelta(t, 2.0/3, *tc.JSONValidRate, 1e-9, "JSON-valid rate over attempts that produced a call")
	assert.False(t, tc.Passed, "one failing scenario fails the area")
	assert.Equal(t, 1, tc.ServerFailures)
	assert.Equal(t, 1, tc.Nondeterministic)
	require.NotNil(t, tc.Model)
	assert.Equal(t, 4, tc.Model.Passed)
	assert.Equal(t, 5, tc.Model.Attempts)
	require.Len(t, tc.Categories, 2)
	assert.Equal(t, "irrelevance", tc.Categories[0].Name)
	assert.Nil(t, tc.Categories[0].Parsed, "no call expected: the rate is null, not 0 or 1")
	assert.InDelta(t, 0.5, *tc.Categories[1].ArgsMatch, 1e-9)

	empty := &sidecar.ToolCalling{}
	Finalize(empty, th)
	assert.Nil(t, empty.ParseSuccessRate, "no attempts: null, never a made-up 0 or 1")
	assert.Equal(t, sidecar.VerdictNone, empty.Model.Verdict)

	bad := &sidecar.ToolCalling{Scenarios: []sidecar.Scenario{{Name: "c", Category: "parallel", Attempts: 30, Verdict: sidecar.VerdictPass, Model: sidecar.Rate{Attempts: 30, Passed: 8}}}}
	Finalize(bad, th)
	assert.False(t, bad.Passed, "every scenario passed on its own, but the category's rate is too low")
	assert.Contains(t, RateFailure("parallel", bad.Categories[0].Model, bad.Scenarios), "parallel: model checks held in 8 of 30 attempts")
}

func TestPoolJudgesTheScenarioOverItsModes(t *testing.T) {
	am := diagnosis.ArgsMismatch
	var results []Result
	for _, mode := range []string{"think_off/plain", "think_off/stream"} {
		s := New(scenario("auto"), "T", mode, false, th)
		for i := range 3 {
			s.Add(Attempt{N: i + 1, Steps: []Step{step(`{"city":"Paris"}`, am)}})
		}
		r := s.Close(noop)
		assert.Equal(t, sidecar.VerdictPass, r.Scenario.Verdict, "0/3 in one mode alone is too little evidence")
		results = append(results, r)
	}
	Pool(results, th)
	for _, r := range results {
		assert.Equal(t, sidecar.VerdictFail, r.Scenario.Verdict, "0/6 over the modes: the model never gets this scenario right")
		assert.Equal(t, "model", r.Scenario.FailedOn)
		assert.Equal(t, 6, r.Scenario.ScenarioModel.Attempts)
		assert.Contains(t, FailureMessage(r), "0 of 6 attempts over the scenario's modes")
	}
}

func TestSuspectStreamConfirmedOrCleared(t *testing.T) {
	P, W := `{"city":"Paris"}`, `{"city":"Atlantis"}`
	build := func() *Scenario {
		s := New(scenario("auto"), "T", "think_off/stream", true, th)
		for i := range 3 {
			s.AddPlain(0, step(P))
			s.Add(Attempt{N: i + 1, Steps: []Step{step(W, diagnosis.ArgsMismatch)}})
		}
		return s
	}
	chance := build()
	require.Equal(t, []int{0}, chance.Suspect(), "three wrong streams against agreeing plain answers: suspect")
	chance.AddStream(0, step(P))
	assert.Empty(t, chance.Suspect(), "an extra streamed twin that gives the plain answer clears it: the model erred by chance")
	r := chance.Close(noop)
	assert.Zero(t, r.Scenario.ServerFailures, "no stream_mismatch: the wrong values stay model findings")

	fault := build()
	for range 3 {
		fault.AddStream(0, step(W, diagnosis.ArgsMismatch))
	}
	assert.Equal(t, []int{0}, fault.Suspect(), "a streaming fault reproduces on every extra twin")
	r = fault.Close(noop)
	assert.Equal(t, 3, r.Scenario.ServerFailures, "each streamed attempt carries stream_mismatch")
	assert.Contains(t, FailureMessage(r), "all 6 streamed answers differ from the 3 non-streamed ones, which agree")
}
