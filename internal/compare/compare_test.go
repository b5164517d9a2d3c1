package compare

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

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

func TestCompare(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		cand   *sidecar.Metrics
		base   *sidecar.Metrics // nil: baseMetrics()
		opts   Options
		// verdict is the overall one; metric/row the row to check ("" none).
		verdict string
		metric  string
		row     string
		refusal string // a substring of some refusal
		minRows int
	}
	const ttft90 = "stability.runs[mixed].ttft_ms.p90"
	run := func(t *testing.T, tc testCase) {
		base := tc.base
		if base == nil {
			base = baseMetrics()
		}
		res := Compare(base, tc.cand, DefaultTolerances(), tc.opts)
		assert.Equal(t, tc.verdict, res.Verdict, tc.reason)
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
		assert.GreaterOrEqual(t, len(res.Rows), tc.minRows, tc.reason)
	}
	testCases := []testCase{
		{
			name: "equal runs", reason: "a run compared with itself has nothing to report",
			cand: baseMetrics(), verdict: VerdictPass, metric: ttft90, row: RowOK, minRows: 20,
		},
		{
			name:    "ttft just inside relative tolerance",
			reason:  "500 → 550 ms is +10 % exactly: the boundary is inside",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 550 }),
			verdict: VerdictPass, metric: ttft90, row: RowOK,
		},
		{
			name:    "ttft just outside relative tolerance",
			reason:  "500 → 551 ms is +10.2 % and +51 ms, past both the relative tolerance and the floor",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 551 }),
			verdict: VerdictRegressed, metric: ttft90, row: RowRegressed,
		},
		{
			name:    "tiny simulator figures under the absolute floor",
			reason:  "30 → 38 ms is +27 % but only +8 ms: under the 10 ms floor, so noise",
			base:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 30 }),
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 38 }),
			verdict: VerdictPass, metric: ttft90, row: RowOK,
		},
		{
			name:    "latency improvement",
			reason:  "500 → 300 ms is −40 % and −200 ms",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 300 }),
			verdict: VerdictPass, metric: ttft90, row: RowImproved,
		},
		{
			name:    "throughput drop just inside",
			reason:  "43.3 → 39.0 tok/s is −9.9 %, inside the 10 % drop",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].OutputTokensPerS.P50 = 39.0 }),
			verdict: VerdictPass, metric: "stability.runs[mixed].output_tokens_per_s.p50", row: RowOK,
		},
		{
			name:    "throughput drop just outside",
			reason:  "43.3 → 38.9 tok/s is −10.2 % and −4.4 tok/s",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].OutputTokensPerS.P50 = 38.9 }),
			verdict: VerdictRegressed, metric: "stability.runs[mixed].output_tokens_per_s.p50", row: RowRegressed,
		},
		{
			name:    "concurrency throughput improvement",
			reason:  "250 → 300 tok/s under load is +20 %",
			cand:    with(func(m *sidecar.Metrics) { m.Concurrency.Runs[0].OutputThroughput = 300 }),
			verdict: VerdictPass, metric: "concurrency.runs[closed_8].output_throughput", row: RowImproved,
		},
		{
			name:   "pass rate inside the Wilson lower bound",
			reason: "3/3 → 2/3: the baseline's Wilson 95 % low is 0.44, so three attempts cannot call this a regression",
			cand: with(func(m *sidecar.Metrics) {
				s := &m.ToolCalling.Scenarios[0]
				s.Passed, s.PassRate = 2, 2.0/3
			}),
			verdict: VerdictPass, metric: "tool_calling.scenarios[simple_weather/plain].pass_rate", row: RowOK,
		},
		{
			name:   "pass rate below the Wilson lower bound",
			reason: "3/3 → 1/3 falls below 0.44",
			cand: with(func(m *sidecar.Metrics) {
				s := &m.ToolCalling.Scenarios[1]
				s.Passed, s.PassRate = 1, 1.0/3
			}),
			verdict: VerdictRegressed, metric: "tool_calling.scenarios[simple_weather/stream].pass_rate", row: RowRegressed,
		},
		{
			name:    "own tool-calling gate failed",
			reason:  "the candidate must pass its own gate even when no figure moved past a tolerance",
			cand:    with(func(m *sidecar.Metrics) { m.ToolCalling.Passed = false }),
			verdict: VerdictRegressed, metric: "tool_calling.passed", row: RowRegressed,
		},
		{
			name:    "new errors",
			reason:  "one failed request in 20 is +0.05 error rate; the default tolerance is 0",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].Completed = 19 }),
			verdict: VerdictRegressed, metric: "stability.runs[mixed].error_rate", row: RowRegressed,
		},
		{
			name:    "degradation inside delta",
			reason:  "0.08 → 0.13 is +0.05, exactly the allowed increase, and still under its own 0.20",
			cand:    with(func(m *sidecar.Metrics) { m.Stability.Runs[0].Degradation.Value = 0.13 }),
			verdict: VerdictPass, metric: "stability.runs[mixed].degradation", row: RowOK,
		},
		{
			name:   "degradation fails own threshold",
			reason: "a candidate that fails its own degradation threshold regresses whatever the baseline did",
			cand: with(func(m *sidecar.Metrics) {
				m.Stability.Runs[0].Degradation.Value = 0.10
				m.Stability.Runs[0].Degradation.Passed = false
			}),
			verdict: VerdictRegressed, metric: "stability.runs[mixed].degradation", row: RowRegressed,
		},
		{
			name:    "vram growth",
			reason:  "20800 → 22400 MiB is +7.7 % and +1600 MiB",
			cand:    with(func(m *sidecar.Metrics) { m.GPU.Devices[0].MemUsedMaxMiB = 22400 }),
			verdict: VerdictRegressed, metric: "gpu.mem_used_max_mib", row: RowRegressed,
		},
		{
			name:    "candidate without local GPU",
			reason:  "a runner with no GPU has no VRAM figure: listed as missing, not failed",
			cand:    with(func(m *sidecar.Metrics) { m.GPU = &sidecar.GPU{Available: false, Note: "no local GPU: NVML not found"} }),
			verdict: VerdictPass, metric: "gpu.mem_used_max_mib", row: RowMissing,
		},
		{
			name:    "missing concurrency section",
			reason:  "a candidate run without the load section shows its rows as missing",
			cand:    with(func(m *sidecar.Metrics) { m.Concurrency = nil }),
			verdict: VerdictPass, metric: "concurrency.runs[closed_8].output_throughput", row: RowMissing,
		},
		{
			name:    "missing scenario",
			reason:  "a scenario only the baseline ran is missing in the candidate",
			cand:    with(func(m *sidecar.Metrics) { m.ToolCalling.Scenarios = m.ToolCalling.Scenarios[:2] }),
			verdict: VerdictPass, metric: "tool_calling.scenarios[parallel_two_cities/plain].pass_rate", row: RowMissing,
		},
		{
			name:    "mismatched model",
			reason:  "figures of two models say nothing about a configuration change",
			cand:    with(func(m *sidecar.Metrics) { m.Target.Model = "Qwen/Qwen3-8B" }),
			verdict: VerdictRefused, refusal: "model differs",
		},
		{
			name:    "simulator against vllm",
			reason:  "a simulator run is not evidence about a real server",
			cand:    with(func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator }),
			verdict: VerdictRefused, refusal: "simulator run says nothing",
		},
		{
			name:    "old schema version",
			reason:  "a sidecar of another major version may mean other things under the same names",
			base:    with(func(m *sidecar.Metrics) { m.SchemaVersion = 0 }),
			cand:    baseMetrics(),
			verdict: VerdictRefused, refusal: "schema_version differs",
		},
		{
			name:    "different knobs",
			reason:  "5 repeats against 3 changes what a pass rate means",
			cand:    with(func(m *sidecar.Metrics) { m.Knobs.ToolCallRepeats = 5 }),
			verdict: VerdictRefused, refusal: "toolcall_repeats differs",
		},
		{
			name:   "incomplete candidate",
			reason: "an interrupted run lacks the figures of its unfinished part",
			cand: with(func(m *sidecar.Metrics) {
				m.Complete, m.EndReason, m.EndDetail = false, sidecar.EndInterrupted, "SIGINT"
			}),
			verdict: VerdictRefused, refusal: `incomplete (end_reason "interrupted": SIGINT)`,
		},
		{
			name:    "force overrides refusal",
			reason:  "--force compares anyway and keeps the reason",
			cand:    with(func(m *sidecar.Metrics) { m.Target.Model = "Qwen/Qwen3-8B" }),
			opts:    Options{Force: true},
			verdict: VerdictPass, refusal: "model differs", metric: ttft90, row: RowOK, minRows: 20,
		},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestCompareForcedKeepsReasons(t *testing.T) {
	cand := with(func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })
	res := Compare(baseMetrics(), cand, DefaultTolerances(), Options{Force: true})
	assert.True(t, res.Forced)
	assert.False(t, res.Refused)
	assert.NotEmpty(t, res.Refusals)
}

