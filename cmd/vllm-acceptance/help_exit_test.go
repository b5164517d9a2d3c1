package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// brokenWriter fails every write: stdout that cannot be written.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// exitCase is one way to reach an exit status.
type exitCase struct {
	why    string
	args   func(t *testing.T) []string
	stdout io.Writer // nil: a buffer
	code   int
}

// exitDigits are the exit codes named in text: the digits that stand
// alone.
var exitDigits = regexp.MustCompile(`(?:^|[\s,;(])(\d)(?:[\s,;)]|$)`)

// codesIn are the distinct exit codes text names, in order.
func codesIn(text string) []int {
	var out []int
	for _, m := range exitDigits.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[1])
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// documentedExits are the codes a --help's "Exit status:" paragraph names.
func documentedExits(t *testing.T, help string) []int {
	t.Helper()
	_, para, ok := strings.Cut(help, "Exit status:")
	require.True(t, ok, "the --help has an \"Exit status:\" paragraph")
	para, _, _ = strings.Cut(para, "\n\n")
	return codesIn(para)
}

// TestHelpExitStatusMatchesBehaviour: every command's --help names
// exactly the exit codes the command returns, each one shown here by
// running the command into it (issue 26: report --help said 0 or 2, and
// report also exits 1 when it cannot write).
func TestHelpExitStatusMatchesBehaviour(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	fixed := func(args ...string) func(*testing.T) []string { return func(*testing.T) []string { return args } }
	underFile := func(t *testing.T) string {
		f := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(f, nil, 0o644))
		return filepath.Join(f, "out") // a folder under a file cannot be made
	}
	cases := map[string][]exitCase{
		"compare": {
			{why: "pass", args: fixed(baseRuns, baseRuns), code: 0},
			{why: "regressed", args: fixed(baseRuns+"/1", slowRuns+"/1"), code: exitRegressed},
			{why: "usage", args: fixed(baselineJSON), code: exitUsage},
			{why: "refused", args: func(t *testing.T) []string {
				return []string{baseRuns + "/1", writeRunVariant(t, baseRuns+"/1", func(m *sidecar.Metrics) { m.Target.Kind = sidecar.KindSimulator })}
			}, code: exitRefused},
			{why: "inconclusive", args: fixed(baseRuns, sameRuns), code: exitInconclusive},
		},
		"gpu": {
			{why: "printed", args: fixed("--duration", "1ms", "--interval", "1ms"), code: 0},
			{why: "stdout cannot be written", args: fixed("--duration", "1ms", "--interval", "1ms"), stdout: brokenWriter{}, code: 1},
			{why: "usage", args: fixed("--duration", "0s"), code: 2},
		},
		"merge": {
			{why: "the merged run passes", args: func(t *testing.T) []string { return []string{"--out", t.TempDir(), shardFixture} }, code: 0},
			{why: "incomplete", args: func(t *testing.T) []string { return []string{"--out", t.TempDir(), shardFixture + "/0"} }, code: 1},
			{why: "the merged files cannot be written", args: func(t *testing.T) []string { return []string{"--out", underFile(t), shardFixture} }, code: 2},
		},
		"rank": {
			{why: "ranked", args: fixed(baselineJSON, candidateJSON), code: 0},
			{why: "stdout cannot be written", args: fixed(baselineJSON, candidateJSON), stdout: brokenWriter{}, code: 1},
			{why: "no RUN", args: fixed(), code: 2},
			{why: "a folder whose runs disagree", args: func(t *testing.T) []string {
				mixed := t.TempDir()
				copyRun(t, mixed, "1", baseRuns+"/1", nil)
				copyRun(t, mixed, "2", baseRuns+"/2", func(m *sidecar.Metrics) { m.Target.ServerVersion = "0.12.0" })
				return []string{mixed}
			}, code: 3},
		},
		"report": {
			{why: "written", args: func(t *testing.T) []string {
				return []string{"--out", t.TempDir(), "--metrics", filepath.Join(reportFixture, "metrics.json"), "--requests", filepath.Join(reportFixture, "requests.jsonl")}
			}, code: 0},
			{why: "the --out folder cannot be made", args: func(t *testing.T) []string {
				return []string{"--out", underFile(t), "--metrics", filepath.Join(reportFixture, "metrics.json"), "--requests", filepath.Join(reportFixture, "requests.jsonl")}
			}, code: 1},
			{why: "no metrics.json", args: func(t *testing.T) []string { return []string{"--out", t.TempDir()} }, code: 2},
		},
		"sim": {
			{why: "--list", args: fixed("--list"), code: 0},
			{why: "the address is taken", args: func(t *testing.T) []string {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				t.Cleanup(func() { _ = ln.Close() })
				return []string{"--addr", ln.Addr().String()}
			}, code: 1},
			{why: "unknown persona", args: fixed("--persona", "nope"), code: 2},
		},
	}
	for _, c := range commands {
		if c.run != nil {
			continue // version: no flags, no help, always 0
		}
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, cases, c.name, "a new command: show each exit status its --help names here")
			var shown []int
			for _, ec := range cases[c.name] {
				var out, errOut bytes.Buffer
				var stdout io.Writer = &out
				if ec.stdout != nil {
					stdout = ec.stdout
				}
				code := run(append([]string{c.name}, ec.args(t)...), stdout, &errOut)
				require.Equal(t, ec.code, code, "%s: %s\nstderr: %s", c.name, ec.why, errOut.String())
				if code != 0 {
					assert.NotEmpty(t, strings.TrimSpace(errOut.String()), "%s: %s: a failure says why on stderr", c.name, ec.why)
				}
				if !slices.Contains(shown, code) {
					shown = append(shown, code)
				}
			}
			slices.Sort(shown)
			assert.Equal(t, documentedExits(t, c.help), shown, "%s --help's \"Exit status:\" against the codes it returns", c.name)
		})
	}
}

// TestOutputsTableExitCodes: docs/outputs.md's table of exit codes names,
// for each command it lists, the codes its --help names (and so, through
// TestHelpExitStatusMatchesBehaviour, the codes it returns).
func TestOutputsTableExitCodes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "outputs.md"))
	require.NoError(t, err)
	rows := regexp.MustCompile("(?m)^\\| `([a-z]+) [^|]*\\| ([^|]+) \\|$").FindAllStringSubmatch(string(doc), -1)
	seen := 0
	for _, row := range rows {
		c, ok := lookup(row[1])
		if !ok || c.run != nil {
			continue
		}
		seen++
		assert.Equal(t, documentedExits(t, c.help), codesIn(row[2]), "docs/outputs.md's exit codes of %s against its --help", c.name)
	}
	assert.GreaterOrEqual(t, seen, 4, "the table lists report, compare, merge and rank")
}
