package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

const (
	baselineJSON  = "../../internal/compare/testdata/baseline.json"
	candidateJSON = "../../internal/compare/testdata/candidate.json"
	reportFixture = "../../internal/report/testdata"
	// Run folders drawn by internal/compare's synth_test.go: base and same
	// are one configuration, slow is 25 % slower; 3 runs each.
	runsDir = "../../internal/compare/testdata/runs"
)

var (
	baseRuns = runsDir + "/base"
	sameRuns = runsDir + "/same"
	slowRuns = runsDir + "/slow"
)

func TestHelpGolden(t *testing.T) {
	for _, name := range []string{"report", "compare", "rank", "sim", "merge"} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.Equal(t, 0, run([]string{name, "--help"}, &out, &errOut))
			assert.Empty(t, errOut.String(), "help goes to stdout only")
			assert.Contains(t, out.String(), "Example:")
			path := filepath.Join("testdata", "help-"+name+".golden")
			golden.Assert(t, path, out.Bytes())
		})
	}
}

// TestTopLevelHelpGolden: `vllm-acceptance --help` lists every command and
// says how to run the suite itself; `gpu --help` documents its flags.
func TestTopLevelHelpGolden(t *testing.T) {
	for name, args := range map[string][]string{"main": {"--help"}, "gpu": {"gpu", "--help"}} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.Equal(t, 0, run(args, &out, &errOut))
			path := filepath.Join("testdata", "help-"+name+".golden")
			golden.Assert(t, path, out.Bytes())
		})
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run([]string{"nope"}, &out, &errOut), "an unknown command is a usage error")
	assert.Contains(t, errOut.String(), `unknown command "nope"`)
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "acme/gate")
	t.Setenv("GITHUB_RUN_ID", "42")
	var out, errOut bytes.Buffer
	code := run([]string{"report", "--out", dir,
		"--metrics", filepath.Join(reportFixture, "metrics.json"),
		"--requests", filepath.Join(reportFixture, "requests.jsonl")}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	for _, f := range []string{"report.md", "report.html", "stability-mixed-ttft.svg", "stability-mixed-latency-cdf.svg", "vram.svg", "kv_cache.svg"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	want, err := os.ReadFile(filepath.Join(reportFixture, "report.golden.md"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "the CLI writes the same report as the package")
	sum, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(sum), "### vLLM acceptance: FAIL")
	assert.Contains(t, string(sum), "(https://github.com/acme/gate/actions/runs/42#artifacts)", "the step summary links to the artifacts")
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg", "report.html carries its charts")
}

func TestReportCommandErrors(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		args   []string
		code   int
		stderr string
	}
	run1 := func(t *testing.T, tc testCase) {
		var out, errOut bytes.Buffer
		assert.Equal(t, tc.code, run(append([]string{"report"}, tc.args...), &out, &errOut), tc.reason)
		assert.Contains(t, errOut.String(), tc.stderr, tc.reason)
	}
	testCases := []testCase{
		{name: "no metrics", reason: "an unreadable input exits 2 (docs/outputs.md) and says what to do",
			args: []string{"--out", t.TempDir()}, code: 2, stderr: "run the suite first"},
		{name: "bad flag", reason: "a usage error exits 2", args: []string{"--bogus"}, code: 2, stderr: "--help"},
		{name: "extra argument", reason: "report takes no arguments", args: []string{"out"}, code: 2, stderr: "unexpected argument"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run1(t, tc) })
	}
}

func TestReportWithoutRequests(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(reportFixture, "metrics.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metrics.json"), data, 0o644))
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"report", "--out", dir}, &out, &errOut), errOut.String())
	assert.Contains(t, errOut.String(), "per-request charts are skipped")
	assert.NoFileExists(t, filepath.Join(dir, "stability-mixed-ttft.svg"))
	assert.FileExists(t, filepath.Join(dir, "report.html"))
	assert.FileExists(t, filepath.Join(dir, "vram.svg"))
}

// TestInputsAreCurrent: the sidecars these tests read from other packages'
// testdata are in the shape this build writes (internal/compare's own test
// checks its testdata the same way, and regenerates it).
func TestInputsAreCurrent(t *testing.T) {
	paths, err := filepath.Glob(runsDir + "/*/*/metrics.json")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range append(paths, baselineJSON, candidateJSON, filepath.Join(reportFixture, "metrics.json")) {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NoError(t, sidecar.ValidateCurrent(raw), p)
	}
}

