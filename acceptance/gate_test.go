//go:build live

package acceptance

// The gate's cases, in the order go test runs them: the order of the
// top-level Test functions in this one file (go test runs a package's
// tests in source order, files sorted by name, so they are all here and
// nowhere else). It is the gate's order on purpose (docs/verdicts.md,
// "The gate's order"): the declared configuration first (checked in the
// preflight, before any load); then tool calling, the seed's first
// question, so that a deadline that cuts the run never leaves it
// unjudged, with structured outputs and the API contract; then stability,
// concurrency and the conversation; then capacity, and tool calling and
// structured outputs under load, which need the capacity. GateOrder lists it, and
// TestGateOrder (internal/selftest) holds go test -list to it.

import (
	"context"
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/contract"
	"github.com/vllm-acceptance/vllm-acceptance/internal/expect"
	"github.com/vllm-acceptance/vllm-acceptance/internal/loadmsg"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/structured"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// TestExpectedConfig is ACCEPTANCE_EXPECT_CONFIG against the server,
// checked in the preflight before any load (internal/suite, expect.go): a
// mismatch fails it, and every other case, with the table of expected
// against found; a fact the server does not expose is unknown, never
// failed.
func TestExpectedConfig(t *testing.T) {
	e := run.ExpectedConfig.Section()
	if e == nil {
		if msg := run.Fatal(); msg != "" {
			t.Fatal(msg)
		}
		t.Skip("ACCEPTANCE_EXPECT_CONFIG is not set: no declared configuration to check")
	}
	table := expect.Table(e)
	if passed, _ := run.Judge().Section(&sidecar.Metrics{ExpectedConfig: e}, sidecar.SectionExpectedConfig); !passed {
		t.Fatalf("expected config does not match the server (%s), checked before any load: %s\n%s", e.File, expect.Mismatches(e), table)
	}
	t.Logf("expected config (%s):\n%s", e.File, table)
}

// TestToolCalling runs every fixture scenario through /v1/chat/completions
// with the scenario's tool_choice, ACCEPTANCE_TOOLCALL_REPEATS times per
// thinking setting and transport. Subtests:
// TestToolCalling/<scenario>/think_<off|on>/<plain|stream>. A subtest
// fails on any server fault in its mode, or when the scenario's model-check
// rate over all its modes is below ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE
// beyond chance.
func TestToolCalling(t *testing.T) {
	r := firstShard(t, "tool calling")
	for _, sc := range r.Scenarios {
		parallelScenario(t, r, sc.Name, func(t *testing.T, ctx context.Context) {
			modes := r.ToolCalling.Scenario(ctx, t.Name(), sc)
			notRun := 0
			for _, m := range modes {
				if m.NotRun() != "" {
					notRun++
				}
				t.Run(m.Mode.Name(), func(t *testing.T) {
					for _, n := range toolverdict.Notes(m.Result) {
						t.Log(n)
					}
					if why := m.NotRun(); why != "" {
						t.Skip(why) // no evidence either way: never a pass
					}
					if !m.Passed() {
						t.Error(toolverdict.FailureMessage(m.Result))
					}
				})
			}
			if notRun > 0 && notRun == len(modes) {
				t.Skip(modes[0].NotRun()) // no mode ran to its end: the scenario is not run either
			}
		})
	}
}

// TestToolCallingModelRates judges the model-check rates of the scenarios
// TestToolCalling ran (it runs after them): each category in a subtest
// (TestToolCallingModelRates/<category>, against
// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE), all scenarios together in the
// test itself (against ACCEPTANCE_MODEL_MIN_PASS_RATE).
func TestToolCallingModelRates(t *testing.T) {
	r := live(t)
	tc := r.ToolCalling.Summary()
	if tc == nil {
		t.Skip("no tool-calling scenario ran")
	}
	for _, c := range tc.Categories {
		t.Run(c.Name, func(t *testing.T) {
			if msg := toolverdict.RateFailure(c.Name, c.Model, tc.Scenarios); msg != "" {
				t.Error(msg)
			} else if why := toolverdict.RatesNotRun(tc); why != "" {
				t.Skip(why)
			}
		})
	}
	// The run-wide rate is judged in the test itself, not a subtest, so
	// that it holds whatever -run selected (a subtest named "all" would be
	// filtered out by -run TestToolCalling/<scenario>).
	if msg := toolverdict.RateFailure("", *tc.Model, tc.Scenarios); msg != "" {
		t.Error(msg)
	} else if why := toolverdict.RatesNotRun(tc); why != "" {
		t.Skip(why)
	}
}

// TestStructuredOutputs runs every structured-output scenario
// (fixtures/structured: response_format json_schema and json_object,
// vLLM's structured_outputs choice and regex) ACCEPTANCE_STRUCTURED_REPEATS
// times per thinking setting and transport. Subtests:
// TestStructuredOutputs/<scenario>/think_<off|on>/<plain|stream>. A
// subtest fails on any server fault (not JSON, schema broken or a feature
// ignored under enforcement, the answer in the reasoning, a 5xx, a refused
// feature, the server worse afterwards) or when the values' rate is below
// ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE beyond chance; a mode that never
// ran is skipped as not run (unknown), never passed. The test itself fails
// when the values' rate over every mode is below
// ACCEPTANCE_MODEL_MIN_PASS_RATE beyond chance.
func TestStructuredOutputs(t *testing.T) {
	r := firstShard(t, "structured outputs")
	if len(r.Structured) == 0 {
		t.Skip("no structured-output scenario: the structured/ folder of ACCEPTANCE_FIXTURES is empty")
	}
	// The run-wide model rate, once every scenario's parallel subtests
	// are done (a cleanup of the parent runs after them).
	t.Cleanup(func() {
		if msg := structured.RateFailure(r.StructuredOutputs.Summary()); msg != "" {
			t.Error(msg)
		}
	})
	for _, sc := range r.Structured {
		parallelScenario(t, r, sc.Name, func(t *testing.T, ctx context.Context) {
			for _, m := range r.StructuredOutputs.Scenario(ctx, t.Name(), sc) {
				t.Run(m.Mode, func(t *testing.T) {
					outcome(t, r.Judge().Check(m.Check()), structured.FailureMessage(m))
				})
			}
		})
	}
}

// TestContract checks the API contract clients rely on, each check plain
// and streamed: TestContract/<check>/<plain|stream>. prompt_tokens:
// usage.prompt_tokens equals the server's /tokenize for the same messages
// (unknown without /tokenize); stream_usage (streamed only): the streamed
// usage adds up with its chunks and the non-streamed answer; then
// temperature -1, top_p 2, max_tokens 0, n 0, an unknown tool_choice name
// and a malformed response_format must each get HTTP 400 with an
// OpenAI-shaped error naming the parameter, and the server must answer a
// healthy request right after.
func TestContract(t *testing.T) {
	r := firstShard(t, "the API contract")
	ctx := runContext(t, r)
	checks := r.APIContract.Checks(ctx, t.Name())
	for _, name := range contract.Names() {
		t.Run(name, func(t *testing.T) {
			for _, c := range checks {
				if c.Name != name {
					continue
				}
				t.Run(c.Mode, func(t *testing.T) {
					o := r.Judge().Check(c.Check())
					if o == sidecar.Pass {
						t.Log(c.Detail)
					}
					outcome(t, o, contract.FailureMessage(c))
				})
			}
		})
	}
}

// TestStability sends ACCEPTANCE_STABILITY_REQUESTS streamed requests,
// ACCEPTANCE_STABILITY_INTERVAL apart, and judges success rate, latency
// degradation within each request class, preemptions and VRAM.
// Subtests: TestStability/<run>, today "alternating" (short/long).
func TestStability(t *testing.T) {
	r := firstShard(t, "stability")
	loadRuns(t, r, r.LoadRuns.StabilityRuns(), r.LoadRuns.Stability, func(res sidecar.StabilityRun) []string {
		return []string{loadmsg.StabilityLine(res), loadmsg.UnknownLine(r.Judge(), res)}
	})
}

// TestConcurrency loads the server in a closed loop (closed_<N>: N workers
// back to back) and an open loop (open_<rate>: Poisson arrivals, latency
// from the schedule), and judges success rate and goodput against the SLOs.
func TestConcurrency(t *testing.T) {
	r := live(t)
	loadRuns(t, r, r.LoadRuns.ConcurrencyRuns(), r.LoadRuns.Concurrency, func(res sidecar.ConcurrencyRun) []string {
		return []string{loadmsg.ConcurrencyLine(res), loadmsg.UnknownLine(r.Judge(), res)}
	})
}

// TestConversation holds one ACCEPTANCE_CONVERSATION_TURNS-turn
// conversation whose context grows each turn, and fails on any error or on
// TTFT growing beyond what the prompt length explains.
func TestConversation(t *testing.T) {
	r := firstShard(t, "the conversation")
	loadRuns(t, r, r.LoadRuns.ConversationRuns(), r.LoadRuns.Conversation, func(res sidecar.ConversationRun) []string {
		lines := []string{loadmsg.UnknownLine(r.Judge(), res)}
		if res.Verdict == sidecar.VerdictPass {
			lines = append(lines, loadmsg.ColdStartNote(res.Name, res.ColdStart))
		}
		return lines
	})
}

// loadRuns runs each named load run in its subtest (<Test>/<run>), logs
// its lines (the empty ones left out) and judges it (loadVerdict); the
// test itself is skipped when every run was cut (skipAll).
func loadRuns[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](t *testing.T, r *suite.Run, names []string, run func(context.Context, string) T, lines func(T) []string) {
	t.Helper()
	notRun := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			res := run(runContext(t, r), name)
			for _, l := range lines(res) {
				if l != "" {
					t.Log(l)
				}
			}
			loadVerdict(t, r, res, &notRun)
		})
	}
	skipAll(t, notRun, len(names))
}

