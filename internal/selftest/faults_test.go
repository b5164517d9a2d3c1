package selftest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// restartable is a simulator on a fixed loopback address that can be shut
// down and started again on the same port, as a vLLM restart looks to the
// suite.
type restartable struct {
	t    *testing.T
	addr string
	h    http.Handler
	srv  *http.Server
}

func newRestartable(t *testing.T, h http.Handler) *restartable {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &restartable{t: t, addr: ln.Addr().String(), h: h}
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) url() string { return "http://" + r.addr + "/v1" }

func (r *restartable) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: r.h, ReadHeaderTimeout: 5 * time.Second}
	go func(s *http.Server) { _ = s.Serve(ln) }(r.srv)
}

// stop closes the listener and every open connection at once, as a crash
// or a kill of the server process does.
func (r *restartable) stop() {
	if r.srv != nil {
		_ = r.srv.Close()
		r.srv = nil
	}
}

// start listens on the same port again.
func (r *restartable) start() {
	var ln net.Listener
	var err error
	for range 50 { // the port may take a moment to be free again
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(r.t, err, "listen again on %s", r.addr)
	r.serve(ln)
}

// jsonlLines counts the complete lines of requests.jsonl so far.
func jsonlLines(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "requests.jsonl"))
	return bytes.Count(b, []byte("\n"))
}

func waitLines(t *testing.T, dir string, n int, limit time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return jsonlLines(dir) >= n }, limit, 10*time.Millisecond,
		"requests.jsonl reaches %d lines", n)
}