// writeVariant writes the baseline with one change to a temp folder.
func writeVariant(t *testing.T, change func(m *sidecar.Metrics)) string {
	t.Helper()
	fh, err := os.Open(baselineJSON)
	require.NoError(t, err)
	defer fh.Close()
	m, err := sidecar.Decode(fh)
	require.NoError(t, err)
	change(m)
	dir := t.TempDir()
	require.NoError(t, sidecar.Write(filepath.Join(dir, "metrics.json"), m))
	return dir
}

// copyRun writes one testdata run, changed, as DIR/NAME/metrics.json.
func copyRun(t *testing.T, dir, name, from string, change func(m *sidecar.Metrics)) {
	t.Helper()
	m, err := sidecar.ReadOne(from)
	require.NoError(t, err)
	if change != nil {
		change(m)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
	require.NoError(t, sidecar.Write(filepath.Join(dir, name, "metrics.json"), m))
}

func TestCompareCommand(t *testing.T) {
	sim := writeRunVariant(t, baseRuns+"/1", func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })
	badTol := filepath.Join(t.TempDir(), "tol.yaml")
	require.NoError(t, os.WriteFile(badTol, []byte("latency:\n  ttft_p95: {}\n"), 0o644))
	empty := t.TempDir()
	noRuns := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(noRuns, "1"), 0o755))
	mixed := t.TempDir()
	copyRun(t, mixed, "1", baseRuns+"/1", nil)
	copyRun(t, mixed, "2", baseRuns+"/2", func(m *sidecar.Metrics) { m.Target.Model = "Qwen/Qwen3-8B" })
	v1 := filepath.Join(t.TempDir(), "metrics.json")
	require.NoError(t, os.WriteFile(v1, []byte(`{"schema_version":1,"complete":true}`), 0o644))
	data, err := os.ReadFile(baseRuns + "/1/metrics.json")
	require.NoError(t, err)
	truncated := filepath.Join(t.TempDir(), "metrics.json")
	require.NoError(t, os.WriteFile(truncated, data[:len(data)/2], 0o644))
	type testCase struct {
		name   string
		reason string
		args   []string
		code   int
		stdout string
		stderr string
	}
	run1 := func(t *testing.T, tc testCase) {
		var out, errOut bytes.Buffer
		assert.Equal(t, tc.code, run(append([]string{"compare"}, tc.args...), &out, &errOut), "%s\n%s", tc.reason, errOut.String())
		assert.Contains(t, out.String(), tc.stdout, tc.reason)
		assert.Contains(t, errOut.String(), tc.stderr, tc.reason)
		if tc.code == exitUsage || tc.code == exitRefused {
			assert.LessOrEqual(t, strings.Count(strings.TrimSpace(errOut.String()), "\n"), 1, "%s: the error is one line (plus at most the flag package's)", tc.reason)
		}
	}
	testCases := []testCase{
		{name: "same runs", reason: "three runs against themselves pass",
			args: []string{baseRuns, baseRuns}, code: 0, stdout: "## Promotion gate: PASS"},
		{name: "25 % slower, 3 runs each", reason: "the slow folder regresses TTFT with runs as the unit",
			args: []string{baseRuns, slowRuns}, code: exitRegressed, stdout: "`stability.runs[alternating].ttft_ms.p50` | 195.5 ms | 234.3 ms", stderr: "regressed beyond tolerance"},
		{name: "same configuration again, inconclusive", reason: "±8 % run-to-run shifts against a 10 % tolerance: three runs cannot decide, and the advice says how many would",
			args: []string{baseRuns, sameRuns}, code: exitInconclusive, stdout: "INCONCLUSIVE", stderr: "runs per side (now 3) would likely settle it"},
		{name: "three runs against one", reason: "the advice counts each side's runs, not the larger side's twice",
			args: []string{baseRuns, slowRuns + "/1"}, code: exitInconclusive, stderr: "runs per side (now 3 baseline, 1 candidate)"},
		{name: "single runs", reason: "one run per side works, and says run-to-run variation was not measured",
			args: []string{baseRuns + "/1", slowRuns + "/1"}, code: exitRegressed, stdout: "run-to-run variation was not measured"},
		{name: "metrics.json path", reason: "a file is read like its folder",
			args: []string{baseRuns + "/1/metrics.json", baseRuns + "/1"}, code: 0},
		{name: "refused", reason: "simulator against vllm is refused with the reason",
			args: []string{baseRuns + "/1", sim}, code: exitRefused, stdout: "REFUSED", stderr: "target kind differs"},
		{name: "forced", reason: "--force compares anyway",
			args: []string{"--force", baseRuns + "/1", sim}, code: 0, stdout: "Compared with `--force`"},
		{name: "mixed models in a side", reason: "a side whose runs disagree is refused",
			args: []string{mixed, baseRuns}, code: exitRefused, stderr: "baseline runs disagree on model"},
		{name: "empty side", reason: "an empty folder holds no runs", args: []string{empty, baseRuns}, code: exitUsage, stderr: "no runs"},
		{name: "folder without runs", reason: "run folders without metrics.json are no runs", args: []string{baseRuns, noRuns}, code: exitUsage, stderr: "candidate: "},
		{name: "schema version 1", reason: "an old sidecar lacks the histograms", args: []string{v1, baseRuns}, code: exitUsage, stderr: "unsupported schema_version 1"},
		{name: "truncated metrics.json", reason: "a run killed while writing", args: []string{baseRuns, truncated}, code: exitUsage, stderr: "not a JSON object"},
		{name: "one argument", reason: "both runs are needed", args: []string{baselineJSON}, code: exitUsage, stderr: "want BASELINE and CANDIDATE"},
		{name: "missing file", reason: "an unreadable input is a usage error", args: []string{"nope.json", baselineJSON}, code: exitUsage, stderr: "baseline: "},
		{name: "empty argument", reason: "an empty path is a usage error", args: []string{"", baseRuns}, code: exitUsage, stderr: "empty path"},
		{name: "bad tolerances", reason: "an unknown key in the tolerance file is an error", args: []string{"--tolerances", badTol, baseRuns, baseRuns}, code: exitUsage, stderr: "ttft_p95"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run1(t, tc) })
	}
}