// TestCapacity searches for the highest offered rate (open loop, Poisson)
// at which the server meets ACCEPTANCE_SLO_TTFT and ACCEPTANCE_SLO_TPOT
// for ACCEPTANCE_MIN_GOODPUT_RATIO of its requests within the error
// budget: a short saturating probe bounds the throughput, then steps
// sized by time bisect under it (docs/capacity.md). It fails when no step passed, when the
// search was refused (an SLO the idle server misses, a budget too small),
// and below ACCEPTANCE_MIN_CAPACITY when that is set.
func TestCapacity(t *testing.T) {
	r := live(t)
	if !r.Cfg.CapacityEnabled {
		t.Skip("ACCEPTANCE_CAPACITY=false: the capacity search is switched off")
	}
	ctx := runContext(t, r)
	res := r.CapacitySearch.Search(ctx)
	for _, st := range res.Steps {
		t.Log(capacity.StepLine(st))
	}
	t.Logf("capacity: %s; %d requests in %.0fs; %s", capacity.Line(res), res.Requests, res.DurationS, res.StopReason)
	switch r.Judge().RunOutcome(res.Checks, res.Verdict) {
	case sidecar.Fail:
		t.Error(capacity.Failure(r.Judge(), res))
	case sidecar.Unknown:
		t.Skip(sidecar.NotRunReason(res.Checks))
	}
}

