//go:build live

package acceptance

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// run is the live run shared by every case; TestMain sets it up.
var run *suite.Run

func TestMain(m *testing.M) {
	flag.Parse()
	run = suite.Start(os.Getenv, func(s string) { fmt.Fprintln(os.Stderr, "vllm-acceptance:", s) })
	raiseParallel(run.Cfg.Parallel)
	var deadline time.Time
	var timeout time.Duration
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 0 {
			deadline, timeout = time.Now().Add(d), d
			run.ExpireBefore(deadline)
		}
	}
	// The plan: the pace of the idle server, each selected area's wall
	// time at it, and a refusal before any load when it cannot fit the
	// deadline (internal/suite/pace.go, docs/pace.md).
	run.CheckPlan(deadline, timeout, suite.Selected(flagValue("test.run"), flagValue("test.skip")), suite.Subtests(flagValue("test.run")))
	if msg := run.Fatal(); msg != "" {
		fmt.Fprintln(os.Stderr, "vllm-acceptance: every case will fail:", msg)
	}
	code := m.Run()
	reason, detail := run.Interrupted()
	if reason == "" {
		reason = sidecar.EndFinished
	}
	run.RecordTests(code == 0)
	if err := run.Finish(reason, detail); err != nil {
		fmt.Fprintln(os.Stderr, "vllm-acceptance: writing metrics.json:", err)
		code = 1
	}
	if met := run.Metrics(); code == 0 && !met.Passed() {
		// One verdict: report and rank read metrics.json's, so the exit
		// code must not be greener than it.
		fmt.Fprintln(os.Stderr, "vllm-acceptance: every case passed, but the run's verdict in metrics.json is fail (incomplete, or a section failed): exit 1")
		code = 1
	}
	fmt.Fprintf(os.Stderr, "vllm-acceptance: outputs in %s (metrics.json, requests.jsonl)\n", run.OutDir)
	os.Exit(code)
}

// flagValue is a go test flag's value, "" when it is not defined.
func flagValue(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// raiseParallel lets ACCEPTANCE_PARALLEL mean what it says: go test runs at
// most -test.parallel parallel subtests at once (default: the number of
// CPUs), so without this, ACCEPTANCE_PARALLEL=8 on a 2-core CI box would
// still run two scenarios at a time. An explicit -parallel wins.
func raiseParallel(n int) {
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !explicit && n > 0 {
		if cur, err := strconv.Atoi(f.Value.String()); err == nil && cur < n {
			_ = f.Value.Set(strconv.Itoa(n))
		}
	}
}

// live returns the run, failing the case at once (one line) when the run
// cannot test anything: a CI gate whose target is missing must be red.
func live(t *testing.T) *suite.Run {
	t.Helper()
	if msg := run.Fatal(); msg != "" {
		t.Fatal(msg)
	}
	return run
}
