package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// fixture is testdata/metrics.json and requests.jsonl: a hand-written run
// of a Qwen3-32B-AWQ server shaped like the seed report
// (the hand-run benchmark report this suite replaces): one scenario with a hermes
// parser mismatch, a stability run with one timeout, two load runs, a
// conversation, one GPU and a /metrics series.
func fixture(t *testing.T) (*sidecar.Metrics, []record.Record) {
	t.Helper()
	m, err := sidecar.Read("testdata/metrics.json")
	require.NoError(t, err)
	recs, err := record.ReadFile("testdata/requests.jsonl")
	require.NoError(t, err)
	require.Len(t, recs, 32)
	return m, recs
}

func TestMarkdownGolden(t *testing.T) {
	m, recs := fixture(t)
	var a, b bytes.Buffer
	require.NoError(t, Markdown(&a, m, recs, Options{}))
	require.NoError(t, Markdown(&b, m, recs, Options{}))
	assert.Equal(t, a.String(), b.String(), "same inputs, same bytes")
	golden.Assert(t, filepath.Join("testdata", "report.golden.md"), a.Bytes())

	md := a.String()
	for _, want := range []string{
		"# vLLM acceptance report: FAIL",
		"| model | Qwen/Qwen3-32B-AWQ |",
		"| parallel_two_cities | plain | 2/3 | 0.667 [0.208, 0.939] | 1 | 2/2 1.000 [0.439, 1.000] | **FAIL** | `parser_mismatch_hermes` (server) ×1 |",
		"**`parser_mismatch_hermes`** ×1 (parallel_two_cities/plain)",
		"Fix: --tool-call-parser hermes",
		"**`timeout`** ×1 (TestStability/mixed)",
		"- stability mixed: `success_rate` 0.950 against 1.000: 1 of 20 requests timed out",
		"Errors by kind: `timeout` ×1.",
		"method `max(window_ratio, trend)`",
		"(stability-mixed-ttft.svg)",
		"(stability-mixed-latency-cdf.svg)",
	} {
		assert.Contains(t, md, want)
	}

	// What a reader came for comes first: the summary and the failures
	// before any section, the run's details last.
	order := []string{"## Summary", "### What failed and how to fix it", "## Tool calling", "## Stability", "## Run details"}
	last := -1
	for _, h := range order {
		i := strings.Index(md, h)
		require.GreaterOrEqual(t, i, 0, h)
		assert.Greater(t, i, last, "%s comes after the one before it", h)
		last = i
	}
	// A failing scenario row is shown; passing ones are folded away.
	failing := strings.Index(md, "| parallel_two_cities | plain |")
	require.GreaterOrEqual(t, failing, 0)
	assert.NotContains(t, lastOpenDetails(md[:failing]), "<details>", "the failing row is not inside <details>")
	passing := strings.Index(md, "| simple_weather | plain |")
	require.GreaterOrEqual(t, passing, 0)
	assert.Contains(t, lastOpenDetails(md[:passing]), "<details>", "a passing row is inside <details>")
}

// lastOpenDetails is "<details>" when s ends inside a <details> block.
func lastOpenDetails(s string) string {
	if strings.LastIndex(s, "<details>") > strings.LastIndex(s, "</details>") {
		return "<details>"
	}
	return ""
}

func TestMarkdownChangesAgainstBaseline(t *testing.T) {
	m, recs := fixture(t)
	var without, with bytes.Buffer
	require.NoError(t, Markdown(&without, m, recs, Options{}))
	assert.NotContains(t, without.String(), "Against the baseline", "no baseline given, no section")

	ch := &Changes{Baseline: "runs/2025-10-01", Verdict: "regressed", Reason: "TTFT p90 of stability grew.",
		Rows: []ChangeRow{{Area: "stability", Figure: "TTFT p90", Baseline: "30.0 ms", Candidate: "45.0 ms", Change: "+50.0 %", Verdict: "regressed"}}}
	require.NoError(t, Markdown(&with, m, recs, Options{Changes: ch}))
	md := with.String()
	assert.Contains(t, md, "### Against the baseline: **REGRESSED**")
	assert.Contains(t, md, "| stability | TTFT p90 | 30.0 ms | 45.0 ms | +50.0 % | **REGRESSED** |")
	assert.Less(t, strings.Index(md, "Against the baseline"), strings.Index(md, "## Tool calling"), "the comparison is part of the summary")

	var page bytes.Buffer
	require.NoError(t, HTML(&page, m, recs, Options{Changes: ch}))
	assert.Contains(t, page.String(), "Against the baseline", "report.html has it too")

	var sum bytes.Buffer
	require.NoError(t, Summary(&sum, m, "", Options{Changes: ch}))
	assert.Contains(t, sum.String(), "Against the baseline runs/2025-10-01: **REGRESSED**. TTFT p90 of stability grew.", "the step summary has the verdict line")
	assert.NotContains(t, sum.String(), "| stability | TTFT p90", "and no table: the report has it")
}

