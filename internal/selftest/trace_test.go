package selftest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// demoTrace is the trace make demo replays (go run ./scripts/tracegen).
const demoTrace = "traces/demo.jsonl"

// traceEnv replays the demo trace in the concurrency runs (and, with
// ACCEPTANCE_CAPACITY=true, a two-step capacity search) against base.
func traceEnv(base string) map[string]string {
	return map[string]string{
		"VLLM_BASE_URL":               base,
		"ACCEPTANCE_WORKLOAD":         demoTrace,
		"ACCEPTANCE_TRACE_SPEEDUP":    "2",
		"ACCEPTANCE_CONCURRENCY":      "6",
		"ACCEPTANCE_SLO_TTFT":         "1s",
		"ACCEPTANCE_GPU_INTERVAL":     "0",
		"ACCEPTANCE_METRICS_INTERVAL": "0",
		"ACCEPTANCE_REQUEST_TIMEOUT":  "20s",
	}
}

// linesSent counts, per run (record.Test), how often each trace line was
// sent.
func linesSent(recs []record.Record) map[string]map[int]int {
	out := map[string]map[int]int{}
	for _, r := range recs {
		if r.TraceLine == 0 {
			continue
		}
		if out[r.Test] == nil {
			out[r.Test] = map[int]int{}
		}
		out[r.Test][r.TraceLine]++
	}
	return out
}

// onceEach asserts that run sent every line of tr exactly once.
func onceEach(t *testing.T, tr *trace.Trace, sent map[int]int, run string) {
	t.Helper()
	want := map[int]int{}
	for _, l := range tr.Requests {
		want[l.Line] = 1
	}
	assert.Equal(t, want, sent, "%s sends every trace line exactly once", run)
}

// serverChecksPass asserts that the concurrency runs failed no check but
// load_generator and client_server_gap: on a shared, loaded machine (2
// cores, load average 10 and more) one scheduler stall makes a burst of
// the trace's dispatches late, and the client's own queueing adds to its
// TTFT, which those checks report as the machine's, not the server's;
// each is tested on its own (generator_test.go, the gateway self-test). What these tests prove (each
// line sent once, the lengths, the schedule) does not depend on it.
func serverChecksPass(t *testing.T, o Outcome) {
	t.Helper()
	require.NotNil(t, o.Metrics, tail(o.Output))
	require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
	for _, run := range o.Metrics.Concurrency.Runs {
		for _, c := range run.Checks {
			if (c.Name == sidecar.CheckLoadGenerator || c.Name == sidecar.CheckClientServerGap) && !c.Passed {
				t.Logf("%s: %s (this machine)", run.Name, c.Detail)
				continue
			}
			assert.True(t, c.Passed || c.Skipped, "%s: %s failed: %s", run.Name, c.Name, c.Detail)
		}
	}
}

