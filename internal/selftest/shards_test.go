package selftest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// The sharded run's knobs: totals that do not divide evenly by 3 shards,
// so the split's remainder is exercised.
const (
	shardCount       = 3
	shardUsers       = 7
	shardClosedReqs  = 31
	shardOpenRate    = 30.0
	shardOpenReqs    = 32
	shardSimTTFT     = 20 * time.Millisecond
	shardSimTTFTSpec = "healthy?ttft=20ms&itl=1ms&noise=0.2&seed=3"
)

// indexedJobEnv is the environment the shards Job in deploy/kubernetes
// gives pod i: the knobs ConfigMap, JOB_COMPLETION_INDEX from the Job
// controller, ACCEPTANCE_SHARDS, and ACCEPTANCE_RUN_ID/ACCEPTANCE_START_AT
// from the run ConfigMap.
func indexedJobEnv(base, out string, i int, start time.Time) map[string]string {
	return map[string]string{
		"VLLM_BASE_URL":                   base,
		"JOB_COMPLETION_INDEX":            fmt.Sprint(i),
		"ACCEPTANCE_SHARDS":               fmt.Sprint(shardCount),
		"ACCEPTANCE_RUN_ID":               "selftest-shards",
		"ACCEPTANCE_START_AT":             start.Format(time.RFC3339),
		"ACCEPTANCE_SHARD_BARRIER":        filepath.Join(out, "barrier"),
		"ACCEPTANCE_OUT":                  filepath.Join(out, "shards", fmt.Sprint(i)),
		"ACCEPTANCE_SHORT_TOKENS":         "8",
		"ACCEPTANCE_CONCURRENCY":          fmt.Sprint(shardUsers),
		"ACCEPTANCE_CONCURRENCY_REQUESTS": fmt.Sprint(shardClosedReqs),
		"ACCEPTANCE_OPEN_LOOP_RATE":       fmt.Sprint(shardOpenRate),
		"ACCEPTANCE_OPEN_LOOP_REQUESTS":   fmt.Sprint(shardOpenReqs),
		"ACCEPTANCE_SLO_TTFT":             "1s",
		"ACCEPTANCE_GPU_INTERVAL":         "0",
		"ACCEPTANCE_METRICS_INTERVAL":     "0",
		"ACCEPTANCE_REQUEST_TIMEOUT":      "20s",
		// The pods' -test.run names TestCapacity too, as the Job's does: a
		// short search (two steps of 1 s, 30 then 60 req/s in all) whose
		// merge is checked below; capacity_test.go tests the search itself.
		"ACCEPTANCE_CAPACITY":                   "true",
		"ACCEPTANCE_CAPACITY_START_RATE":        "30",
		"ACCEPTANCE_CAPACITY_MAX_RATE":          "60",
		"ACCEPTANCE_CAPACITY_STEP":              "1s",
		"ACCEPTANCE_CAPACITY_WARMUP":            "0s",
		"ACCEPTANCE_CAPACITY_MIN_STEP_REQUESTS": "15",
		"ACCEPTANCE_CAPACITY_MAX_STEPS":         "2",
		"ACCEPTANCE_CAPACITY_MAX_TIME":          "60s",
	}
}

// runShards runs the N shard processes of the Indexed Job at once, each
// exactly as the Job's pod runs it (same binary, same -test.run, same
// environment), and waits for all of them.
func runShards(t *testing.T, base, out string, n int) []string {
	t.Helper()
	outputs, errs := runShardsWith(t, base, out, n, nil)
	for i := range n {
		require.NoError(t, errs[i], "shard %d:\n%s", i, tail(outputs[i]))
	}
	return outputs
}