// TestToolCallingUnderLoad runs the tool-calling catalogue again while a
// background open loop runs at ACCEPTANCE_UNDER_LOAD_FRACTION of the
// capacity TestCapacity found (skipped, with the reason, when TestCapacity
// did not run in this process or found no capacity). Subtests: TestToolCallingUnderLoad/<scenario>/<mode>. A
// mode fails on a server-check failure that the isolated run
// (TestToolCalling) did not show: a parser or stream serializer broken by
// concurrency, or KV-cache pressure cutting answers. The model-check rate
// under load is compared with the isolated one (Newcombe interval) and
// reported, not judged: the model does not change under load.
func TestToolCallingUnderLoad(t *testing.T) {
	r, ctx, bg := underLoad(t, "tool calling under load")
	modes := r.UnderLoad.RunToolCalling(ctx)
	res := r.UnderLoad.Stop(bg, modes)
	for _, m := range modes {
		t.Run(m.Name+"/"+m.Mode, func(t *testing.T) {
			if sidecar.UnderLoadModeFailed(m.UnderLoadScenario) {
				t.Error(loadmsg.UnderLoadFailure(m.UnderLoadScenario, res.RatePerS))
			} else if m.NotRun > 0 {
				t.Skip(sidecar.NotRunPrefix + "attempts cut by the suite's own stop")
			} else if m.ServerFailures > 0 {
				t.Logf("%d server failures under load, as in isolation (TestToolCalling reports them)", m.ServerFailures)
			}
		})
	}
	if line := loadmsg.BackgroundLine(res); line != "" {
		t.Log(line)
	}
	if mr := res.Model; mr != nil {
		t.Logf("model checks: %d/%d under load (%.0f%%) vs %d/%d isolated (%.0f%%): difference %+.1f points, 95%% interval [%+.1f, %+.1f]: %s",
			mr.Passed, mr.Attempts, 100*mr.Rate, mr.IsolatedPassed, mr.IsolatedAttempts, 100*mr.IsolatedRate,
			100*mr.Diff, 100*mr.DiffCI95.Low, 100*mr.DiffCI95.High, mr.Verdict)
	}
	if res.Note != "" {
		t.Log(res.Note)
	}
	if len(modes) == 0 {
		t.Skip(sidecar.NotRunPrefix + "no tool-calling scenario ran under load")
	}
}

// skipAll skips a load test whose every run was not run: go test would
// otherwise read a parent of skipped subtests as passed.
func skipAll(t *testing.T, notRun, runs int) {
	t.Helper()
	if runs > 0 && notRun == runs {
		t.Skip(sidecar.NotRunPrefix + "every run was cut by the suite's own stop")
	}
}

