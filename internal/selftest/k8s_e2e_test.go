//go:build k8se2e

package selftest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// TestKubernetesRun reads back a sharded run that real pods wrote to the
// results volume (scripts/k8s-e2e.sh level 2, `make k8s-e2e`): the shards
// Job's outputs in K8S_E2E_RUN/shards/<i>, the main Job's in main, and the
// merge Job's merged run in merged. K8S_E2E_SHARDS is N, K8S_E2E_MERGE the
// merge Job's final condition (Complete or Failed). It holds only with the
// tag k8se2e, outside `make test`: the files come from the cluster.
func TestKubernetesRun(t *testing.T) {
	dir := os.Getenv("K8S_E2E_RUN")
	require.NotEmpty(t, dir, "K8S_E2E_RUN names the run's folder on the results volume; scripts/k8s-e2e.sh sets it")
	n, err := strconv.Atoi(os.Getenv("K8S_E2E_SHARDS"))
	require.NoError(t, err, "K8S_E2E_SHARDS is the shards Job's completions")
	mergeState := os.Getenv("K8S_E2E_MERGE")
	require.Contains(t, []string{"Complete", "Failed"}, mergeState, "K8S_E2E_MERGE is the merge Job's condition")

	mergedDir := filepath.Join(dir, "merged")
	m, err := sidecar.Read(mergedDir)
	require.NoError(t, err, "the merge Job wrote metrics.json to the volume")
	raw, err := os.ReadFile(filepath.Join(mergedDir, "metrics.json"))
	require.NoError(t, err)
	require.NoError(t, sidecar.Validate(raw), "the merged metrics.json matches the schema")
	junit, err := os.ReadFile(filepath.Join(mergedDir, "junit.xml"))
	require.NoError(t, err, "the merge Job wrote junit.xml to the volume")

	// The verdict: the merge Job's exit status (Complete is exit 0) is the
	// one judge's verdict on the merged metrics.json, and a healthy
	// simulator passes.
	judged := sidecar.JudgeOf(m).Passed(m)
	for sec, v := range sidecar.JudgeOf(m).Outcomes(m) {
		if v.Outcome != sidecar.Pass {
			t.Logf("section %s: %s %+v", sec, v.Outcome, v)
		}
	}
	if !m.Complete {
		t.Logf("incomplete: %s", m.Ending())
	}
	assert.Equal(t, judged, mergeState == "Complete", "the merge Job's outcome is the judge's verdict")
	assert.True(t, judged, "a healthy simulator passes, sharded over real pods")
	assert.True(t, m.Complete, "every part merged: %s", m.Ending())
	if judged {
		assert.Contains(t, string(junit), `failures="0"`, "a passing run has no failing case in junit.xml")
	}
	require.NotNil(t, m.Run)
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, m.Run.Merged, "every shard merged")
	assert.NotNil(t, m.ToolCalling, "the main Job's part is in the merged run")

	// The shards' own outputs, as the pods wrote them, merged again here
	// exactly as `vllm-acceptance merge` merges them (shards_test.go).
	set, err := shard.Load([]string{filepath.Join(dir, "shards"), filepath.Join(dir, "main")}, n)
	require.NoError(t, err)
	require.Empty(t, set.Missing)
	require.Equal(t, n, set.Count)
	again, err := shard.Merge(set)
	require.NoError(t, err)
	local := t.TempDir()
	require.NoError(t, shard.Write(local, set, again))
	localRaw, err := os.ReadFile(filepath.Join(local, "metrics.json"))
	require.NoError(t, err)
	assert.JSONEq(t, string(localRaw), string(raw), "the pods' merged run is the merge of the shards' outputs")
	localRecs := ReadRecords(t, filepath.Join(local, "requests.jsonl"))
	mergedRecs := ReadRecords(t, filepath.Join(mergedDir, "requests.jsonl"))
	assert.Equal(t, len(localRecs), len(mergedRecs), "requests.jsonl: as many lines")

	// Every shard's requests are in the merged run.
	inMerged := map[string]int{}
	for _, r := range mergedRecs {
		inMerged[recordKey(r.Shard, r.Test, r.Attempt, r.Step, r.RequestID, r.Start)]++
	}
	for i := range n {
		recs := ReadRecords(t, filepath.Join(dir, "shards", fmt.Sprint(i), "requests.jsonl"))
		require.NotEmpty(t, recs, "shard %d sent requests", i)
		missing := 0
		for _, r := range recs {
			k := recordKey(r.Shard, r.Test, r.Attempt, r.Step, r.RequestID, r.Start)
			if inMerged[k] == 0 {
				missing++
			} else {
				inMerged[k]--
			}
		}
		assert.Zero(t, missing, "shard %d: every one of its %d requests is in the merged requests.jsonl", i, len(recs))
	}
	require.NotNil(t, m.Concurrency)
	total := 0
	for _, lr := range m.Concurrency.Runs {
		sum := 0
		for _, p := range set.Shards {
			for _, s := range p.Metrics.Concurrency.Runs {
				if s.Name == lr.Name {
					sum += s.Requests
				}
			}
		}
		assert.Equal(t, sum, lr.Requests, "%s: the merged requests are the sum of the shards'", lr.Name)
		require.NotNil(t, lr.Generator, lr.Name)
		assert.Equal(t, n, lr.Generator.Shards, lr.Name)
		assert.Greater(t, lr.Generator.ShardOverlap, 0.0, "%s: the shards sent together", lr.Name)
		total += lr.Requests
		t.Logf("%s: %d requests from %d shards, all sending for %s of the window; verdict %s",
			lr.Name, lr.Requests, n, units.Percent(lr.Generator.ShardOverlap), lr.Verdict)
	}

	// The shards' schedules overlapped: each began its load at the common
	// ACCEPTANCE_START_AT, within a second or two of the others.
	var first, last time.Time
	for _, p := range set.Shards {
		s := p.Metrics.Run.LoadStartedAt
		require.False(t, s.IsZero())
		assert.False(t, s.Before(p.Metrics.Run.StartAt.Add(-time.Second)), "no shard began before ACCEPTANCE_START_AT")
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if s.After(last) {
			last = s
		}
	}
	assert.Less(t, last.Sub(first), 2*time.Second, "the shards' loads started together")
	verdict := "fail"
	if judged {
		verdict = "pass"
	}
	js, _ := json.Marshal(m.Run.Merged)
	t.Logf("merged run %s: %d load requests from shards %s, loads started %s apart, verdict %s",
		m.Run.ID, total, js, last.Sub(first).Round(time.Millisecond), verdict)
}

func recordKey(shard, test string, attempt, step int, id string, start time.Time) string {
	return fmt.Sprint(shard, "|", test, "|", attempt, "|", step, "|", id, "|", start.UnixNano())
}
