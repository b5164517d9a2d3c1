package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

const (
	baselineJSON  = "../../internal/compare/testdata/baseline.json"
	candidateJSON = "../../internal/compare/testdata/candidate.json"
	reportFixture = "../../internal/report/testdata"
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
// says how to run the gate itself; `gpu --help` documents its flags.
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
		{name: "no metrics", reason: "an unreadable input exits 1 and says what to do",
			args: []string{"--out", t.TempDir()}, code: 1, stderr: "run the suite first"},
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

// writeVariant writes the baseline with one change to a temp folder.
func writeVariant(t *testing.T, change func(m *sidecar.Metrics)) string {
	t.Helper()
	fh, err := os.Open(baselineJSON)
	require.NoError(t, err)
	defer fh.Close()
	m, err := compare.Decode(fh)
	require.NoError(t, err)
	change(m)
	dir := t.TempDir()
	require.NoError(t, sidecar.Write(filepath.Join(dir, "metrics.json"), m))
	return dir
}

func TestCompareCommand(t *testing.T) {
	sim := writeVariant(t, func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })
	badTol := filepath.Join(t.TempDir(), "tol.yaml")
	require.NoError(t, os.WriteFile(badTol, []byte("latency:\n  ttft_p95: {}\n"), 0o644))
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
	}
	testCases := []testCase{
		{name: "same run", reason: "a run against itself passes",
			args: []string{baselineJSON, baselineJSON}, code: 0, stdout: "## Promotion gate: PASS"},
		{name: "regression", reason: "the candidate fixture regresses TTFT p90 and a scenario",
			args: []string{baselineJSON, candidateJSON}, code: exitRegressed, stdout: "**regressed**", stderr: "3 figure(s) regressed"},
		{name: "folder argument", reason: "a folder holding metrics.json is read like the file",
			args: []string{filepath.Dir(baselineJSON) + "/../testdata/baseline.json", writeVariant(t, func(*sidecar.Metrics) {})}, code: 0},
		{name: "refused", reason: "simulator against vllm is refused with the reason",
			args: []string{baselineJSON, sim}, code: exitRefused, stdout: "REFUSED", stderr: "simulator run says nothing"},
		{name: "forced", reason: "--force compares anyway",
			args: []string{"--force", baselineJSON, sim}, code: 0, stdout: "Compared with `--force`"},
		{name: "one argument", reason: "both runs are needed", args: []string{baselineJSON}, code: exitUsage, stderr: "want BASELINE and CANDIDATE"},
		{name: "missing file", reason: "an unreadable input is a usage error", args: []string{"nope.json", baselineJSON}, code: exitUsage, stderr: "baseline: "},
		{name: "bad tolerances", reason: "an unknown key in the tolerance file is an error", args: []string{"--tolerances", badTol, baselineJSON, baselineJSON}, code: exitUsage, stderr: "ttft_p95"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run1(t, tc) })
	}
}

func TestCompareWritesFiles(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "c.json"), filepath.Join(dir, "c.md")
	var out, errOut bytes.Buffer
	require.Equal(t, exitRegressed, run([]string{"compare", "--json", js, "--md", md, baselineJSON, candidateJSON}, &out, &errOut))
	data, err := os.ReadFile(js)
	require.NoError(t, err)
	var res compare.Result
	require.NoError(t, json.Unmarshal(data, &res))
	assert.Equal(t, compare.VerdictRegressed, res.Verdict)
	mdData, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Equal(t, out.String(), string(mdData))
}

func TestRankCommand(t *testing.T) {
	fast := writeVariant(t, func(m *sidecar.Metrics) { m.Stability.Runs[0].TTFTms.P90 = 300 })
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"rank", baselineJSON, candidateJSON, fast}, &out, &errOut), errOut.String())
	s := out.String()
	assert.Contains(t, s, "## Ranking of configurations")
	assert.Contains(t, s, "| 1 | "+filepath.Base(fast)+" |", "passing and fastest ranks first")
	assert.Contains(t, s, "| 2 | baseline.json |")
	assert.Contains(t, s, "| 3 | candidate.json |", "the failing gate ranks last")

	out.Reset()
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"rank"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "no RUN given")
}