// runShardsWith is runShards with extra knobs, returning each shard's
// exit error instead of requiring none.
func runShardsWith(t *testing.T, base, out string, n int, extra map[string]string) ([]string, []error) {
	t.Helper()
	bin := SuiteBinary(t)
	// Compiled first, then a start five to six seconds ahead (RFC 3339
	// has whole seconds): every shard is up and waiting before it comes,
	// even on a loaded machine.
	start := time.Now().Add(5 * time.Second).Truncate(time.Second).Add(time.Second)
	outputs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-test.v", "-test.count=1", "-test.run", "^(TestConcurrency|TestCapacity)$")
			cmd.Dir = filepath.Join(config.RepoRoot(), "acceptance")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
			for k, v := range indexedJobEnv(base, out, i, start) {
				if x, ok := extra[k]; ok {
					v = x
				}
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			for k, v := range extra {
				if _, ok := indexedJobEnv(base, out, i, start)[k]; !ok {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			errs[i] = cmd.Run()
			outputs[i] = buf.String()
		})
	}
	wg.Wait()
	return outputs, errs
}

// TestShardsCapacityOnlyFailure: a sharded run whose only failure is its
// capacity (ACCEPTANCE_MIN_CAPACITY far above what the simulator's search
// reaches; the load runs healthy) merges, through the CLI, to exit 1 and a
// junit.xml whose TestCapacity case fails with the live test's text while
// every TestConcurrency case passes (issue 18: merge's hand-written XML
// once left capacity out and was all green).
func TestShardsCapacityOnlyFailure(t *testing.T) {
	t.Parallel()
	p, err := sim.Lookup(shardSimTTFTSpec)
	require.NoError(t, err)
	base := Serve(t, sim.New(p, nil))
	out := t.TempDir()
	logs, errs := runShardsWith(t, base, out, shardCount, map[string]string{"ACCEPTANCE_MIN_CAPACITY": "100000"})
	for i, l := range logs {
		require.Error(t, errs[i], "shard %d fails its own TestCapacity:\n%s", i, tail(l))
		assert.Contains(t, l, "--- FAIL: TestCapacity", "shard %d", i)
		assert.NotContains(t, l, "--- FAIL: TestConcurrency", "shard %d: the load runs are healthy:\n%s", i, tail(l))
	}

	merged := filepath.Join(out, "merged")
	code, mergeOut := runCLI(t, cli(t), "merge", "--out", merged, filepath.Join(out, "shards"))
	assert.Equal(t, 1, code, "merge fails the run:\n%s", mergeOut)

	m, err := sidecar.Read(merged)
	require.NoError(t, err)
	require.NotNil(t, m.Capacity)
	assert.False(t, m.Passed())
	v := m.SectionVerdicts()
	assert.False(t, v[sidecar.SectionCapacity])
	assert.True(t, v[sidecar.SectionConcurrency], "only capacity fails")

	raw, err := os.ReadFile(filepath.Join(merged, "junit.xml"))
	require.NoError(t, err)
	x := string(raw)
	assert.Regexp(t, `<testcase classname="[^"]*acceptance" name="TestCapacity"[^>]*>\s*<failure`, x, "a failing TestCapacity case")
	assert.Contains(t, x, "min_capacity", "the live test's failure text names the check")
	assert.Contains(t, x, `failures="1"`, "TestCapacity is the one failure:\n%s", x)
	for _, lr := range m.Concurrency.Runs {
		assert.Regexp(t, `name="TestConcurrency/`+lr.Name+`"[^>]*></testcase>`, x, "a passing load run")
	}
}