// TestChangesFirstScreen: a long list of changed figures is cut, with a
// note saying where every figure is, so the summary stays one screen.
func TestChangesFirstScreen(t *testing.T) {
	m, recs := fixture(t)
	ch := &Changes{Baseline: "base", Verdict: "regressed", More: "`vllm-acceptance compare base out`"}
	for i := range MaxChangeRows + 3 {
		ch.Rows = append(ch.Rows, ChangeRow{Area: "stability", Figure: fmt.Sprintf("figure %d", i), Change: "+20.0 %", Verdict: "regressed"})
	}
	var buf bytes.Buffer
	require.NoError(t, Markdown(&buf, m, recs, Options{Changes: ch}))
	md := buf.String()
	assert.Contains(t, md, fmt.Sprintf("| figure %d |", MaxChangeRows-1))
	assert.NotContains(t, md, fmt.Sprintf("| figure %d |", MaxChangeRows), "rows beyond the cap are left out")
	assert.Contains(t, md, "3 more figure(s) moved; every figure: `vllm-acceptance compare base out`.")
}

func TestGateSummary(t *testing.T) {
	ch := &Changes{Baseline: "baselines/runs (3 runs)", Candidate: "out/runs (3 runs)", Verdict: "inconclusive",
		Reason: "2 figure(s) could not be decided.", More: "compare.md", Rows: []ChangeRow{{Area: "stability", Figure: "x"}}}
	var buf bytes.Buffer
	require.NoError(t, GateSummary(&buf, ch, "https://github.com/o/r/actions/runs/1#artifacts"))
	assert.Equal(t, "### Promotion gate: INCONCLUSIVE\n\nBaseline baselines/runs (3 runs), candidate out/runs (3 runs). 2 figure(s) could not be decided.\n\n"+
		"The whole table: compare.md in [the run's artifacts](https://github.com/o/r/actions/runs/1#artifacts).\n", buf.String(), "one paragraph, no rows")
}

func TestSummaryGolden(t *testing.T) {
	m, _ := fixture(t)
	var buf bytes.Buffer
	require.NoError(t, Summary(&buf, m, "https://github.com/o/r/actions/runs/1#artifacts", Options{}))
	golden.Assert(t, filepath.Join("testdata", "summary.golden.md"), buf.Bytes())
	assert.Less(t, strings.Count(buf.String(), "\n"), 25, "the step summary stays short")
	assert.Contains(t, buf.String(), "- stability mixed: `success_rate`", "a failed check is listed with the failures")
}

