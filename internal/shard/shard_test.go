package shard

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// testdata/run holds the two shards of a run recorded with
// scripts/shards.sh 2 against the embedded simulator
// (healthy?ttft=30ms&itl=2ms&noise=0.1&seed=1; 8 users, 40 closed-loop
// requests, 40 arrivals at 40/s).
const fixture = "testdata/run"

// copyRun copies the fixture's shards to a temp folder and applies edit to
// shard i's metrics.json.
func copyRun(t *testing.T, i int, edit func(m *sidecar.Metrics)) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range []string{"0", "1"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, s), 0o755))
		for _, f := range []string{"metrics.json", "requests.jsonl"} {
			data, err := os.ReadFile(filepath.Join(fixture, s, f))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, s, f), data, 0o644))
		}
	}
	if edit != nil {
		p := filepath.Join(dir, []string{"0", "1"}[i], "metrics.json")
		m, err := sidecar.Read(p)
		require.NoError(t, err)
		edit(m)
		require.NoError(t, sidecar.Write(p, m))
	}
	return dir
}

func TestMergeAddsTheShards(t *testing.T) {
	set, err := Load([]string{fixture}, 0)
	require.NoError(t, err)
	require.Empty(t, set.Notes)
	require.Equal(t, 2, set.Count)
	require.Empty(t, set.Missing)
	parts := set.Shards
	m, err := Merge(set)
	require.NoError(t, err)
	assert.True(t, m.Complete)
	assert.True(t, m.Passed())
	assert.Nil(t, m.Run.Shard, "a merged run is no shard")
	assert.Equal(t, []int{0, 1}, m.Run.Merged)
	require.Len(t, m.Concurrency.Runs, 2)
	for k, lr := range m.Concurrency.Runs {
		a, b := parts[0].Metrics.Concurrency.Runs[k], parts[1].Metrics.Concurrency.Runs[k]
		assert.Equal(t, a.Requests+b.Requests, lr.Requests, lr.Name)
		assert.Equal(t, a.Completed+b.Completed, lr.Completed, lr.Name)
		assert.Equal(t, a.Good+b.Good, lr.Good, lr.Name)
		assert.Equal(t, a.OutputTokens+b.OutputTokens, lr.OutputTokens, lr.Name)
		assert.Equal(t, a.TTFTms.N+b.TTFTms.N, lr.TTFTms.N, lr.Name)
		assert.Equal(t, 40, lr.Requests, "every request of the run")
		assert.True(t, !lr.StartedAt.After(a.StartedAt) && !lr.StartedAt.After(b.StartedAt), "the union of the windows starts at the earlier start")
		assert.True(t, !lr.FinishedAt.Before(a.FinishedAt) && !lr.FinishedAt.Before(b.FinishedAt), "and ends at the later end")
		assert.InDelta(t, lr.FinishedAt.Sub(lr.StartedAt).Seconds(), lr.DurationS, 1e-6)
		assert.InDelta(t, float64(lr.Completed)/lr.DurationS, lr.RequestThroughput, 1e-9, "throughput over the union window")
		// The merged p99 lies between the shards' p99s: a percentile of
		// the union, not an average of theirs (which it could equal only
		// by chance).
		assert.GreaterOrEqual(t, lr.TTFTms.P99, min(a.TTFTms.P99, b.TTFTms.P99)*0.999, lr.Name)
		assert.LessOrEqual(t, lr.TTFTms.P99, max(a.TTFTms.P99, b.TTFTms.P99)*1.001, lr.Name)
		names := []string{}
		for _, c := range lr.Checks {
			names = append(names, c.Name)
		}
		assert.Equal(t, []string{sidecar.CheckSuccessRate, sidecar.CheckGoodputRatio, sidecar.CheckLoadGenerator, sidecar.CheckShards}, names)
		assert.Equal(t, sidecar.VerdictPass, lr.Verdict)
	}
	assert.Equal(t, 8, m.Concurrency.Runs[0].Concurrency, "4 + 4 users")
	assert.InDelta(t, 40, m.Concurrency.Runs[1].RatePerS, 1e-9, "20/s + 20/s")

	out := t.TempDir()
	require.NoError(t, Write(out, set, m))
	back, err := sidecar.Read(filepath.Join(out, "metrics.json"))
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	require.NoError(t, err)
	require.NoError(t, sidecar.Validate(raw))
	assert.Equal(t, m.Run.ID, back.Run.ID)
	lines, err := os.ReadFile(filepath.Join(out, "requests.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, 80, countLines(lines), "every shard's requests")
	events := string(Events(m))
	assert.Contains(t, events, `"Action":"pass","Package":"`+Package+`","Test":"TestConcurrency/closed_8"`)
	assert.NotContains(t, events, `"Action":"fail"`)
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

func TestMergeRefusesShardsOfDifferentRuns(t *testing.T) {
	type testCase struct {
		name   string
		edit   func(m *sidecar.Metrics)
		want   string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		dir := copyRun(t, 1, tc.edit)
		_, err := Load([]string{dir}, 0)
		require.Error(t, err, tc.reason)
		assert.Contains(t, err.Error(), tc.want, tc.reason)
		assert.NotContains(t, err.Error(), "\n", "one line")
	}
	for _, tc := range []testCase{
		{"another run", func(m *sidecar.Metrics) { m.Run.ID = "run-other" }, "different run ids", "the shards of two runs"},
		{"another start", func(m *sidecar.Metrics) { m.Run.StartAt = m.Run.StartAt.Add(time.Hour) }, "different ACCEPTANCE_START_AT", "their loads did not overlap"},
		{"another target", func(m *sidecar.Metrics) { m.Target.BaseURL = "http://other:8000/v1" }, "different targets", "two servers"},
		{"another knob", func(m *sidecar.Metrics) { m.Knobs.Extra["slo_ttft"] = "1s" }, "knobs: extra.slo_ttft", "judged by another SLO"},
		{"another count", func(m *sidecar.Metrics) { m.Run.Shards, m.Run.Shard.Count = 3, 3 }, "different shard counts", "1/2 and 1/3"},
		{"twice", func(m *sidecar.Metrics) { m.Run.Shard.Index = 0 }, "are both shard 0/2", "the same shard given twice"},
		{"not a shard", func(m *sidecar.Metrics) { m.Run = nil }, "not part of a sharded run", "an unsharded run"},
		{"refused to start", func(m *sidecar.Metrics) {
			m.Run, m.EndReason, m.EndDetail = nil, sidecar.EndPreflight, "configuration invalid [invalid_config]: ACCEPTANCE_START_AT=2026-11-29T09:00:00Z is 3h0m0s in the past"
		}, "this part did not run: configuration invalid [invalid_config]: ACCEPTANCE_START_AT", "a shard that refused its stale start time says why"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
	_, err := Load([]string{fixture}, 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--shards 3, but the shards say the run has 2")
}

func TestMergeNamesAMissingOrCrashedShard(t *testing.T) {
	dir := copyRun(t, 0, nil)
	require.NoError(t, os.Remove(filepath.Join(dir, "1", "metrics.json")))
	set, err := Load([]string{filepath.Join(dir, "0"), filepath.Join(dir, "1")}, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, set.Missing)
	require.Len(t, set.Notes, 1)
	assert.Contains(t, set.Notes[0], filepath.Join(dir, "1")+": no metrics.json")
	m, err := Merge(set)
	require.NoError(t, err)
	assert.False(t, m.Complete, "a merged run with a shard missing is incomplete")
	assert.Equal(t, EndShardsIncomplete, m.EndReason)
	assert.Contains(t, m.EndDetail, "shard 1/2 is missing")
	assert.Equal(t, []int{1}, m.Run.Missing)
	assert.False(t, m.Passed())
	for _, lr := range m.Concurrency.Runs {
		assert.Equal(t, sidecar.VerdictFail, lr.Verdict, "%s fails its shards check", lr.Name)
	}

	crashed := copyRun(t, 1, func(m *sidecar.Metrics) { m.Complete, m.EndReason = false, "running" })
	set, err = Load([]string{crashed}, 0)
	require.NoError(t, err)
	m, err = Merge(set)
	require.NoError(t, err)
	assert.False(t, m.Complete)
	assert.Contains(t, m.EndDetail, "did not finish: killed before it wrote its final metrics.json")
	assert.False(t, m.Passed())
}

func TestMergeRefusesATruncatedSidecar(t *testing.T) {
	dir := copyRun(t, 0, nil)
	p := filepath.Join(dir, "1", "metrics.json")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, data[:len(data)/2], 0o644))
	_, err = Load([]string{dir}, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(dir, "1"))
}

// The main Job's output (the unsharded process of the same run id) joins
// the merge: its tool calling, stability and conversation, its requests,
// and its completeness.
func TestMergeTakesTheMainPart(t *testing.T) {
	dir := copyRun(t, 0, nil)
	mainDir := filepath.Join(t.TempDir(), "main")
	require.NoError(t, os.MkdirAll(mainDir, 0o755))
	m0, err := sidecar.Read(filepath.Join(dir, "0", "metrics.json"))
	require.NoError(t, err)
	g := *m0
	g.Run = &sidecar.RunInfo{ID: m0.Run.ID, Shards: 1}
	g.Concurrency = nil
	g.Stability = &sidecar.Stability{Passed: false, Runs: []sidecar.StabilityRun{{Name: "alternating", Verdict: sidecar.VerdictFail, Errors: map[string]int{},
		Checks: []sidecar.Check{{Name: sidecar.CheckSuccessRate, Threshold: 0.95, Detail: "0 of 20 requests completed"}}}}}
	require.NoError(t, sidecar.Write(filepath.Join(mainDir, "metrics.json"), &g))
	require.NoError(t, os.WriteFile(filepath.Join(mainDir, "requests.jsonl"), []byte("{\"test\":\"TestStability/alternating\"}\n"), 0o644))

	set, err := Load([]string{filepath.Join(dir, "0"), filepath.Join(dir, "1"), mainDir}, 0)
	require.NoError(t, err)
	require.NotNil(t, set.Main)
	m, err := Merge(set)
	require.NoError(t, err)
	require.NotNil(t, m.Stability, "the main part's stability run")
	assert.False(t, m.Passed(), "the main part's failing stability run fails the merged run")
	assert.True(t, m.Concurrency.Passed, "while the load runs pass")
	out := t.TempDir()
	require.NoError(t, Write(out, set, m))
	lines, err := os.ReadFile(filepath.Join(out, "requests.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, 81, countLines(lines), "the main part's line and the shards' 80")

	other := g
	other.Run = &sidecar.RunInfo{ID: "run-other", Shards: 1}
	require.NoError(t, sidecar.Write(filepath.Join(mainDir, "metrics.json"), &other))
	_, err = Load([]string{filepath.Join(dir, "0"), filepath.Join(dir, "1"), mainDir}, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "different run ids")
}

func TestWaitReturnsWhenEveryPartIsFinalOrTheDeadlinePassed(t *testing.T) {
	var lines []string
	logf := func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }
	Wait([]string{fixture}, 2, time.Now().Add(time.Hour), time.Hour, logf)
	assert.Empty(t, lines, "both shards are final: no wait")

	dir := copyRun(t, 1, func(m *sidecar.Metrics) { m.EndReason = "running" })
	Wait([]string{dir, filepath.Join(dir, "main")}, 2, time.Now(), time.Hour, logf)
	require.Len(t, lines, 1, "a checkpoint and a missing folder: waits, until the deadline")
	assert.Contains(t, lines[0], "1 of 2 parts finished; merging what is there")
}