func TestWilson95(t *testing.T) {
	ci := Wilson95(3, 3)
	assert.InDelta(t, 0.4385, ci.Low, 1e-4, "3/3")
	assert.InDelta(t, 1.0, ci.High, 1e-9, "3/3")
	ci = Wilson95(0, 0)
	assert.Equal(t, 0.0, ci.Low, "no attempts: no information")
	assert.Equal(t, 1.0, ci.High)
}

func readSidecar(t *testing.T, path string) *sidecar.Metrics {
	t.Helper()
	fh, err := os.Open(path)
	require.NoError(t, err)
	defer fh.Close()
	m, err := Decode(fh)
	require.NoError(t, err)
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test ./internal/compare -update' to create it")
	assert.Equal(t, string(want), string(got), "golden %s differs; rerun with -update if the change is intended", path)
}

// TestGolden compares testdata/baseline.json with testdata/candidate.json
// (the candidate regresses TTFT p90 and one scenario, improves throughput,
// and has no local GPU) and checks both writers against golden files.
func TestGolden(t *testing.T) {
	base := readSidecar(t, "testdata/baseline.json")
	cand := readSidecar(t, "testdata/candidate.json")
	res := Compare(base, cand, DefaultTolerances(), Options{})
	require.Equal(t, VerdictRegressed, res.Verdict)

	var md, js bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, res))
	require.NoError(t, WriteJSON(&js, res))
	golden(t, "compare.golden.md", md.Bytes())
	golden(t, "compare.golden.json", js.Bytes())

	refused := Compare(base, with(func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator }), DefaultTolerances(), Options{})
	md.Reset()
	require.NoError(t, WriteMarkdown(&md, refused))
	golden(t, "compare_refused.golden.md", md.Bytes())
}