// stabilityEnv is a stability run of n requests against url.
func stabilityEnv(url string, n int, interval string) map[string]string {
	return map[string]string{
		"VLLM_BASE_URL":                 url,
		"ACCEPTANCE_STABILITY_REQUESTS": itoa(n),
		"ACCEPTANCE_STABILITY_INTERVAL": interval,
		"ACCEPTANCE_REQUEST_TIMEOUT":    "5s",
		"ACCEPTANCE_SHORT_TOKENS":       "20",
		"ACCEPTANCE_LONG_TOKENS":        "40",
		"ACCEPTANCE_GPU_INTERVAL":       "0",
		"ACCEPTANCE_METRICS_INTERVAL":   "0",
		"ACCEPTANCE_PROGRESS_EVERY":     "5",
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestServerRestartMidRun: the server goes away after about 10 of 30
// stability requests and comes back on the same port half a second later.
// The run must carry on, count the failed requests by kind, let them fail
// the success-rate check, record every request, and finish complete.
func TestServerRestartMidRun(t *testing.T) {
	t.Parallel()
	srv := newRestartable(t, sim.New(mustPersona(t, "healthy?ttft=20ms"), nil))
	const n = 30
	env := stabilityEnv(srv.url(), n, "50ms")
	// Every request must succeed, so the outage (at least one unreachable
	// request, asserted below) fails the run whatever its length: the
	// verdict assertions hold on every run, not only on a long outage.
	env["ACCEPTANCE_MIN_SUCCESS_RATE"] = "1"
	cmd, o, buf := childCommand(t, env, "-test.run", "TestStability", "-test.timeout", "2m")
	start := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	waitLines(t, o.OutDir, 10, 60*time.Second)
	srv.stop()
	down := jsonlLines(o.OutDir)
	time.Sleep(500 * time.Millisecond)
	srv.start()
	t.Logf("server down after %d requests, back 0.5 s later", down)

	select {
	case <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		require.FailNow(t, "the run did not finish after the restart", tail(buf.String()))
	}
	o.Elapsed, o.Output = time.Since(start), buf.String()
	collect(t, &o)
	assert.NotContains(t, o.Output, "panic:")
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.True(t, o.Metrics.Complete, "the run completes despite the outage")
	assert.Equal(t, sidecar.EndFinished, o.Metrics.EndReason)
	require.NotNil(t, o.Metrics.Stability)
	require.Len(t, o.Metrics.Stability.Runs, 1)
	run := o.Metrics.Stability.Runs[0]
	t.Logf("errors by kind %v, success rate %.2f, verdict %s", run.Errors, run.SuccessRate, run.Verdict)
	assert.Equal(t, n, run.Requests)
	assert.Len(t, counted(o.Records), n, "every finished request has its line in requests.jsonl")
	assert.Positive(t, run.Errors["unreachable"], "requests during the outage are counted as unreachable: %v", run.Errors)
	failed := 0
	for _, c := range run.Errors {
		failed += c
	}
	assert.Equal(t, n-run.Completed, failed, "every failure is counted under some kind")
	assert.InDelta(t, float64(run.Completed)/n, run.SuccessRate, 1e-9)
	var sr *sidecar.Check
	for i := range run.Checks {
		if run.Checks[i].Name == "success_rate" {
			sr = &run.Checks[i]
		}
	}
	require.NotNil(t, sr, "a success_rate check: %+v", run.Checks)
	assert.Less(t, run.SuccessRate, 1.0, "the outage cost requests")
	assert.False(t, sr.Passed, "a success rate below ACCEPTANCE_MIN_SUCCESS_RATE=1 fails the check")
	assert.Equal(t, sidecar.VerdictFail, run.Verdict)
	assert.Equal(t, "FAIL", o.Tests["TestStability/alternating"])
	assert.Contains(t, o.Output, "unreachable=", "the failure names the kind:\n%s", tail(o.Output))
	assert.Positive(t, run.Completed-down, "requests after the restart succeed again")
}

// TestInterruptWritesIncompleteSidecar: SIGINT or SIGTERM in the middle of a
// long run ends the child within seconds with metrics.json complete=false,
// end_reason interrupted and the signal named, and requests.jsonl intact.
func TestInterruptWritesIncompleteSidecar(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sigName(sig), func(t *testing.T) {
			t.Parallel()
			url := Serve(t, sim.New(mustPersona(t, "healthy?ttft=150ms"), nil))
			env := stabilityEnv(url, 10000, "20ms")
			env["ACCEPTANCE_REQUEST_TIMEOUT"] = "60s"
			// -timeout 0: a run of 10000 requests is meant to be
			// interrupted, and the plan would refuse it under a deadline.
			cmd, o, buf := childCommand(t, env, "-test.run", "TestStability", "-test.timeout", "0")
			require.NoError(t, cmd.Start())
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			waitLines(t, o.OutDir, 2, 60*time.Second)
			require.NoError(t, cmd.Process.Signal(sig))
			sent := time.Now()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				require.FailNow(t, "the child did not exit within 15 s of "+sig.String(), tail(buf.String()))
			}
			t.Logf("exited %s after the signal, code %d", time.Since(sent).Round(time.Millisecond), cmd.ProcessState.ExitCode())
			o.Output = buf.String()
			assert.NotContains(t, o.Output, "panic:")
			assert.NotEqual(t, 0, cmd.ProcessState.ExitCode(), "an interrupted suite is not green")
			b, err := os.ReadFile(filepath.Join(o.OutDir, "metrics.json"))
			require.NoError(t, err, "metrics.json exists:\n%s", tail(o.Output))
			var m sidecar.Metrics
			require.NoError(t, json.Unmarshal(b, &m), "metrics.json parses")
			assert.False(t, m.Complete)
			assert.Equal(t, sidecar.EndInterrupted, m.EndReason)
			assert.Contains(t, m.EndDetail, sigName(sig), "end_detail names the signal")
			lines := intactLines(t, filepath.Join(o.OutDir, "requests.jsonl"))
			assert.GreaterOrEqual(t, lines, 2)
			assert.Contains(t, o.Output, "only ", "the stability failure says the run was cut short:\n%s", tail(o.Output))
		})
	}
}

func collectTests(out string) map[string]string {
	m := map[string]string{}
	for _, x := range resultLine.FindAllStringSubmatch(out, -1) {
		m[x[2]] = x[1]
	}
	return m
}