// TestTraceReplay replays the shipped trace against the simulator: each
// concurrency run sends every line exactly once (counted in
// requests.jsonl), the open loop at the trace's arrival times (halved by
// ACCEPTANCE_TRACE_SPEEDUP=2), prompts of the lengths the trace asks (the
// simulator counts usage.prompt_tokens, which the calibration probes
// read), answers of its output lengths, and the capacity steps send trace
// lines too.
func TestTraceReplay(t *testing.T) {
	t.Parallel()
	tr, err := trace.Load(config.FromRoot(demoTrace))
	require.NoError(t, err)
	env := traceEnv(Serve(t, sim.New(mustPersona(t, "healthy?ttft=10ms&itl=1ms&seed=2"), nil)))
	env["ACCEPTANCE_CAPACITY"] = "true"
	for k, v := range map[string]string{"START_RATE": "15", "MAX_RATE": "30", "STEP": "1s", "WARMUP": "0s",
		"MIN_STEP_REQUESTS": "15", "MAX_STEPS": "2", "MAX_TIME": "60s"} {
		env["ACCEPTANCE_CAPACITY_"+k] = v
	}
	o := Run(t, env, 3*time.Minute, "-test.run", "^(TestConcurrency|TestCapacity)$")
	serverChecksPass(t, o)
	assert.Contains(t, o.Tests, "TestConcurrency/"+suite.OpenTrace, "the open loop is named for the trace")

	sent := linesSent(o.Records)
	for _, run := range o.Metrics.Concurrency.Runs {
		test := "TestConcurrency/" + run.Name
		onceEach(t, tr, sent[test], test)
		w := run.Workload
		require.NotNil(t, w, "%s records its workload", run.Name)
		assert.Equal(t, len(tr.Requests), w.Lines)
		assert.Equal(t, tr.SHA256, w.SHA256)
		require.NotNil(t, w.Calibration)
		assert.Equal(t, "tokenize", w.Calibration.Source, "the simulator answers vLLM's /tokenize (issue 27): no probe requests")
		t.Logf("%s: prompts %d tokens against the trace's %d (%.2f %% off in all, p50 %.0f against %.0f); answers %.2f %% off",
			run.Name, w.InputTokens, w.TraceInputTokens, 100*w.InputError, w.Input.P50, w.TraceInput.P50, 100*w.OutputError)
		assert.Less(t, w.InputError, 0.02, "achieved prompt lengths within 2 %% of the trace's")
		assert.Less(t, w.OutputError, 0.01, "the simulator answers max_tokens tokens (ignore_eos)")
		assert.NotEmpty(t, w.Histograms[`input`])
	}

	// The open loop keeps the trace's schedule: each line is due at its
	// timestamp over the speedup, from the first line's.
	var first time.Time
	due := map[int]time.Duration{}
	for _, r := range o.Records {
		if r.Test == "TestConcurrency/"+suite.OpenTrace && r.TraceLine > 0 {
			if first.IsZero() || r.Scheduled.Before(first) {
				first = r.Scheduled
			}
		}
	}
	for _, r := range o.Records {
		if r.Test == "TestConcurrency/"+suite.OpenTrace && r.TraceLine > 0 {
			due[r.TraceLine] = r.Scheduled.Sub(first)
		}
	}
	for _, l := range tr.Requests {
		assert.InDelta(t, float64(l.At/2), float64(due[l.Line]), float64(time.Millisecond), "line %d is due at its timestamp / 2", l.Line)
	}

	require.NotNil(t, o.Metrics.Capacity)
	stepLines := 0
	for _, r := range o.Records {
		if r.Test == "TestCapacity" && r.Scenario != "idle" && r.Class != suite.ClassCalibration {
			assert.NotZero(t, r.TraceLine, "a capacity step sends trace lines")
			stepLines++
		}
	}
	assert.Positive(t, stepLines)
}

// TestTraceReplayShards: two shards replaying the trace merge into one run
// that holds each line once.
func TestTraceReplayShards(t *testing.T) {
	t.Parallel()
	tr, err := trace.Load(config.FromRoot(demoTrace))
	require.NoError(t, err)
	base := Serve(t, sim.New(mustPersona(t, "healthy?ttft=10ms&itl=1ms&seed=2"), nil))
	out := t.TempDir()
	start := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	const n = 2
	outcomes := make([]Outcome, n)
	done := make(chan int, n)
	for i := range n {
		go func() {
			defer func() { done <- i }()
			env := traceEnv(base)
			env["ACCEPTANCE_SHARD"] = fmt.Sprintf("%d/%d", i, n)
			env["ACCEPTANCE_START_AT"] = start.Format(time.RFC3339)
			env["ACCEPTANCE_RUN_ID"] = "selftest-trace"
			env["ACCEPTANCE_SHARD_BARRIER"] = filepath.Join(out, "barrier")
			env["ACCEPTANCE_OUT"] = filepath.Join(out, "shards", fmt.Sprint(i))
			outcomes[i] = Run(t, env, 2*time.Minute, "-test.run", "^TestConcurrency$")
		}()
	}
	for range n {
		<-done
	}
	var recs []record.Record
	for i, o := range outcomes {
		serverChecksPass(t, o)
		recs = append(recs, o.Records...)
		for _, run := range o.Metrics.Concurrency.Runs {
			require.NotNil(t, run.Workload)
			assert.Equal(t, (len(tr.Requests)+n-1-i)/n, run.Workload.Lines, "shard %d sends its round-robin part", i)
		}
	}
	sent := linesSent(recs)
	set, err := shard.Load([]string{filepath.Join(out, "shards")}, 0)
	require.NoError(t, err)
	m, err := shard.Merge(set)
	require.NoError(t, err)
	require.NoError(t, shard.Write(filepath.Join(out, "merged"), set, m))
	merged, err := sidecar.Read(filepath.Join(out, "merged", "metrics.json"))
	require.NoError(t, err)
	require.NotNil(t, merged.Concurrency)
	require.Len(t, merged.Concurrency.Runs, 2)
	for _, run := range merged.Concurrency.Runs {
		test := "TestConcurrency/" + run.Name
		onceEach(t, tr, sent[test], test+" over the two shards")
		require.NotNil(t, run.Workload)
		assert.Equal(t, len(tr.Requests), run.Workload.Lines, "the merged %s holds every line", run.Name)
		assert.Equal(t, len(tr.Requests), run.Requests)
		assert.Equal(t, int64(len(tr.Requests)), int64(run.Workload.TraceOutput.N), "the merged histograms hold every line")
	}
	if _, err := os.Stat(filepath.Join(out, "merged", "requests.jsonl")); err == nil {
		onceEach(t, tr, linesSent(ReadRecords(t, filepath.Join(out, "merged", "requests.jsonl")))["TestConcurrency/"+suite.OpenTrace], "merged requests.jsonl")
	}
}