// TestShardsMergeIntoTheRunOneProcessMeasures: three shard processes run
// as pods 0..2 of the Indexed Job would, against one simulator; merged,
// they give one run with every request, the total users and offered rate,
// counts that are the sums of the shards', percentiles equal (within HDR
// precision) to those of one aggregator fed the union of the shards'
// records, and the same verdicts.
func TestShardsMergeIntoTheRunOneProcessMeasures(t *testing.T) {
	t.Parallel()
	p, err := sim.Lookup(shardSimTTFTSpec)
	require.NoError(t, err)
	base := Serve(t, sim.New(p, nil))
	out := t.TempDir()
	logs := runShards(t, base, out, shardCount)
	for i, l := range logs {
		assert.Contains(t, l, fmt.Sprintf("shard %d/%d of run selftest-shards: waiting", i, shardCount), "every shard waits for the common start:\n%s", tail(l))
	}

	set, err := shard.Load([]string{filepath.Join(out, "shards")}, 0)
	require.NoError(t, err)
	require.Empty(t, set.Notes)
	require.Equal(t, shardCount, set.Count)
	require.Empty(t, set.Missing)
	parts := set.Shards
	m, err := shard.Merge(set)
	require.NoError(t, err)
	merged := filepath.Join(out, "merged")
	require.NoError(t, shard.Write(merged, set, m))
	raw, err := os.ReadFile(filepath.Join(merged, "metrics.json"))
	require.NoError(t, err)
	require.NoError(t, sidecar.Validate(raw), "the merged metrics.json matches the schema")
	assert.True(t, m.Complete)
	assert.True(t, m.Passed(), "a healthy server passes, merged as alone")
	assert.Equal(t, []int{0, 1, 2}, m.Run.Merged)
	require.NotNil(t, m.Concurrency)
	require.Len(t, m.Concurrency.Runs, 2)

	records := ReadRecords(t, filepath.Join(merged, "requests.jsonl"))
	want := map[string]struct {
		requests, users int
		rate            float64
	}{
		fmt.Sprintf("closed_%d", shardUsers):  {shardClosedReqs, shardUsers, 0},
		fmt.Sprintf("open_%g", shardOpenRate): {shardOpenReqs, 0, shardOpenRate},
	}
	for _, lr := range m.Concurrency.Runs {
		w, ok := want[lr.Name]
		require.True(t, ok, lr.Name)
		t.Run(lr.Name, func(t *testing.T) {
			// Counts: the sums of the shards', and every request planned.
			var sum sidecar.ConcurrencyRun
			for _, p := range parts {
				for _, s := range p.Metrics.Concurrency.Runs {
					if s.Name == lr.Name {
						sum.Requests += s.Requests
						sum.Completed += s.Completed
						sum.Good += s.Good
						sum.OutputTokens += s.OutputTokens
						sum.Concurrency += s.Concurrency
						sum.RatePerS += s.RatePerS
					}
				}
			}
			assert.Equal(t, sum.Requests, lr.Requests)
			assert.Equal(t, sum.Completed, lr.Completed)
			assert.Equal(t, sum.Good, lr.Good)
			assert.Equal(t, sum.OutputTokens, lr.OutputTokens)
			assert.Equal(t, w.requests, lr.Requests, "every request of the run, split over the shards")
			assert.Equal(t, w.users, lr.Concurrency, "the users add up to ACCEPTANCE_CONCURRENCY")
			assert.InDelta(t, w.rate, lr.RatePerS, 1e-9, "the rates add up to ACCEPTANCE_OPEN_LOOP_RATE")
			require.NotNil(t, lr.Generator)
			assert.Equal(t, shardCount, lr.Generator.Shards)
			assert.Equal(t, lr.Requests, lr.Generator.DispatchLagMs.N, "every dispatch judged")

			// One aggregator fed the union of the shards' records.
			one := load.NewAgg(load.Limits{MinSuccessRate: 0.95, SLOTTFTms: 1000, SLOTPOTms: 100})
			shardsSeen := map[string]bool{}
			for i := range records {
				r := &records[i]
				if r.Test == "TestConcurrency/"+lr.Name && r.Class != load.ClassWarmup {
					one.Add(r)
					shardsSeen[r.Shard] = true
				}
			}
			assert.Len(t, shardsSeen, shardCount, "requests.jsonl lines carry their shard")
			union := one.ConcurrencyRun(lr.Name, time.Duration(lr.DurationS*float64(time.Second)), 0.9)
			assert.Equal(t, union.Requests, lr.Requests)
			assert.Equal(t, union.Completed, lr.Completed)
			assert.Equal(t, union.Good, lr.Good)
			for _, f := range []struct {
				name          string
				merged, alone stats.Summary
			}{{"ttft_ms", lr.TTFTms, union.TTFTms}, {"e2e_ms", lr.E2Ems, union.E2Ems}, {"tpot_ms", lr.TPOTms, union.TPOTms}} {
				assert.Equal(t, f.alone.N, f.merged.N, f.name)
				for _, q := range []struct {
					name string
					m, a float64
				}{{"p50", f.merged.P50, f.alone.P50}, {"p90", f.merged.P90, f.alone.P90}, {"p99", f.merged.P99, f.alone.P99}} {
					// HDR precision: 3 significant digits, one bucket.
					assert.LessOrEqual(t, math.Abs(q.m-q.a), 0.001*math.Max(q.m, q.a)+0.001,
						"%s %s: merged %.3f ms, one process over the union %.3f ms", f.name, q.name, q.m, q.a)
				}
			}
			for _, name := range []string{sidecar.CheckSuccessRate, sidecar.CheckGoodputRatio} {
				mc, _ := findCheck(lr.Checks, name)
				uc, _ := findCheck(union.Checks, name)
				assert.Equal(t, uc.Passed, mc.Passed, name)
				assert.InDelta(t, uc.Value, mc.Value, 1e-12, name)
			}
			assert.Equal(t, sidecar.JudgeOf(m).RunVerdict(union.Checks), lr.Verdict, "the same verdict")
			require.NotNil(t, lr.Generator)
			assert.Equal(t, shardCount, lr.Generator.Shards)
			assert.Greater(t, lr.Generator.ShardOverlap, 0.0, "the shards sent together for part of the window")
			if lr.Mode == "open" {
				// One seeded schedule dealt round robin: the shards send
				// over the same window (each drawing its own stream ended
				// raggedly, at 55 % here).
				assert.GreaterOrEqual(t, lr.Generator.ShardOverlap, 0.8, "the shards' parts of one schedule span the same window")
			}
			if lr.Mode == "closed" {
				// After the capacity search (each shard's took its own
				// time), the barrier started every shard's closed loop
				// together: its workers send at once.
				var first, last time.Time
				for _, p := range parts {
					for _, s := range p.Metrics.Concurrency.Runs {
						if s.Name == lr.Name {
							if first.IsZero() || s.StartedAt.Before(first) {
								first = s.StartedAt
							}
							if s.StartedAt.After(last) {
								last = s.StartedAt
							}
						}
					}
				}
				assert.Less(t, last.Sub(first), 300*time.Millisecond, "ACCEPTANCE_SHARD_BARRIER started the shards together")
			}
			// Every shard met the others at this run (not the first load
			// run: ACCEPTANCE_START_AT started the capacity search).
			for i := range shardCount {
				assert.FileExists(t, filepath.Join(out, "barrier", "selftest-shards", fmt.Sprintf("concurrency-%s.%d", lr.Name, i)))
			}
			assert.LessOrEqual(t, lr.Generator.ShardOverlap, 1.0)
			t.Logf("%s: %d requests over %d shards in %.2fs (all shards sending for %s of it); TTFT p50/p90/p99 merged %.2f/%.2f/%.2f ms, one process over the union %.2f/%.2f/%.2f ms; verdict %s",
				lr.Name, lr.Requests, shardCount, lr.DurationS, units.Percent(lr.Generator.ShardOverlap), lr.TTFTms.P50, lr.TTFTms.P90, lr.TTFTms.P99,
				union.TTFTms.P50, union.TTFTms.P90, union.TTFTms.P99, lr.Verdict)
			// The server's true first-token latency is 20 ms ± 20 %; what
			// the client adds is small next to it.
			assert.GreaterOrEqual(t, lr.TTFTms.P50, 0.8*float64(shardSimTTFT.Milliseconds()))
			assert.Less(t, lr.TTFTms.P50, 2*float64(shardSimTTFT.Milliseconds()))
		})
	}

	// The capacity searches, merged in lockstep: each merged step holds
	// the requests of every shard's step at that rate.
	t.Run("capacity", func(t *testing.T) {
		c := m.Capacity
		require.NotNil(t, c, "the shards ran TestCapacity")
		assert.Equal(t, shardCount, c.Shards)
		require.NotEmpty(t, c.Steps)
		for i, st := range c.Steps {
			sent, good := 0, 0
			for _, p := range parts {
				require.Greater(t, len(p.Metrics.Capacity.Steps), i, "a merged step is a step every shard ran")
				ps := p.Metrics.Capacity.Steps[i]
				assert.InDelta(t, st.RatePerS, ps.RatePerS, 1e-9, "in lockstep")
				sent += ps.Sent
				good += ps.Good
			}
			assert.Equal(t, sent, st.Sent, "step %d: the shards' requests add up", i)
			assert.Equal(t, good, st.Good, "step %d", i)
		}
		t.Logf("capacity: %s over %d merged steps (%s); stop: %s", capacity.Line(*c), len(c.Steps), c.Confidence, c.StopReason)
		assert.Contains(t, []string{"pass", "limited"}, c.Steps[0].Outcome,
			"30 req/s in all against a 20 ms server passes, unless this loaded machine's generator fell behind")
	})

	// The shards' windows overlap: every shard's load started together.
	var starts []time.Time
	for _, p := range parts {
		starts = append(starts, p.Metrics.Run.LoadStartedAt)
	}
	for _, s := range starts[1:] {
		assert.Less(t, s.Sub(starts[0]).Abs(), 2*time.Second, "the shards started their load at ACCEPTANCE_START_AT: %v", starts)
	}

	// A shard missing: named, the merged run incomplete and failing.
	lone, err := shard.Load([]string{filepath.Join(out, "shards", "0"), filepath.Join(out, "shards", "2")}, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, lone.Missing)
	mm, err := shard.Merge(lone)
	require.NoError(t, err)
	assert.False(t, mm.Complete)
	assert.False(t, mm.Passed())
	assert.Contains(t, mm.EndDetail, "shard 1/3 is missing")
	c, ok := findCheck(mm.Concurrency.Runs[0].Checks, sidecar.CheckShards)
	require.True(t, ok)
	assert.False(t, c.Passed)
	assert.True(t, strings.HasPrefix(c.Detail, "2 of 3 shards merged"), c.Detail)
}

