package compare

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func rowByMetric(t *testing.T, res Result, metric string) Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Metric == metric {
			return r
		}
	}
	require.Failf(t, "no row", "metric %s not in %d rows", metric, len(res.Rows))
	return Row{}
}

func one(m *sidecar.Metrics) []sidecar.Run { return []sidecar.Run{{Name: "1", Metrics: m}} }

// synthWith draws one seeded run of a quiet world (±2 % per-request noise,
// no run-to-run shift: the rule, not the noise, decides) and changes it.
func synthWith(seed uint64, change func(w *world), mc func(m *sidecar.Metrics)) []sidecar.Run {
	w := defaultWorld()
	w.shift, w.noise = 0, 0.02
	if change != nil {
		change(&w)
	}
	runs := side(rand.New(rand.NewPCG(seed, 0)), w, 1)
	if mc != nil {
		mc(runs[0].Metrics)
	}
	return runs
}

func TestCompare(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		base   []sidecar.Run
		cand   []sidecar.Run
		opts   Options
		// verdict is the overall one ("" not checked); metric/row the row
		// to check ("" none).
		verdict string
		metric  string
		row     string
		refusal string // a substring of some refusal
	}
	const ttft50 = "stability.runs[alternating].ttft_ms.p50"
	run := func(t *testing.T, tc testCase) {
		res := Compare(tc.base, tc.cand, DefaultTolerances(), tc.opts)
		if tc.verdict != "" && !assert.Equal(t, tc.verdict, res.Verdict, "%s\n%s", tc.reason, res.Advice) {
			for _, r := range res.Rows {
				if r.Verdict != RowPass && !r.Advisory {
					t.Logf("%s %s %s %s", r.Metric, r.Verdict, fmtInterval(&r), r.Tolerance)
				}
			}
		}
		if tc.metric != "" {
			r := rowByMetric(t, res, tc.metric)
			assert.Equal(t, tc.row, r.Verdict, "%s: %+v", tc.reason, r)
		}
		if tc.refusal != "" {
			assert.Contains(t, strings.Join(res.Refusals, "\n"), tc.refusal, tc.reason)
		}
		if tc.verdict == VerdictRefused {
			assert.True(t, res.Refused, tc.reason)
			assert.Empty(t, res.Rows, "a refused comparison shows no figures: %s", tc.reason)
		}
	}
	base := func() []sidecar.Run { return synthWith(1, nil, nil) }
	three := func(seed uint64, change func(w *world)) []sidecar.Run {
		w := defaultWorld()
		if change != nil {
			change(&w)
		}
		return side(rand.New(rand.NewPCG(seed, 0)), w, 3)
	}
	testCases := []testCase{
		{name: "equal runs", reason: "a run compared with itself passes: every interval sits on 1 (or 0)",
			base: base(), cand: base(), verdict: VerdictPass, metric: ttft50, row: RowPass},
		{name: "same configuration, another run", reason: "per-request noise alone stays inside the tolerance (seeded; TestFalseAlarmAndDetection measures the rates)",
			base: base(), cand: synthWith(3, nil, nil), verdict: VerdictPass, metric: ttft50, row: RowPass},
		{name: "25 % slower, one run each", reason: "the whole TTFT interval lies beyond +10 %",
			base: base(), cand: synthWith(2, func(w *world) { w.slower = 1.25 }, nil), verdict: VerdictRegressed, metric: ttft50, row: RowRegressed},
		{name: "10 % slower, one run each", reason: "TTFT +10 % with ±10 % per-request noise on 20 requests: the median's interval straddles +10 %",
			base: synthWith(1, func(w *world) { w.noise = 0.1 }, nil), cand: synthWith(2, func(w *world) { w.ttftMs, w.noise = 220, 0.1 }, nil),
			metric: ttft50, row: RowInconclusive},
		{name: "tiny figures under the absolute floor", reason: "30 ms → 36 ms is +20 % but +6 ms, under the 10 ms floor",
			base: synthWith(1, func(w *world) { w.ttftMs = 30 }, nil), cand: synthWith(3, func(w *world) { w.ttftMs = 36 }, nil),
			verdict: VerdictPass, metric: ttft50, row: RowPass},
		{name: "3 runs each, same configuration", reason: "runs as the unit: ±8 % shifts do not regress; with variation about the tolerance, 3 runs may be inconclusive",
			base: three(3, nil), cand: three(4, nil), metric: "concurrency.runs[closed_8].ttft_ms.p50", verdict: VerdictInconclusive, row: RowInconclusive},
		{name: "3 runs each, 25 % slower", reason: "runs as the unit still catch 25 %",
			base: three(3, nil), cand: three(5, func(w *world) { w.slower = 1.25 }), verdict: VerdictRegressed, metric: ttft50, row: RowRegressed},
		{name: "throughput drop", reason: "20 % fewer tokens/s regresses the throughput rows",
			base: base(), cand: synthWith(2, func(w *world) { w.itlMs = 6.25 }, nil), verdict: VerdictRegressed,
			metric: "stability.runs[alternating].output_tokens_per_s.p50", row: RowRegressed},
		{name: "scenario drop 3/3 → 0/3", reason: "an advisory row still catches a regression",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { setPassed(&m.ToolCalling.Scenarios[0], 0) }),
			verdict: VerdictRegressed, metric: "tool_calling.scenarios[scenario_00/plain].pass_rate", row: RowRegressed},
		{name: "scenario 3/3 → 2/3", reason: "three attempts cannot tell (advisory); the pooled 60/60 → 59/60 cannot rule out a 5-point drop either",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { setPassed(&m.ToolCalling.Scenarios[0], 2) }),
			verdict: VerdictInconclusive, metric: "tool_calling.scenarios[scenario_00/plain].pass_rate", row: RowInconclusive},
		{name: "pooled pass rate drops to 2/3", reason: "180 attempts at 1.0 against 180 at 0.67 is a regression",
			base: base(), cand: synthWith(1, func(w *world) { w.passed = 2 }, nil), verdict: VerdictRegressed, metric: "tool_calling.pass_rate", row: RowRegressed},
		{name: "own gate failed", reason: "a candidate whose own tool-calling gate fails regresses",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) {
				// A fact the judge fails (a server fault in one mode), not a
				// stored bool: the section's verdict is derived.
				m.ToolCalling.Scenarios[0].Verdict, m.ToolCalling.Scenarios[0].FailedOn = sidecar.VerdictFail, "server"
				m.ToolCalling.Passed = false
			}),
			verdict: VerdictRegressed, metric: "tool_calling.passed", row: RowRegressed},
		{name: "own gate failed in one of three runs", reason: "a flaky candidate is inconclusive",
			base: three(3, nil), cand: func() []sidecar.Run {
				r := three(4, nil)
				r[1].Metrics.Stability.Passed = false
				failRun(&r[1].Metrics.Stability.Runs[0])
				return r
			}(), verdict: VerdictInconclusive, metric: "stability.passed", row: RowInconclusive},
		{name: "own degradation check failed", reason: "a run's own degradation check (a trend test with a false alarm in about one run in twenty) is judged by the degradation row, by interval",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) {
				m.Stability.Passed = false
				r := &m.Stability.Runs[0]
				r.Verdict = "fail"
				r.Checks = []sidecar.Check{{Name: "success_rate", Passed: true}, {Name: "degradation", Passed: false, Value: 0.21}}
			}), verdict: VerdictPass, metric: "stability.passed", row: RowPass},
		{name: "own success-rate check failed", reason: "every other own check counts as it is",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) {
				m.Stability.Passed = false
				r := &m.Stability.Runs[0]
				r.Verdict = "fail"
				r.Checks = []sidecar.Check{{Name: "success_rate", Passed: false}, {Name: "degradation", Passed: true}}
			}), verdict: VerdictRegressed, metric: "stability.passed", row: RowRegressed},
		{name: "preemptions unknown on both sides", reason: "issue 18: an unmeasured check (no preemption counter on /metrics) fails nothing, so identical runs do not regress",
			base: synthWith(1, nil, unknownPreemptions), cand: synthWith(1, nil, unknownPreemptions), verdict: VerdictPass, metric: "stability.passed", row: RowPass},
		{name: "preemptions unknown, and the candidate asks that it fail", reason: "ACCEPTANCE_FAIL_UNKNOWN names the check: the candidate's own verdict fails",
			base: synthWith(1, nil, unknownPreemptions), cand: synthWith(1, nil, func(m *sidecar.Metrics) {
				unknownPreemptions(m)
				m.Knobs.FailUnknown = sidecar.CheckPreemptions
			}), verdict: VerdictRegressed, metric: "stability.passed", row: RowRegressed},
		{name: "new errors", reason: "12 failed of 40 load requests is beyond +5 %",
			base: base(), cand: synthWith(1, func(w *world) { w.errors = 12 }, nil), verdict: VerdictRegressed, metric: "load.error_rate", row: RowRegressed},
		{name: "vram growth", reason: "20800 → 22400 MiB is +7.7 % and +1600 MiB, one run each: point ratio",
			base: synthWith(1, nil, func(m *sidecar.Metrics) { m.GPU = gpu(20800) }), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.GPU = gpu(22400) }),
			verdict: VerdictRegressed, metric: "gpu.mem_used_max_mib", row: RowRegressed},
		{name: "missing concurrency section", reason: "a candidate without the load section shows its rows as missing",
			base: base(), cand: synthWith(3, nil, func(m *sidecar.Metrics) { m.Concurrency = nil }),
			metric: "concurrency.runs[closed_8].output_throughput", row: RowMissing},
		{name: "no histograms, one run each", reason: "a single run without distributions has no interval",
			base: synthWith(1, nil, func(m *sidecar.Metrics) { m.Stability.Runs[0].Histograms = nil }), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Stability.Runs[0].Histograms = nil }),
			verdict: VerdictInconclusive, metric: ttft50, row: RowInconclusive},
		{name: "mismatched model", reason: "figures of two models say nothing about a configuration change",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.Model = "Qwen/Qwen3-8B" }), verdict: VerdictRefused, refusal: "model differs"},
		{name: "simulator against vllm", reason: "a simulator run is not evidence about a real server",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator }), verdict: VerdictRefused, refusal: "target kind differs"},
		{name: "other knobs", reason: "other run sizes change what a figure means",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Provenance.KnobsSHA256 = "3" }), verdict: VerdictRefused, refusal: "knobs (sha256) differs"},
		{name: "other fixtures", reason: "other scenarios are another test",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Provenance.FixturesSHA256 = "3" }), verdict: VerdictRefused, refusal: "fixtures (sha256) differs"},
		{name: "fixtures differ, by short hashes", reason: "a refusal names the two hashes as git names commits, not 64 digits each",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Provenance.FixturesSHA256 = strings.Repeat("ab", 32) }), verdict: VerdictRefused,
			refusal: `candidate "abababababab…"`},
		{name: "new server version is what a candidate changes", reason: "the server version may differ between sides",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.ServerVersion, m.Provenance.ServerVersion = "0.12.0", "0.12.0" }), verdict: VerdictPass},
		{name: "runs of a side disagree", reason: "a side must be runs of one configuration",
			base: func() []sidecar.Run {
				r := three(3, nil)
				r[2].Metrics.Target.ServerVersion = "0.12.0"
				return r
			}(), cand: three(4, nil), verdict: VerdictRefused, refusal: "baseline runs disagree on server version"},
		{name: "incomplete candidate", reason: "an interrupted run lacks the figures of its unfinished part",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) {
				m.Complete, m.EndReason, m.EndDetail = false, sidecar.EndInterrupted, "SIGINT"
			}), verdict: VerdictRefused, refusal: `incomplete (end_reason "interrupted: SIGINT")`},
		{name: "empty side", reason: "nothing to compare", base: nil, cand: base(), verdict: VerdictRefused, refusal: "a side has no runs"},
		{name: "force overrides refusal", reason: "--force compares anyway and keeps the reason",
			base: base(), cand: synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.Model = "Qwen/Qwen3-8B" }), opts: Options{Force: true},
			verdict: VerdictPass, refusal: "model differs", metric: ttft50, row: RowPass},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func gpu(maxMiB float64) *sidecar.GPU {
	return &sidecar.GPU{Available: true, Devices: []sidecar.GPUDevice{{Name: "NVIDIA H200", MemTotalMiB: 143771, MemUsedMaxMiB: maxMiB}}}
}

