package selftest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// TestColdStartWarmup: the closed_8 on a GPU engine, scaled down.
// The cold_start persona answers its first 4 chat requests 6× slower
// (TPOT 30 ms against 5 ms; the SLO is 15 ms). With the default warm-up
// (one wave of 4 at the run's concurrency) the slow wave is absorbed and
// TestConcurrency/closed_4 passes; with ACCEPTANCE_WARMUP_WAVES=0 it fails
// goodput (12 of 16) with the cold-start line, not the sizing remedy.
func TestColdStartWarmup(t *testing.T) {
	t.Parallel()
	env := func(waves string) map[string]string {
		e := loadEnv(t, "cold_start")
		e["ACCEPTANCE_SLO_TPOT"] = "15ms"
		e["ACCEPTANCE_WARMUP_WAVES"] = waves
		return e
	}
	t.Run("warm-up on", func(t *testing.T) {
		t.Parallel()
		o := Run(t, env("1"), 60*time.Second, "-test.run", "TestConcurrency/closed")
		assert.Equal(t, "PASS", o.Tests["TestConcurrency/closed_4"], tail(o.Output))
		require.NotNil(t, o.Metrics)
		require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
		run := o.Metrics.Concurrency.Runs[0]
		require.NotNil(t, run.Warmup, "the warm-up is in the sidecar")
		assert.Equal(t, 4, run.Warmup.Requests, "one wave at the run's concurrency")
		assert.Equal(t, 4, run.Warmup.Completed)
		assert.Greater(t, run.Warmup.TPOTms.P50, 15.0, "the warm-up took the slow wave")
		assert.Equal(t, 16, run.Requests, "warm-up requests are not counted")
		assert.InDelta(t, 1.0, run.GoodputRatio, 1e-9)
		assert.Nil(t, run.ColdStart)
		warm := 0
		for _, r := range o.Records {
			if r.Test == "TestConcurrency/closed_4" && r.Class == load.ClassWarmup {
				warm++
			}
		}
		assert.Equal(t, 4, warm, "warm-up lines are marked in requests.jsonl")
	})
	t.Run("warm-up off", func(t *testing.T) {
		t.Parallel()
		o := Run(t, env("0"), 60*time.Second, "-test.run", "TestConcurrency/closed")
		assert.Equal(t, "FAIL", o.Tests["TestConcurrency/closed_4"], tail(o.Output))
		require.NotNil(t, o.Metrics)
		require.NotNil(t, o.Metrics.Concurrency, tail(o.Output))
		run := o.Metrics.Concurrency.Runs[0]
		assert.Nil(t, run.Warmup)
		assert.InDelta(t, 0.75, run.GoodputRatio, 1e-9, "the first wave of 4 missed the TPOT SLO")
		require.NotNil(t, run.ColdStart, tail(o.Output))
		assert.True(t, run.ColdStart.ExplainsFailure, "%+v", run.ColdStart)
		assert.Equal(t, "tpot_ms", run.ColdStart.Metric)
		assert.Contains(t, o.Output, "closed_4: goodput_ratio failed")
		assert.Contains(t, o.Output, "the first 4 requests were slower: cold start?")
		assert.Contains(t, o.Output, "ACCEPTANCE_WARMUP_WAVES")
		assert.NotContains(t, o.Output, "scale the server", "not a sizing remedy")
		assert.NotContains(t, o.Output, "--max-num-seqs")
	})
}