func sigName(s syscall.Signal) string {
	if s == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

// intactLines checks that every line of requests.jsonl is a whole JSON
// object ending in a newline, and counts them.
func intactLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if len(b) > 0 {
		assert.Equal(t, byte('\n'), b[len(b)-1], "the last line is complete")
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		n++
		var v map[string]any
		assert.NoError(t, json.Unmarshal(sc.Bytes(), &v), "line %d is JSON: %s", n, sc.Text())
	}
	return n
}

// TestGoTestTimeoutWritesSidecar: `go test -timeout` panics the binary,
// which no deferred code survives; suite.ExpireBefore writes metrics.json
// (complete=false, end_reason test_timeout) just before.
func TestGoTestTimeoutWritesSidecar(t *testing.T) {
	t.Parallel()
	// The plan (internal/suite/pace.go) refuses at once a run it knows
	// cannot fit, so this server slows down after the pace probe: its
	// latency ramps to ×101 over 200 requests. At the probe's pace (×1.5)
	// the 42 requests take about 4 s of the 10; at the ramped pace about
	// 27 s.
	url := Serve(t, sim.New(mustPersona(t, "healthy?ttft=50ms&ramp=100&ramp_requests=200"), nil))
	env := stabilityEnv(url, 40, "20ms")
	// The ramp is this test's device against the plan, not the point:
	// the degradation it causes is allowed, so the only verdict left is
	// the deadline's cut.
	env["ACCEPTANCE_MAX_DEGRADATION"] = "1000"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, o, buf := childCommand(t, env, "-test.run", "TestStability", "-test.timeout", "10s")
	start := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		require.FailNow(t, "the child outlived its -test.timeout", tail(buf.String()))
	}
	o.Elapsed, o.Output = time.Since(start), buf.String()
	// ExpireBefore writes the sidecar and cancels the run, so the run
	// usually ends just before go test's panic; either way it is red.
	assert.Contains(t, o.Output, "go test -timeout is about to expire")
	if !strings.Contains(o.Output, "test timed out after 10s") {
		// Not run: skipped with the reason, never a pass, never the
		// server's failure.
		assert.Equal(t, "SKIP", collectTests(o.Output)["TestStability/alternating"], "a run cut short is not run:\n%s", tail(o.Output))
		assert.Contains(t, o.Output, "not run: only", "the reason says the run was cut short")
		assert.Contains(t, o.Output, "go test -timeout was about to expire", "and by what")
	}
	assert.NotEqual(t, 0, cmd.ProcessState.ExitCode(), "a run cut short by -timeout is not green:\n%s", tail(o.Output))
	assert.Less(t, o.Elapsed, 15*time.Second)
	b, err := os.ReadFile(filepath.Join(o.OutDir, "metrics.json"))
	require.NoError(t, err, "metrics.json exists:\n%s", tail(o.Output))
	var m sidecar.Metrics
	require.NoError(t, json.Unmarshal(b, &m), "metrics.json parses")
	assert.False(t, m.Complete)
	assert.Equal(t, sidecar.EndTimeout, m.EndReason)
	assert.True(t, strings.Contains(m.EndDetail, "-timeout"), m.EndDetail)
	if v, ok := m.SectionOutcomes()[sidecar.SectionStability]; assert.True(t, ok, "the stability section is in metrics.json") {
		assert.Equal(t, "NOT RUN", v.Word(), "the deadline's cut is not run, not 0 %% success: %+v", v)
	}
	assert.NotContains(t, o.Output, "writer closed", "requests cancelled after the final write are dropped quietly")
	intactLines(t, filepath.Join(o.OutDir, "requests.jsonl"))
}

// counted leaves out warm-up lines (class "warmup"), which belong to no
// figure of their run.
func counted(recs []record.Record) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.Class != record.ClassWarmup {
			out = append(out, r)
		}
	}
	return out
}