func findCheck(checks []sidecar.Check, name string) (sidecar.Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return sidecar.Check{}, false
}

// TestShardOtherThanZeroRunsOnlyItsLoad: shard 1/2 of the whole suite
// skips tool calling, stability and the conversation (shard 0 runs them)
// with a line saying so, sends its half of each load run, and marks its
// outputs with its shard and the run id.
func TestShardOtherThanZeroRunsOnlyItsLoad(t *testing.T) {
	t.Parallel()
	p, err := sim.Lookup("healthy?ttft=5ms&itl=1ms")
	require.NoError(t, err)
	env := loadEnv(t, "healthy")
	env["VLLM_BASE_URL"] = Serve(t, sim.New(p, nil))
	SuiteBinary(t)
	env["ACCEPTANCE_SHARD"] = "1/2"
	env["ACCEPTANCE_START_AT"] = time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	env["ACCEPTANCE_GPU_INTERVAL"] = "0"
	o := Run(t, env, 90*time.Second)
	require.Equal(t, 0, o.ExitCode, tail(o.Output))
	for _, name := range []string{"TestToolCalling", "TestStability", "TestConversation"} {
		assert.Equal(t, "SKIP", o.Tests[name], name)
	}
	assert.Contains(t, o.Output, "shard 1/2: tool calling runs on shard 0 only")
	require.NotNil(t, o.Metrics)
	assert.Nil(t, o.Metrics.ToolCalling)
	assert.Nil(t, o.Metrics.Stability)
	require.NotNil(t, o.Metrics.Run)
	assert.Equal(t, &sidecar.ShardRef{Index: 1, Count: 2}, o.Metrics.Run.Shard)
	require.NotNil(t, o.Metrics.Concurrency)
	closed, open := o.Metrics.Concurrency.Runs[0], o.Metrics.Concurrency.Runs[1]
	assert.Equal(t, "closed_4", closed.Name, "the run keeps the name of the whole run")
	assert.Equal(t, 2, closed.Concurrency, "half of ACCEPTANCE_CONCURRENCY=4")
	assert.Equal(t, 8, closed.Requests, "half of ACCEPTANCE_CONCURRENCY_REQUESTS=16")
	assert.Equal(t, "open_100", open.Name)
	assert.InDelta(t, 50, open.RatePerS, 1e-9, "half of ACCEPTANCE_OPEN_LOOP_RATE=100")
	assert.Equal(t, 10, open.Requests, "half of ACCEPTANCE_OPEN_LOOP_REQUESTS=20")
	require.NotEmpty(t, o.Records)
	for _, r := range o.Records {
		assert.Equal(t, "1/2", r.Shard, "every requests.jsonl line carries its shard")
	}
}
