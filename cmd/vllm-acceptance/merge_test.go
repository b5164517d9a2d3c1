package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// shardFixture is a two-shard run recorded with scripts/shards.sh 2.
const shardFixture = "../../internal/shard/testdata/run"

func TestMergeExitCodes(t *testing.T) {
	type testCase struct {
		name     string
		args     func(out string) []string
		code     int
		stdout   string
		stderr   string
		reason   string
		wantFile bool
	}
	run := func(t *testing.T, tc testCase) {
		out := filepath.Join(t.TempDir(), "merged")
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"merge"}, tc.args(out)...), &stdout, &stderr)
		assert.Equal(t, tc.code, code, "%s\nstdout: %s\nstderr: %s", tc.reason, stdout.String(), stderr.String())
		assert.Contains(t, stdout.String(), tc.stdout, tc.reason)
		assert.Contains(t, stderr.String(), tc.stderr, tc.reason)
		_, err := os.Stat(filepath.Join(out, "metrics.json"))
		assert.Equal(t, tc.wantFile, err == nil, "metrics.json written: %s", tc.reason)
	}
	for _, tc := range []testCase{
		{name: "both shards", args: func(out string) []string { return []string{"--out", out, shardFixture} },
			code: 0, stdout: "merged 2 of 2 shards of run", wantFile: true, reason: "a folder of shard folders; the merged run passes"},
		{name: "listed one by one", args: func(out string) []string {
			return []string{"--out", out, "--shards", "2", shardFixture + "/1", shardFixture + "/0"}
		}, code: 0, stdout: "closed_8: 40/40 completed", wantFile: true, reason: "any order"},
		{name: "one missing", args: func(out string) []string { return []string{"--out", out, shardFixture + "/0"} },
			code: 1, stderr: "the merged run is incomplete: shard 1/2 is missing", wantFile: true, reason: "never a silent partial merge"},
		{name: "no out", args: func(string) []string { return []string{shardFixture} }, code: 2, stderr: "--out DIR is required", reason: "usage"},
		{name: "no shard", args: func(out string) []string { return []string{"--out", out} }, code: 2, stderr: "no SHARD given", reason: "usage"},
		{name: "not a run", args: func(out string) []string { return []string{"--out", out, t.TempDir()} }, code: 2, stderr: "no metrics.json", reason: "an empty folder"},
		{name: "wait only", args: func(string) []string { return []string{"--wait", "1h", "--wait-only", "--shards", "2", shardFixture} },
			code: 0, stdout: "merging nothing (--wait-only)", reason: "the main Job's init container: both shards are final, so it returns at once"},
		{name: "wait only without wait", args: func(string) []string { return []string{"--wait-only", shardFixture} },
			code: 2, stderr: "--wait-only needs --wait", reason: "usage"},
		{name: "wrong count", args: func(out string) []string { return []string{"--out", out, "--shards", "4", shardFixture} },
			code: 2, stderr: "--shards 4, but the shards say the run has 2", reason: "the Job's N disagrees with the shards"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// The merged run is a run like any other: report and compare read it.
func TestMergedRunReportsAndCompares(t *testing.T) {
	out := filepath.Join(t.TempDir(), "merged")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"merge", "--out", out, shardFixture}, &stdout, &stderr), stderr.String())
	m, err := sidecar.Read(filepath.Join(out, "metrics.json"))
	require.NoError(t, err)
	require.NotNil(t, m.Run)
	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, 0, run([]string{"report", "--out", out}, &stdout, &stderr), stderr.String())
	assert.FileExists(t, filepath.Join(out, "report.md"))
	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, 0, run([]string{"compare", out, out}, &stdout, &stderr), "a merged run compared with itself passes: %s", stderr.String())
}