// TestMarkdownSections: sections a run lacks are left out or noted, never
// printed empty or as a failure.
func TestMarkdownSections(t *testing.T) {
	type testCase struct {
		name    string
		reason  string
		change  func(m *sidecar.Metrics)
		recs    bool
		want    []string
		notWant []string
	}
	run := func(t *testing.T, tc testCase) {
		m, recs := fixture(t)
		tc.change(m)
		if !tc.recs {
			recs = nil
		}
		var buf bytes.Buffer
		require.NoError(t, Markdown(&buf, m, recs, Options{}))
		for _, w := range tc.want {
			assert.Contains(t, buf.String(), w, tc.reason)
		}
		for _, w := range tc.notWant {
			assert.NotContains(t, buf.String(), w, tc.reason)
		}
	}
	testCases := []testCase{
		{name: "no local GPU", reason: "a CI runner without a GPU notes it and skips the chart",
			change: func(m *sidecar.Metrics) {
				m.GPU = &sidecar.GPU{Available: false, Note: "no local GPU: NVML library not found"}
			},
			recs:    true,
			want:    []string{"No local GPU: NVML library not found. GPU checks were skipped", "| GPU | UNKNOWN | skipped: no local GPU"},
			notWant: []string{"No local GPU: no local GPU", "(vram.svg)"}},
		{name: "no records", reason: "without requests.jsonl the per-request charts are skipped",
			change: func(m *sidecar.Metrics) {}, recs: false,
			want:    []string{"Charts: skipped, no requests.jsonl to draw them from."},
			notWant: []string{"(stability-mixed-ttft.svg)"}},
		{name: "only tool calling", reason: "a run of one area has only that area's sections",
			change: func(m *sidecar.Metrics) {
				m.Stability, m.Concurrency, m.Conversation, m.GPU, m.ServerMetrics = nil, nil, nil, nil, nil
			},
			want:    []string{"## Tool calling"},
			notWant: []string{"## Stability", "## Concurrency", "## Conversation", "## GPU", "## Server /metrics"}},
		{name: "merged shards", reason: "a merged load run says for how much of its window every shard sent",
			change: func(m *sidecar.Metrics) {
				m.Concurrency.Runs[0].Generator = &sidecar.Generator{Shards: 4, ShardOverlap: 0.925}
			},
			want: []string{"4 shards sent closed_8 together for 92.5 % of its window"}},
		{name: "interrupted", reason: "an incomplete run says so at the top",
			change: func(m *sidecar.Metrics) {
				m.Complete, m.EndReason, m.EndDetail = false, sidecar.EndInterrupted, "SIGINT"
			},
			want: []string{"> **Incomplete run** (end_reason `interrupted`: SIGINT)"}},
		{name: "simulator", reason: "simulator figures must not pass for a server's",
			change: func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator },
			want:   []string{"tested the embedded simulator, not a real server"}},
		{name: "no /metrics", reason: "a server without vLLM metrics is noted",
			change: func(m *sidecar.Metrics) {
				m.ServerMetrics = &sidecar.ServerMetrics{Available: false, Note: "GET /metrics: 404"}
			},
			want:    []string{"Not available: GET /metrics: 404."},
			notWant: []string{"(kv_cache.svg)"}},
		{name: "preemptions unknown", reason: "/metrics without vllm: series: preemptions are unknown, said so, and not a pass",
			change: func(m *sidecar.Metrics) {
				require.NotEmpty(t, m.Stability.Runs)
				m.Stability.Runs[0].Checks = append(m.Stability.Runs[0].Checks, sidecar.Check{Name: "preemptions", Skipped: true,
					Detail: "preemptions unknown: /metrics answers, but with no vllm: series"})
			},
			want:    []string{"| preemptions | unknown | 0.000 | 0.000 | preemptions unknown: /metrics answers, but with no vllm: series |"},
			notWant: []string{"| preemptions | PASS |"}},
		{name: "model rate below threshold", reason: "a failed model-check rate is listed with the failures, though no code says it",
			change: func(m *sidecar.Metrics) {
				m.ToolCalling.Model = &sidecar.Rate{Passed: 3, Attempts: 12, Rate: 0.25, CI95: stats.Interval{Low: 0.09, High: 0.53}, Min: 0.8, Verdict: sidecar.VerdictFail}
			},
			want: []string{"- tool calling: model checks 3/12 0.250 [0.090, 0.530], below 0.800 beyond chance"}},
		{name: "empty run", reason: "a run that reached no section still renders",
			change: func(m *sidecar.Metrics) { *m = sidecar.Metrics{SchemaVersion: 1} },
			want:   []string{"# vLLM acceptance report: FAIL", "| – | – | no section ran |", "Nothing: no check failed and no request was diagnosed"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// svgDoc checks data is one well-formed XML document with an <svg> root,
// and returns its character data.
func svgDoc(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "SVG must be valid XML")
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
		case xml.CharData:
			text.Write(el)
			text.WriteString("\n")
		}
	}
	require.Equal(t, "svg", root)
	return text.String()
}

func TestCharts(t *testing.T) {
	m, recs := fixture(t)
	dir := t.TempDir()
	files, err := Charts(dir, m, recs)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	require.Equal(t, []string{"stability-mixed-ttft.svg", "stability-mixed-latency-cdf.svg", "vram.svg", "kv_cache.svg"}, names,
		"charts per test: the fixture has one stability run and no load-run records")

	wantText := map[string][]string{
		"stability-mixed-ttft.svg":        {"TTFT per request, stability run mixed", "long", "long trend", "short", "short trend"},
		"stability-mixed-latency-cdf.svg": {"latency CDF per request class", "long (n=9)", "short (n=10)"},
		"vram.svg":                        {"GPU memory used", "GPU 0 NVIDIA GeForce RTX 4090"},
		"kv_cache.svg":                    {"KV-cache usage", "kv_cache_usage"},
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text := svgDoc(t, data)
		for _, w := range wantText[filepath.Base(f)] {
			assert.Contains(t, text, w, filepath.Base(f))
		}
	}

	// Same inputs, same bytes: charts diff as well as the report.
	again, err := Charts(t.TempDir(), m, recs)
	require.NoError(t, err)
	for i := range files {
		a, _ := os.ReadFile(files[i])
		b, _ := os.ReadFile(again[i])
		assert.Equal(t, a, b, filepath.Base(files[i]))
	}
}

func TestChartsSkipAbsentData(t *testing.T) {
	m, _ := fixture(t)
	m.GPU = &sidecar.GPU{Available: false, Note: "no local GPU"}
	m.ServerMetrics = nil
	files, err := Charts(t.TempDir(), m, nil)
	require.NoError(t, err)
	assert.Empty(t, files, "no records, no GPU, no /metrics: nothing to draw")
}