func TestCompareForcedKeepsReasons(t *testing.T) {
	cand := synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })
	res := Compare(synthWith(1, nil, nil), cand, DefaultTolerances(), Options{Force: true})
	assert.True(t, res.Forced)
	assert.False(t, res.Refused)
	assert.NotEmpty(t, res.Refusals)
}

func TestInconclusiveAdvice(t *testing.T) {
	res := Compare(synthWith(1, func(w *world) { w.noise = 0.1 }, nil), synthWith(2, func(w *world) { w.ttftMs, w.noise = 212, 0.1 }, nil), DefaultTolerances(), Options{})
	require.Equal(t, VerdictInconclusive, res.Verdict)
	assert.Contains(t, res.Advice, "ACCEPTANCE_RUNS=3", "one run per side: the advice asks for runs that measure run-to-run variation")
	assert.False(t, res.RunToRun)
	r := rowByMetric(t, res, "stability.runs[alternating].ttft_ms.p50")
	assert.Contains(t, r.Why, "run-to-run variation not measured")
}

func readSidecar(t *testing.T, path string) *sidecar.Metrics {
	t.Helper()
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	m, err := sidecar.Decode(fh)
	require.NoError(t, err)
	return m
}

// TestGolden compares the testdata run folders (base against slow: 3 runs
// each, the candidate 25 % slower) and checks both writers against golden
// files, plus a refused comparison.
func TestGolden(t *testing.T) {
	base, err := sidecar.ReadRuns("testdata/runs/base")
	require.NoError(t, err)
	slow, err := sidecar.ReadRuns("testdata/runs/slow")
	require.NoError(t, err)
	res := Compare(base, slow, DefaultTolerances(), Options{})
	require.Equal(t, VerdictRegressed, res.Verdict)

	var md, js bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, res))
	require.NoError(t, WriteJSON(&js, res))
	golden.Assert(t, filepath.Join("testdata", "compare.golden.md"), md.Bytes())
	golden.Assert(t, filepath.Join("testdata", "compare.golden.json"), js.Bytes())

	sim := synthWith(1, nil, func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })
	refused := Compare(base, sim, DefaultTolerances(), Options{})
	md.Reset()
	require.NoError(t, WriteMarkdown(&md, refused))
	golden.Assert(t, filepath.Join("testdata", "compare_refused.golden.md"), md.Bytes())
}

func TestScenarioCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s      sidecar.Scenario
		k, n   int
		reason string
	}{
		{"model figures", sidecar.Scenario{Attempts: 6, Passed: 3, ServerFailures: 1, Model: sidecar.Rate{Attempts: 5, Passed: 4}}, 4, 5,
			"the model-check rate over attempts without a server fault"},
		{"all server faults", sidecar.Scenario{Attempts: 3, ServerFailures: 3}, 0, 0,
			"no attempt to judge the model on; the server faults fail the own verdict"},
		{"no model figures", sidecar.Scenario{Attempts: 3, Passed: 2}, 2, 3,
			"a sidecar without model figures falls back to passed/attempts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, n := ScenarioCounts(&tc.s)
			assert.Equal(t, [2]int{tc.k, tc.n}, [2]int{k, n}, tc.reason)
		})
	}
}

// unknownPreemptions records the preemption check as a run against a
// /metrics without vllm:num_preemptions_total records it: skipped, not
// passed ("preemptions unknown").
func unknownPreemptions(m *sidecar.Metrics) {
	for i := range m.Stability.Runs {
		m.Stability.Runs[i].Checks = append(m.Stability.Runs[i].Checks,
			sidecar.Check{Name: sidecar.CheckPreemptions, Skipped: true, Detail: "preemptions unknown: no vllm:num_preemptions_total on /metrics"})
	}
}