// TestTraceReplayPrefixCache replays the shipped trace, one line at a time
// (closed_1), against
// the prefix-caching simulator (60 µs of prefill per uncached prompt
// token, so the prefill dominates a loaded machine's noise): the
// prefix-cache hit rate the run read from /metrics (its server view) is the simulator's own count over the
// run (the two calibration probes, sent before the run's window opens,
// queried their prompt tokens and hit none), and the lines whose prefix
// earlier lines had sent (half the prompt or more) get their first token
// sooner than the other lines, in metrics.json and in the report.
func TestTraceReplayPrefixCache(t *testing.T) {
	t.Parallel()
	s := sim.New(mustPersona(t, "prefix_caching?prefill=60us&seed=2"), nil)
	env := traceEnv(Serve(t, s))
	env["ACCEPTANCE_METRICS_INTERVAL"] = "1s"
	// One worker: no request queues behind another's prefill, so a TTFT is
	// the line's own prefill.
	env["ACCEPTANCE_CONCURRENCY"] = "1"
	// No warm-up: the simulator's own count then holds the probes and the
	// run only.
	env["ACCEPTANCE_WARMUP_WAVES"] = "0"
	o := Run(t, env, 2*time.Minute, "-test.run", "^TestConcurrency$/^closed_1$")
	serverChecksPass(t, o)
	require.Len(t, o.Metrics.Concurrency.Runs, 1)
	run := o.Metrics.Concurrency.Runs[0]
	v, w := run.ServerView, run.Workload
	require.NotNil(t, v, "the run read /metrics")
	require.NotNil(t, w)
	require.NotNil(t, v.PrefixCacheHitRate, "the simulator publishes the prefix-cache counters")

	own := s.PrefixCache()
	probes := int64(0)
	for _, r := range o.Records {
		if r.Class == suite.ClassCalibration {
			probes += int64(r.PromptTokens)
		}
	}
	assert.Zero(t, probes, "calibrated by the simulator's /tokenize (issue 27): no probe request")
	assert.Equal(t, float64(own.Hits), v.PrefixCacheHits, "hits read from /metrics over the run = the simulator's own count")
	assert.Equal(t, float64(own.Queries-probes), v.PrefixCacheQueries, "queries over the run = the simulator's, less the probes'")
	assert.InDelta(t, float64(own.Hits)/float64(own.Queries-probes), *v.PrefixCacheHitRate, 1e-9)

	t.Logf("prefix cache: %.1f %% of %0.f prompt tokens hit (/metrics), the simulator counted %d of %d; TTFT p50 %.1f ms over %d lines with a shared prefix, %.1f ms over %d without",
		100**v.PrefixCacheHitRate, v.PrefixCacheQueries, own.Hits, own.Queries-probes,
		w.SharedPrefixTTFTms.P50, w.SharedPrefixTTFTms.N, w.NewPrefixTTFTms.P50, w.NewPrefixTTFTms.N)
	assert.Positive(t, *v.PrefixCacheHitRate, "the trace's shared prefixes hit")
	require.Positive(t, w.SharedPrefixTTFTms.N)
	require.Positive(t, w.NewPrefixTTFTms.N)
	// The other lines are the first of each app and sessions that add
	// more than they repeat; a shared line still prefills its new turn.
	// Measured: 45 against 80 ms p50 (63 % of the prompt tokens hit).
	assert.Less(t, w.SharedPrefixTTFTms.P50, 0.8*w.NewPrefixTTFTms.P50, "a cached prefix skips its prefill: TTFT well below the other lines'")

	var md strings.Builder
	require.NoError(t, report.Markdown(&md, o.Metrics, o.Records, report.Options{}))
	assert.Contains(t, md.String(), "### Trace replay")
	assert.Contains(t, md.String(), fmt.Sprintf("%.1f ms (%d lines) | %.1f ms (%d lines) |",
		w.SharedPrefixTTFTms.P50, w.SharedPrefixTTFTms.N, w.NewPrefixTTFTms.P50, w.NewPrefixTTFTms.N), "the report sets the two TTFTs side by side")
}