// loadVerdict fails a load run the judge fails, with its failure text,
// and skips one that did not run (cut by the suite's own stop), with the
// reason: never a pass, never a server fault. It counts the runs not run
// in *notRun (before the skip ends the subtest).
func loadVerdict[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](t *testing.T, r *suite.Run, res T, notRun *int) {
	t.Helper()
	var cs []sidecar.Check
	var v string
	switch x := any(res).(type) {
	case sidecar.StabilityRun:
		cs, v = x.Checks, x.Verdict
	case sidecar.ConcurrencyRun:
		cs, v = x.Checks, x.Verdict
	case sidecar.ConversationRun:
		cs, v = x.Checks, x.Verdict
	}
	switch r.Judge().RunOutcome(cs, v) {
	case sidecar.Fail:
		t.Error(loadmsg.LoadFailure(r.Judge(), res))
	case sidecar.Unknown:
		*notRun++
		t.Skip(sidecar.NotRunReason(cs))
	}
}

// TestStructuredOutputsUnderLoad runs the structured-output scenarios
// again while a background open loop runs at
// ACCEPTANCE_UNDER_LOAD_FRACTION of the capacity TestCapacity found
// (skipped, with the reason, without one). Subtests:
// TestStructuredOutputsUnderLoad/<scenario>/<mode>. A mode fails on a
// server fault the isolated run (TestStructuredOutputs) did not show:
// each answer's schema validity is judged per request at the operating
// point. The decode-time cost of structured requests against the plain
// background requests of the same window is logged and recorded, not
// judged.
func TestStructuredOutputsUnderLoad(t *testing.T) {
	r, ctx, bg := underLoad(t, "structured outputs under load")
	res := r.UnderLoad.RunStructuredOutputs(ctx, bg)
	for _, m := range res.Scenarios {
		t.Run(m.Name+"/"+m.Mode, func(t *testing.T) {
			if sidecar.UnderLoadModeFailed(m) {
				t.Error(structured.UnderLoadFailure(m, res.RatePerS))
			} else if m.NotRun > 0 {
				t.Skip(sidecar.NotRunPrefix + "attempts cut by the suite's own stop")
			} else if m.ServerFailures > 0 {
				t.Logf("%d server failures under load, as in isolation (TestStructuredOutputs reports them)", m.ServerFailures)
			}
		})
	}
	if bgl := res.Background; bgl != nil {
		t.Log(loadmsg.ConcurrencyLine(*bgl))
	}
	t.Log(structured.DecodeLine(res))
	if res.Note != "" {
		t.Log(res.Note)
	}
	if v := sidecar.UnderLoadVerdictOf(res.Scenarios, "structured outputs"); v.NotRun != "" && v.Outcome != sidecar.Fail {
		t.Skip(v.NotRun)
	}
}

// firstShard returns the run for an area only the first shard runs
// (sharded, the others send only their part of the load), skipping the
// case with the reason on any other shard.
func firstShard(t *testing.T, area string) *suite.Run {
	t.Helper()
	r := live(t)
	if why := r.OnlyOnFirstShard(area); why != "" {
		t.Skip(why)
	}
	return r
}

// outcome fails the case on a fail, and skips it on an unknown (not run,
// or a fact the server does not expose: no evidence either way, never a
// pass), with msg; a pass leaves it passed. o is the judge's
// (sidecar.Judge.Check), so that ACCEPTANCE_FAIL_UNKNOWN fails the case
// here as it does in merge's junit.xml.
func outcome(t *testing.T, o sidecar.Outcome, msg string) {
	t.Helper()
	switch o {
	case sidecar.Fail:
		t.Error(msg)
	case sidecar.Unknown:
		t.Skip(msg)
	}
}

// parallelScenario runs body in the scenario's subtest, in parallel with
// the other scenarios but holding one of ACCEPTANCE_PARALLEL's slots.
func parallelScenario(t *testing.T, r *suite.Run, name string, body func(t *testing.T, ctx context.Context)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		r.Acquire()
		defer r.Release()
		body(t, runContext(t, r))
	})
}

// runContext is t's context, also cancelled when the run stops (a
// signal, go test's deadline), released when the case ends.
func runContext(t *testing.T, r *suite.Run) context.Context {
	ctx, cancel := r.Context(t.Context())
	t.Cleanup(cancel)
	return ctx
}

// underLoad starts the background loop an area under load runs beside,
// at ACCEPTANCE_UNDER_LOAD_FRACTION of the capacity TestCapacity found,
// skipping the case with the reason when there is none to load the
// server at.
func underLoad(t *testing.T, area string) (*suite.Run, context.Context, *suite.Background) {
	t.Helper()
	r := firstShard(t, area)
	if !r.Cfg.CapacityEnabled {
		t.Skip("ACCEPTANCE_CAPACITY=false: no capacity to load the server at")
	}
	ctx := runContext(t, r)
	bg, why := r.UnderLoad.Start(ctx)
	if why != "" {
		t.Skip(why)
	}
	return r, ctx, bg
}