// writeRunVariant writes one run with one change to a temp folder.
func writeRunVariant(t *testing.T, from string, change func(m *sidecar.Metrics)) string {
	t.Helper()
	dir := t.TempDir()
	copyRun(t, dir, "run", from, change)
	return filepath.Join(dir, "run")
}

// TestCompareGolden is the command's whole output on the testdata runs.
func TestCompareGolden(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, exitInconclusive, run([]string{"compare", baseRuns, sameRuns}, &out, &errOut))
	goldenFile(t, "compare-inconclusive.golden", out.String()+"stderr: "+errOut.String())
}

func TestCompareWritesFiles(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "c.json"), filepath.Join(dir, "c.md")
	var out, errOut bytes.Buffer
	require.Equal(t, exitRegressed, run([]string{"compare", "--json", js, "--md", md, baseRuns, slowRuns}, &out, &errOut))
	data, err := os.ReadFile(js)
	require.NoError(t, err)
	var res compare.Result
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Equal(t, compare.VerdictRegressed, res.Verdict)
	assert.True(t, res.RunToRun)
	mdData, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(mdData))
}

// TestCompareSummary: --summary appends one short paragraph, for
// GITHUB_STEP_SUMMARY, naming what regressed and where the table is.
func TestCompareSummary(t *testing.T) {
	dir := t.TempDir()
	sum := filepath.Join(dir, "summary.md")
	require.NoError(t, os.WriteFile(sum, []byte("earlier step\n"), 0o644))
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "acme/gate")
	t.Setenv("GITHUB_RUN_ID", "42")
	var out, errOut bytes.Buffer
	require.Equal(t, exitRegressed, run([]string{"compare", "--md", filepath.Join(dir, "compare.md"), "--summary", sum, baseRuns, slowRuns}, &out, &errOut))
	data, err := os.ReadFile(sum)
	require.NoError(t, err)
	s := string(data)
	assert.True(t, strings.HasPrefix(s, "earlier step\n### Promotion gate: **REGRESSED**\n"), "appended, not overwritten:\n%s", s)
	assert.Contains(t, s, "Baseline "+baseRuns+" (3 runs), candidate "+slowRuns+" (3 runs). 5 figure(s) beyond tolerance: stability alternating ttft_ms.p50 +19.8 %")
	assert.Contains(t, s, "The whole table: compare.md in [the run's artifacts](https://github.com/acme/gate/actions/runs/42#artifacts).")
	assert.NotContains(t, s, "| metric |", "no table in the step summary")
	assert.LessOrEqual(t, strings.Count(s, "\n"), 6, "one short paragraph")
}

