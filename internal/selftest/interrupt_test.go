package selftest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// TestInterruptedAtSeedPace is issue 24's scene, at the seed's pace
// (persona seed_pace: TTFT about 200 ms, about 33 tok/s) with small
// request counts: a CI job's time limit sends SIGTERM while the
// tool-calling area runs. No attempt that did not run is stored as
// passed, tool calling reads not run (never PASS, never a server fault),
// the areas after it read not run, and report.md's summary says so.
func TestInterruptedAtSeedPace(t *testing.T) {
	// Long enough for some attempts to finish at this pace, far too short
	// for the 3 × 2 attempts of every scenario.
	m, recs, output := seedPaceRun(t, "seed_pace", 6*time.Second)
	assert.Equal(t, sidecar.EndInterrupted, m.EndReason)
	cutAreas(t, m, recs, output, "SIGTERM")
}

// TestDeadlineAtSeedPace is issue 25's scene: go test's -timeout cuts
// the run while tool calling runs. Tool calling ran first (the gate's
// order) and reads not run with the deadline as its reason: not 0 %
// success, not a server remedy. The plan (internal/suite/pace.go) refuses
// up front a deadline it knows cannot hold, so this server keeps the
// seed's pace for the pace probe (one request at a time) and slows down
// under the area's parallel load (latency × 1 + 5 × (in flight − 1): × 16
// at 4): the plan fits the 2 minutes, the run does not.
func TestDeadlineAtSeedPace(t *testing.T) {
	m, recs, output := seedPaceRun(t, "seed_pace?load=5", 0, "-test.timeout=120s",
		"ACCEPTANCE_TOOLCALL_MODES=plain", "ACCEPTANCE_PARALLEL=4")
	assert.Equal(t, sidecar.EndTimeout, m.EndReason)
	cutAreas(t, m, recs, output, "go test -timeout")
	// The areas after it ran on a stopped context before metrics.json was
	// written: not run, with the deadline as the reason.
	for _, s := range []sidecar.Section{sidecar.SectionStability, sidecar.SectionConcurrency, sidecar.SectionConversation} {
		v, ok := m.SectionOutcomes()[s]
		if assert.True(t, ok, "%s is in metrics.json", s) {
			assert.Contains(t, v.NotRun, "go test -timeout", s)
		}
	}
}

// seedPaceRun runs the live suite against the persona spec (seed_pace,
// perhaps with parameters) with small request counts, sends SIGTERM after
// signalAfter (0: never), and returns what it wrote. args are the test
// binary's flags, and KEY=VALUE knobs that override the defaults here.
func seedPaceRun(t *testing.T, spec string, signalAfter time.Duration, args ...string) (*sidecar.Metrics, []record.Record, string) {
	t.Helper()
	p, err := sim.Lookup(spec)
	require.NoError(t, err)
	out := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ACCEPTANCE_OUT=" + out,
		"VLLM_BASE_URL=" + Serve(t, sim.New(p, nil)),
		"ACCEPTANCE_TOOLCALL_REPEATS=3", "ACCEPTANCE_THINKING=off", "ACCEPTANCE_PARALLEL=2",
		"ACCEPTANCE_STABILITY_REQUESTS=4", "ACCEPTANCE_STABILITY_INTERVAL=100ms",
		"ACCEPTANCE_SHORT_TOKENS=8", "ACCEPTANCE_LONG_TOKENS=16", "ACCEPTANCE_CONCURRENCY_REQUESTS=4",
		"ACCEPTANCE_OPEN_LOOP_REQUESTS=4", "ACCEPTANCE_CONVERSATION_TURNS=3", "ACCEPTANCE_WARMUP_WAVES=0",
		"ACCEPTANCE_CAPACITY=false",
	}
	flags := []string{"-test.v", "-test.count=1"}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			env = append(env, a) // later entries win
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, SuiteBinary(t), flags...)
	cmd.Dir = filepath.Join(config.RepoRoot(), "acceptance")
	cmd.Env = env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	require.NoError(t, cmd.Start())
	if signalAfter > 0 {
		time.Sleep(signalAfter)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	}
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "the suite did not end:\n%s", tail(buf.String()))
	require.Error(t, err, "a cut run exits non-zero")
	m, err := sidecar.Read(filepath.Join(out, "metrics.json"))
	require.NoError(t, err, tail(buf.String()))
	return m, ReadRecords(t, filepath.Join(out, "requests.jsonl")), buf.String()
}

// cutAreas: no attempt that did not run is stored as passed, tool
// calling reads not run with why, and no area reads PASS or FAIL.
func cutAreas(t *testing.T, m *sidecar.Metrics, recs []record.Record, output, why string) {
	t.Helper()
	assert.False(t, m.Complete)
	require.NotNil(t, m.ToolCalling, "the tool-calling area ran first")

	// Every passed attempt has its completed requests.
	done := map[string]int{} // test → attempts whose every request completed
	type key struct {
		test string
		n    int
	}
	all := map[key]bool{}
	for _, r := range recs {
		k := key{r.Test, r.Attempt}
		ok, seen := all[k]
		all[k] = r.OK() && (ok || !seen)
	}
	for k, ok := range all {
		if ok {
			done[k.test]++
		}
	}
	passed, notRun := 0, 0
	for _, s := range m.ToolCalling.Scenarios {
		assert.LessOrEqual(t, s.Passed, done[s.Test], "%s: a passed attempt without its completed requests", s.Test)
		assert.NotEqual(t, sidecar.VerdictFail, s.Verdict, "%s: the interruption is not the healthy server's fault", s.Test)
		passed += s.Passed
		notRun += s.NotRun
		if s.NotRun > 0 {
			assert.Equal(t, sidecar.VerdictUnknown, s.Verdict, s.Test)
			assert.NotEqual(t, "PASS", outcomeOf(output, s.Test), "%s: a mode with unrun attempts is not a PASS in go test's output", s.Test)
		}
	}
	assert.Positive(t, notRun, "the stop cut attempts")
	assert.LessOrEqual(t, passed, countOK(recs), "no more passes than completed requests")
	v := m.SectionOutcomes()
	assert.Equal(t, "NOT RUN", v[sidecar.SectionToolCalling].Word(), "%+v", v[sidecar.SectionToolCalling])
	assert.Contains(t, v[sidecar.SectionToolCalling].NotRun, why, "the reason names the stop")
	for s, sv := range v {
		assert.NotEqual(t, "PASS", sv.Word(), "%s read PASS in an interrupted run", s)
		assert.NotEqual(t, "FAIL", sv.Word(), "%s read FAIL against a healthy server: %+v", s, sv)
	}

	var md bytes.Buffer
	require.NoError(t, report.Markdown(&md, m, recs, report.Options{}))
	summary, _, _ := strings.Cut(md.String(), "### What failed")
	assert.Contains(t, summary, "| tool calling | **NOT RUN** |")
	assert.NotContains(t, summary, "| PASS |", "no area reads PASS for work that did not happen:\n%s", summary)
	t.Logf("summary of the interrupted run:\n%s", summary)
}

// outcomeOf is go test -v's word for test name: PASS, FAIL, SKIP or "".
func outcomeOf(output, name string) string {
	for _, m := range resultLine.FindAllStringSubmatch(output, -1) {
		if m[2] == name {
			return m[1]
		}
	}
	return ""
}

func countOK(recs []record.Record) int {
	n := 0
	for _, r := range recs {
		if r.OK() {
			n++
		}
	}
	return n
}