// TestInterruptedRequestIsNotAServerFailure: SIGTERM (a CI job's timeout)
// reaches the child while a stability request is in flight (back-to-back
// requests of 400 ms). The request is recorded interrupted, counted apart
// in the sidecar, outside the success rate; no server remedy is printed;
// metrics.json says complete: false.
func TestInterruptedRequestIsNotAServerFailure(t *testing.T) {
	t.Parallel()
	url := Serve(t, sim.New(mustPersona(t, "healthy?ttft=400ms"), nil))
	env := stabilityEnv(url, 10000, "0s")
	env["ACCEPTANCE_REQUEST_TIMEOUT"] = "60s"
	env["ACCEPTANCE_WARMUP_WAVES"] = "0"
	// -timeout 0: a run of 10000 requests is meant to be interrupted, and
	// the plan would refuse it under a deadline.
	cmd, o, buf := childCommand(t, env, "-test.run", "TestStability", "-test.timeout", "0")
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitLines(t, o.OutDir, 3, 60*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		require.FailNow(t, "the child did not exit within 15 s of SIGTERM", tail(buf.String()))
	}
	out := buf.String()
	assert.NotEqual(t, 0, cmd.ProcessState.ExitCode(), "an interrupted suite is not green")
	b, err := os.ReadFile(filepath.Join(o.OutDir, "metrics.json"))
	require.NoError(t, err, tail(out))
	var m sidecar.Metrics
	require.NoError(t, json.Unmarshal(b, &m))
	assert.False(t, m.Complete)
	require.NotNil(t, m.Stability, tail(out))
	run := m.Stability.Runs[0]
	assert.Equal(t, 1, run.Interrupted, "the request in flight is counted as interrupted")
	assert.Empty(t, run.Errors, "and not as an error")
	assert.Equal(t, run.Completed, run.Requests, "the success rate leaves it out")
	assert.InDelta(t, 1.0, run.SuccessRate, 1e-9)
	sr, _ := check(run, "success_rate")
	assert.True(t, sr.Passed, sr.Detail)
	rq, found := check(run, "requests")
	require.True(t, found, "the run fails because it was cut short: %+v", run.Checks)
	assert.Contains(t, rq.Detail, "interrupted by SIGTERM")
	interrupted := 0
	for _, r := range ReadRecords(t, filepath.Join(o.OutDir, "requests.jsonl")) {
		if r.ErrorKind == record.ErrInterrupted {
			interrupted++
			assert.Empty(t, r.Diagnoses, "no diagnosis for the suite's own interruption")
		}
	}
	assert.Equal(t, 1, interrupted, "requests.jsonl marks it interrupted")
	for _, remedy := range []string{"server crash or OOM", "crashed or run out of memory", "scale the server", "success_rate failed"} {
		assert.NotContains(t, out, remedy, "no server remedy for an interruption:\n%s", tail(out))
	}
}

// TestRooflineBothWays: the slow_decode persona decodes one stream at
// about 50 tok/s; declared as a 9.6 GB model on an H200 (bound 500 tok/s)
// that is 10 %: below_bound, advice by default, a failed run with
// ACCEPTANCE_ROOFLINE_BELOW_FAILS. At itl=2.86ms (350 tok/s, 70 %) it is ok.
func TestRooflineBothWays(t *testing.T) {
	t.Parallel()
	type testCase struct {
		name, spec string
		fails      bool
		verdict    string
		exit0      bool
	}
	run := func(t *testing.T, tc testCase) {
		env := stabilityEnv(Serve(t, sim.New(mustPersona(t, tc.spec), nil)), 6, "5ms")
		env["ACCEPTANCE_MODEL_BYTES"] = "9.6e9"
		env["ACCEPTANCE_GPU_NAME"] = "NVIDIA H200"
		// The roofline is judged here, not degradation: three requests a
		// class on a busy machine can look like a trend.
		env["ACCEPTANCE_MAX_DEGRADATION"] = "10"
		if tc.fails {
			env["ACCEPTANCE_ROOFLINE_BELOW_FAILS"] = "true"
		}
		o := Run(t, env, 60*time.Second, "-test.run", "TestStability")
		require.NotNil(t, o.Metrics, tail(o.Output))
		rl := o.Metrics.Roofline
		require.NotNil(t, rl, tail(o.Output))
		assert.Equal(t, tc.verdict, rl.Verdict, rl.Detail)
		assert.InDelta(t, 500, rl.BoundTokensPerS, 0.1)
		assert.Equal(t, 0.3, rl.MinFraction)
		assert.Equal(t, tc.exit0, o.ExitCode == 0, "exit code %d:\n%s", o.ExitCode, tail(o.Output))
		if tc.verdict == sidecar.RooflineBelow {
			assert.Less(t, rl.Fraction, 0.15, rl.Detail)
			assert.Contains(t, rl.Detail, "--enforce-eager")
		} else {
			assert.Greater(t, rl.Fraction, 0.3, rl.Detail)
		}
	}
	for _, tc := range []testCase{
		{"10 % of the bound: below_bound, advice", "slow_decode", false, sidecar.RooflineBelow, true},
		{"10 % with the knob: the run fails", "slow_decode", true, sidecar.RooflineBelow, false},
		{"70 % of the bound: ok", "slow_decode?itl=2.86ms", true, sidecar.RooflineOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
}