func TestRankFolders(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"rank", baseRuns, sameRuns, slowRuns}, &out, &errOut), errOut.String())
	s := out.String()
	assert.Contains(t, s, "| 1= | base | 3 |", "two folders of one configuration tie")
	assert.Contains(t, s, "| 1= | same | 3 |")
	assert.Contains(t, s, "| 3 | slow | 3 |")
	assert.Contains(t, s, "32768", "max_model_len is shown")
	goldenFile(t, "rank-folders.golden", s)

	mixed := t.TempDir()
	copyRun(t, mixed, "1", baseRuns+"/1", nil)
	copyRun(t, mixed, "2", baseRuns+"/2", func(m *sidecar.Metrics) { m.Target.ServerVersion = "0.12.0" })
	out.Reset()
	errOut.Reset()
	assert.Equal(t, 3, run([]string{"rank", mixed, baseRuns}, &out, &errOut), "a folder whose runs disagree is not one configuration")
	assert.Contains(t, errOut.String(), "disagree on server version")
}

func TestRankCommand(t *testing.T) {
	fast := writeVariant(t, func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 300 })
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"rank", baselineJSON, candidateJSON, fast}, &out, &errOut), errOut.String())
	s := out.String()
	assert.Contains(t, s, "## Ranking of configurations")
	assert.Contains(t, s, "| 1 | "+filepath.Base(fast)+" |", "passing and fastest ranks first")
	assert.Contains(t, s, "| 2 | baseline.json |")
	assert.Contains(t, s, "| 3 | candidate.json |", "the failing run ranks last")

	out.Reset()
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"rank"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no RUN given")
}

// goldenFile compares got with testdata/NAME; -update rewrites it.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", name), []byte(got))
}

// TestReportBaseline: report --baseline shows the promotion gate's verdict
// and what moved in report.md, report.html and the step summary, and
// exits 0 whatever the verdict.
func TestReportBaseline(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	var out, errOut bytes.Buffer
	code := run([]string{"report", "--out", dir, "--metrics", slowRuns + "/1/metrics.json", "--baseline", baseRuns + "/1"}, &out, &errOut)
	require.Equal(t, 0, code, "a regression against the baseline does not change report's exit status: %s", errOut.String())
	assert.Contains(t, out.String(), "against the baseline "+baseRuns+"/1: regressed")
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "### Against the baseline: **REGRESSED**")
	assert.Contains(t, string(md), "| stability | alternating ttft_ms.p50 | 196.6 ms | 229.5 ms | +16.7 % | **REGRESSED** |", "a regressed figure is a row")
	first, _, ok := strings.Cut(string(md), "\n## Tool calling")
	require.True(t, ok)
	goldenFile(t, "report-baseline.golden", first)
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "Against the baseline: <strong>REGRESSED</strong>")
	sum, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(sum), "Against the baseline "+baseRuns+"/1: **REGRESSED**. 3 figure(s) beyond tolerance: stability alternating ttft_ms.p50 +16.7 %")
	assert.NotContains(t, string(sum), "| alternating ttft_ms.p50 |", "the step summary has the verdict line, not the table")

	// A folder of runs as the baseline; runs that do not match are
	// refused, still exit 0.
	for _, tc := range []struct{ metrics, verdict string }{
		{sameRuns + "/1/metrics.json", "### Against the baseline: INCONCLUSIVE"},
		{filepath.Join(reportFixture, "metrics.json"), "### Against the baseline: **REFUSED**\n\nBaseline: " + baseRuns + " (3 runs). Not comparable: suite version differs"},
	} {
		dir := t.TempDir()
		out.Reset()
		errOut.Reset()
		require.Equal(t, 0, run([]string{"report", "--out", dir, "--metrics", tc.metrics, "--baseline", baseRuns}, &out, &errOut), errOut.String())
		md, err := os.ReadFile(filepath.Join(dir, "report.md"))
		require.NoError(t, err)
		assert.Contains(t, string(md), tc.verdict, tc.metrics)
	}
}

func TestReportBaselineErrors(t *testing.T) {
	badTol := filepath.Join(t.TempDir(), "tol.yaml")
	require.NoError(t, os.WriteFile(badTol, []byte("latency:\n  ttft_p95: {}\n"), 0o644))
	metrics := baseRuns + "/1/metrics.json"
	type testCase struct {
		name   string
		reason string
		args   []string
		stderr string
	}
	testCases := []testCase{
		{name: "missing baseline", reason: "an unreadable baseline names the path and what to give",
			args: []string{"--baseline", "nope"}, stderr: "--baseline nope: no such file or folder; give a baseline run's metrics.json, its run folder or a folder of run folders"},
		{name: "empty folder", reason: "a folder without runs", args: []string{"--baseline", t.TempDir()}, stderr: "no metrics.json and no run folder"},
		{name: "bad tolerances", reason: "as compare", args: []string{"--baseline", baseRuns, "--tolerances", badTol}, stderr: "ttft_p95"},
		{name: "tolerances alone", reason: "--tolerances means nothing without --baseline", args: []string{"--tolerances", badTol}, stderr: "--tolerances needs --baseline"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errOut bytes.Buffer
			assert.Equal(t, 2, run(append([]string{"report", "--out", dir, "--metrics", metrics}, tc.args...), &out, &errOut), tc.reason)
			assert.Contains(t, errOut.String(), tc.stderr, tc.reason)
			assert.Equal(t, 0, strings.Count(strings.TrimSpace(errOut.String()), "\n"), "%s: one line", tc.reason)
			assert.NoFileExists(t, filepath.Join(dir, "report.md"), "nothing is written when an input cannot be read")
		})
	}
}

func TestGateChanges(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	res := compare.Result{Verdict: compare.VerdictRegressed, Regressed: 1, RunToRun: true,
		Baseline: compare.Side{Runs: 3}, Candidate: compare.Side{Runs: 1},
		Rows: []compare.Row{
			{Metric: "stability.passed", Unit: compare.UnitPass, Baseline: f(0), Candidate: f(1), Verdict: compare.RowPass},
			{Metric: "concurrency.runs[closed_8].output_throughput", Unit: compare.UnitTokPerS, On: compare.OnRatio, Baseline: f(100), Candidate: f(150),
				Estimate: f(1.5), Interval: &stats.Interval{Low: 1.3, High: 1.7}, Limit: f(0.9), Verdict: compare.RowPass},
			{Metric: "stability.runs[a].ttft_ms.p90", Unit: compare.UnitMs, On: compare.OnRatio, LowerIsBetter: true, Baseline: f(100), Candidate: f(95),
				Estimate: f(0.95), Interval: &stats.Interval{Low: 0.85, High: 1.05}, Limit: f(1.1), Verdict: compare.RowPass},
			{Metric: "tool_calling.scenarios[w/auto].pass_rate", Unit: compare.UnitRate, On: compare.OnDifference, Advisory: true, Baseline: f(1), Candidate: f(0.9),
				Estimate: f(-0.1), Interval: &stats.Interval{Low: -0.3, High: 0.1}, Limit: f(-0.05), Verdict: compare.RowInconclusive},
			{Metric: "tool_calling.pass_rate", Unit: compare.UnitRate, On: compare.OnDifference, Baseline: f(1), Candidate: f(0.98),
				Estimate: f(-0.02), Interval: &stats.Interval{Low: -0.06, High: 0.01}, Limit: f(-0.05), Verdict: compare.RowInconclusive},
			{Metric: "stability.runs[a].ttft_ms.p50", Unit: compare.UnitMs, On: compare.OnRatio, LowerIsBetter: true, Baseline: f(100), Candidate: f(130),
				Estimate: f(1.3), Interval: &stats.Interval{Low: 1.2, High: 1.4}, Limit: f(1.1), Verdict: compare.RowRegressed},
		}}
	c := gateChanges(res, "base", "cand", "more")
	assert.Equal(t, "base (3 runs)", c.Baseline)
	assert.Equal(t, "cand", c.Candidate)
	assert.Equal(t, "1 figure(s) beyond tolerance: stability a ttft_ms.p50 +30.0 %.", c.Reason)
	var got []string
	for _, r := range c.Rows {
		got = append(got, r.Area+" | "+r.Figure+" | "+r.Change+" | "+r.Verdict)
	}
	assert.Equal(t, []string{
		"stability | a ttft_ms.p50 | +30.0 % | regressed",
		"tool calling | pass_rate | −0.020 | inconclusive",
		"stability | own verdict |  | improved",
		"concurrency | closed_8 output_throughput | +50.0 % | improved",
	}, got, "regressions first, then undecided figures, then improvements (whose whole interval is beyond the mirrored tolerance); passing and advisory undecided rows are left out")
}
