// Package suite holds one live run of the suite. Run is what every area
// shares: its configuration, the client, the preflight verdict, the pace,
// and the outputs (requests.jsonl as each request finishes, metrics.json
// at checkpoints and at the end). Each area of the gate has its runner, a
// type of its own in its own file and a field of Run: ExpectedConfig,
// ToolCalling, StructuredOutputs, APIContract, LoadRuns, CapacitySearch and
// UnderLoad (docs/ARCHITECTURE.md maps each to its judge). The live tests
// in acceptance/ are thin: they ask a runner to do the work and assert
// the verdicts it returns.
package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/redact"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// Run is one execution of the live suite.
type Run struct {
	Cfg       config.Config
	Client    *client.Client
	Server    client.Server
	Scenarios []*fixture.Scenario
	// Structured are the structured-output scenarios (structured.go).
	Structured []*fixture.Structured

	// The areas' runners, one per area of the gate, each in its own file
	// (docs/ARCHITECTURE.md, "Each area: who runs it, who judges it"). They share this Run:
	// its client, its outputs and its stop.
	ExpectedConfig    *ExpectedConfig    // expect.go
	ToolCalling       *ToolCalling       // toolcall.go
	StructuredOutputs *StructuredOutputs // structured.go
	APIContract       *APIContract       // contract.go
	LoadRuns          *LoadRuns          // runs.go: stability, concurrency, conversation
	CapacitySearch    *CapacitySearch    // capacity.go, capacityprobe.go
	UnderLoad         *UnderLoad         // underload.go, structured_underload.go
	// OutDir is the absolute output folder.
	OutDir string

	fatal string
	// interrupted is closed when the run is interrupted (SIGINT/SIGTERM)
	// or finished; Context derives contexts from it.
	interrupted   chan struct{}
	interruptOnce sync.Once
	monCancel     context.CancelFunc // stops the run-wide monitors
	jsonl         *record.Writer
	sem           chan struct{}
	simServer     *http.Server
	log           func(string)
	gpuMon        *gpu.Monitor    // run-wide, started after preflight (monitors.go)
	sampler       *scrape.Sampler // run-wide /metrics, started after preflight (monitors.go)

	replay     *replay      // ACCEPTANCE_WORKLOAD's trace, nil for the synthetic load (workload.go)
	startOnce  sync.Once    // waitStart (shard.go)
	loadStarts atomic.Int32 // load runs begun, for syncStart (shard.go)

	// pace is the idle server's pace (CheckPlan), zero until measured;
	// userTimeout says ACCEPTANCE_REQUEST_TIMEOUT was set, so it rules
	// over the budgets derived from the pace (pace.go).
	pace        Pace
	userTimeout bool

	mu       sync.Mutex
	metrics  sidecar.Metrics
	finished bool
	redactor *redact.Redactor
}

// Start prepares a run from the environment. It never returns nil: when the
// run cannot test anything (no target, bad knob, unreachable server), Fatal
// says why in one line and every case fails with it. log prints progress
// lines (os.Stderr in TestMain).
func Start(getenv func(string) string, log func(string)) *Run {
	r := &Run{interrupted: make(chan struct{}), log: log}
	r.ExpectedConfig, r.ToolCalling, r.StructuredOutputs = &ExpectedConfig{Run: r}, &ToolCalling{r}, &StructuredOutputs{Run: r}
	r.APIContract, r.LoadRuns, r.CapacitySearch, r.UnderLoad = &APIContract{r}, &LoadRuns{r}, &CapacitySearch{r}, &UnderLoad{r}
	r.metrics = sidecar.Metrics{
		SchemaVersion: sidecar.SchemaVersion,
		Suite:         sidecar.Version,
		StartedAt:     time.Now().UTC(),
		EndReason:     sidecar.EndPreflight,
	}
	cfg, err := config.Load(getenv)
	if out := getenv("ACCEPTANCE_OUT"); err != nil && out != "" {
		// A broken settings file stops Load before the environment is read; the
		// outputs must still go where the caller asked.
		cfg.Out = out
	}
	r.Cfg = cfg
	r.userTimeout = getenv("ACCEPTANCE_REQUEST_TIMEOUT") != "" || cfg.RequestTimeout != config.Default().RequestTimeout
	r.redactor = redact.New(append([]string{cfg.APIKey}, client.URLSecrets(cfg.BaseURL)...)...)
	r.OutDir = outDir(cfg.Out)
	r.metrics.Knobs = knobs(cfg)
	r.metrics.Run = runInfo(cfg.Sharding)
	if mkErr := os.MkdirAll(r.OutDir, 0o755); mkErr != nil {
		r.fatal = fmt.Sprintf("ACCEPTANCE_OUT=%s: cannot create the output folder: %v", cfg.Out, mkErr)
		return r
	}
	if w, wErr := record.Create(filepath.Join(r.OutDir, "requests.jsonl")); wErr == nil {
		r.jsonl = w
	} else {
		r.fatal = wErr.Error()
		return r
	}
	if err == nil && cfg.Simulator != "" {
		// A persona is a name too: refused with the known ones before
		// fixtures or a trace are read.
		if _, pErr := sim.Lookup(cfg.Simulator); pErr != nil {
			err = fmt.Errorf("ACCEPTANCE_SIMULATOR=%s: %w", cfg.Simulator, pErr)
		}
	}
	if err != nil {
		r.fatal = codeLine("configuration", diagnosis.InvalidConfig, oneLine(err))
		return r
	}
	for _, d := range cfg.Deprecations {
		r.logf("%s", d)
	}
	r.sem = make(chan struct{}, cfg.Parallel)
	r.Scenarios, err = r.loadFixtures()
	if err != nil {
		r.fatal = codeLine("fixtures", diagnosis.InvalidFixture, oneLine(err))
		return r
	}
	if err := r.ExpectedConfig.load(); err != nil {
		r.fatal = codeLine("configuration", diagnosis.InvalidConfig, oneLine(err))
		return r
	}
	if r.Structured, err = r.loadStructured(); err != nil {
		r.fatal = codeLine("fixtures", diagnosis.InvalidFixture, oneLine(err))
		return r
	}
	if err := r.loadTrace(); err != nil {
		r.fatal = codeLine("trace", diagnosis.InvalidConfig, oneLine(err))
		return r
	}
	if cfg.Simulator != "" {
		if err := r.startSimulator(); err != nil {
			r.fatal = "ACCEPTANCE_SIMULATOR=" + cfg.Simulator + ": " + err.Error()
			return r
		}
	}
	if r.Cfg.BaseURL == "" {
		r.fatal = "no target: set VLLM_BASE_URL (e.g. VLLM_BASE_URL=http://gpu-box:5002/v1, plus VLLM_API_KEY if the server has --api-key), or ACCEPTANCE_SIMULATOR=healthy to test the embedded simulator"
		return r
	}
	r.metrics.Target = sidecar.Target{BaseURL: redact.URL(r.Cfg.BaseURL), Model: cfg.Model, Kind: sidecar.KindOpenAI, Persona: cfg.Simulator}
	r.Client, err = client.New(client.Config{
		BaseURL: r.Cfg.BaseURL, APIKey: cfg.APIKey, Timeout: cfg.RequestTimeout, IdleTimeout: cfg.IdleTimeout,
		MaxResponseBytes: cfg.MaxResponseBytes, CAFile: cfg.CAFile, InsecureSkipVerify: cfg.InsecureSkipVerify,
	})
	if err != nil {
		r.fatal = err.Error()
		return r
	}
	r.watchSignals()
	ctx, cancel := r.Context(context.Background())
	defer cancel()
	srv, err := r.Client.Preflight(ctx, cfg.Model)
	r.Server = srv
	pf := &sidecar.Preflight{Models: srv.Models, Health: srv.Health}
	r.metrics.Preflight = pf
	if err != nil {
		var pe *client.PreflightError
		code := "unreachable"
		if errors.As(err, &pe) {
			code = pe.Code
		}
		msg := err.Error()
		if pe != nil {
			msg = pe.Message // err.Error() repeats the code
		}
		pf.Diagnosis, pf.Message = code, r.redactor.String(msg)
		info := diagnosis.Lookup(diagnosis.Code(code))
		r.fatal = fmt.Sprintf("preflight failed [%s]: %s", code, pf.Message)
		if info.Remedy != "" {
			r.fatal += " → fix: " + info.Remedy
		}
		return r
	}
	pf.OK = true
	if r.Cfg.Model == "" {
		r.Cfg.Model = srv.Models[0]
	}
	r.metrics.Target.Model = r.Cfg.Model
	r.metrics.Target.Kind = srv.Kind
	r.metrics.Target.ServerVersion = srv.Version
	r.metrics.Provenance = r.provenance(srv)
	r.metrics.EndReason = sidecar.EndFinished
	if r.ExpectedConfig.check(ctx, srv); r.fatal != "" {
		return r
	}
	r.startMonitors()
	r.logf("target %s model %s (%s %s), %d scenarios", r.metrics.Target.BaseURL, r.Cfg.Model, srv.Kind, srv.Version, len(r.Scenarios))
	return r
}

// codeLine is a fatal line in the form every failure uses: what failed,
// the diagnosis code in brackets, the detail and the remedy.
func codeLine(what string, code diagnosis.Code, detail string) string {
	s := fmt.Sprintf("%s invalid [%s]: %s", what, code, detail)
	if rem := diagnosis.Lookup(code).Remedy; rem != "" {
		s += " → fix: " + rem
	}
	return s
}

// Fatal is the one-line reason no case can run, or "".
func (r *Run) Fatal() string { return r.fatal }

// Target is the sidecar's description of the server under test.
func (r *Run) Target() sidecar.Target {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.metrics.Target
}

// fixturesDir is ACCEPTANCE_FIXTURES, a relative path taken from the
// repository root (the folder holding go.mod).
func (r *Run) fixturesDir() string {
	if dir := r.Cfg.Fixtures; !filepath.IsAbs(dir) {
		if root := config.RepoRoot(); root != "" {
			return filepath.Join(root, dir)
		}
	}
	return r.Cfg.Fixtures
}

// loadFixtures reads the tool-calling scenarios: ACCEPTANCE_FIXTURES, or
// the embedded copy where the default folder does not exist.
func (r *Run) loadFixtures() ([]*fixture.Scenario, error) {
	dir := r.fixturesDir()
	if _, err := os.Stat(dir); err != nil && r.Cfg.Fixtures == config.Default().Fixtures {
		// Outside a checkout (an installed test binary): the embedded copy.
		return fixture.LoadFS(fixtures.FS, ".", "fixtures")
	}
	return fixture.Load(dir)
}

func (r *Run) startSimulator() error {
	p, err := sim.Lookup(r.Cfg.Simulator)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on loopback: %w", err)
	}
	opts := []sim.Option{}
	if r.Cfg.APIKey != "" {
		opts = append(opts, sim.WithAPIKey(r.Cfg.APIKey))
	}
	r.simServer = &http.Server{Handler: sim.New(p, r.Scenarios, opts...), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.simServer.Serve(ln) }()
	r.Cfg.BaseURL = "http://" + ln.Addr().String() + "/v1"
	r.logf("embedded simulator, persona %s, on %s", r.Cfg.Simulator, r.Cfg.BaseURL)
	return nil
}

// Acquire takes one of ACCEPTANCE_PARALLEL slots; Release gives it back.
func (r *Run) Acquire() { r.sem <- struct{}{} }

// Release gives back a slot taken by Acquire.
func (r *Run) Release() { <-r.sem }

// Record writes one request to requests.jsonl, masking the key and URL
// credentials in every free-text field first.
func (r *Run) Record(rec *record.Record) {
	if r.Cfg.Sharding.Sharded() {
		rec.Shard = r.Cfg.Sharding.String()
	}
	rec.Error = r.redactor.String(rec.Error)
	rec.Body = r.redactor.String(rec.Body)
	r.mu.Lock()
	finished := r.finished
	r.mu.Unlock()
	if finished {
		// metrics.json is final (go test -timeout about to expire):
		// requests cancelled after it have nothing to add.
		return
	}
	if err := r.jsonl.Write(rec); err != nil {
		r.logf("requests.jsonl: %v", err)
	}
}

// Update changes the sidecar under the run's lock.
func (r *Run) Update(f func(m *sidecar.Metrics)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.metrics)
}

// Checkpoint writes metrics.json with complete=false, so a run killed hard
// (SIGKILL, OOM) still leaves the figures measured so far.
func (r *Run) Checkpoint() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	m := r.metrics
	m.Complete = false
	if m.EndReason != sidecar.EndInterrupted && m.EndReason != sidecar.EndTimeout {
		m.EndReason = "running" // else keep why the suite is stopping
	}
	m.FinishedAt = time.Now().UTC()
	_ = sidecar.Write(filepath.Join(r.OutDir, "metrics.json"), &m)
}

// Finish writes metrics.json for the last time. reason is one of the
// sidecar End* constants; only EndFinished (with no fatal) is complete.
func (r *Run) Finish(reason, detail string) error {
	r.stopMonitors()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return nil
	}
	r.finished = true
	if r.fatal != "" && reason == sidecar.EndFinished {
		reason, detail = sidecar.EndPreflight, r.fatal
	}
	r.metrics.EndReason = reason
	r.metrics.EndDetail = r.redactor.String(detail)
	r.metrics.Complete = reason == sidecar.EndFinished
	r.metrics.FinishedAt = time.Now().UTC()
	if p, sm := r.metrics.Provenance, r.metrics.ServerMetrics; p != nil && sm != nil {
		p.EngineConfig = sm.EngineConfig
	}
	toolverdict.Finalize(r.metrics.ToolCalling, r.thresholds())
	r.metrics.Roofline = roofline(&r.metrics, r.Cfg.ModelBytes, r.Cfg.GPUName, r.Cfg.RooflineMinFraction, r.Cfg.RooflineBelowFails)
	err := sidecar.Write(filepath.Join(r.OutDir, "metrics.json"), &r.metrics)
	_ = r.jsonl.Close()
	if r.simServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = r.simServer.Shutdown(ctx)
	}
	r.interrupt()
	return err
}

// Context returns a context derived from parent (a test's t.Context())
// that is also cancelled when the run is interrupted, so that in-flight
// requests end as "interrupted" and the tests finish. Call the CancelFunc
// when done with it.
func (r *Run) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if r.stopping() {
		cancel() // at once: an area begun after the stop sees it from the start
		return ctx, cancel
	}
	go func() {
		select {
		case <-r.interrupted:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (r *Run) interrupt() { r.interruptOnce.Do(func() { close(r.interrupted) }) }

// stopping reports whether the suite has been stopped (a signal, go
// test's deadline, Finish).
func (r *Run) stopping() bool {
	select {
	case <-r.interrupted:
		return true
	default:
		return false
	}
}

// Judge is the run's one judge of checks (ACCEPTANCE_FAIL_UNKNOWN).
func (r *Run) Judge() sidecar.Judge { return sidecar.NewJudge(r.Cfg.FailUnknown) }

// Metrics returns a copy of the sidecar as it stands.
func (r *Run) Metrics() sidecar.Metrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.metrics
}

// watchSignals turns SIGINT/SIGTERM into an interrupted run: in-flight
// requests end as "interrupted", the tests finish, and TestMain writes
// metrics.json with complete=false and exits non-zero. The library never
// exits the process itself: after the first signal it stops catching
// signals, so a second one ends the process the default way, and if the
// tests have not finished within 10 s it writes metrics.json at once so
// that such a kill loses nothing.
func (r *Run) watchSignals() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-ch
		detail := signalName(sig)
		r.logf("%s: stopping, writing metrics.json with complete=false", detail)
		r.mu.Lock()
		r.metrics.EndReason = sidecar.EndInterrupted
		r.metrics.EndDetail = detail
		r.mu.Unlock()
		signal.Stop(ch)
		// A CI job's stop signals the whole process group: go test and
		// gotestsum die with it, and this binary's stdout becomes a
		// broken pipe, whose first write would kill it by SIGPIPE before
		// metrics.json records the not-run work. Writes fail instead.
		signal.Ignore(syscall.SIGPIPE)
		r.interrupt()
		time.Sleep(10 * time.Second)
		_ = r.Finish(sidecar.EndInterrupted, detail)
	}()
}

// signalName is "SIGINT (interrupt)": the name users type in kill and CI
// docs, then Go's description.
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT (interrupt)"
	case syscall.SIGTERM:
		return "SIGTERM (terminated)"
	}
	return sig.String()
}

// Interrupted reports why the suite stopped itself (a signal, or go
// test's deadline about to expire), or "".
func (r *Run) Interrupted() (reason, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.metrics.EndReason {
	case sidecar.EndInterrupted, sidecar.EndTimeout:
		return r.metrics.EndReason, r.metrics.EndDetail
	}
	return "", ""
}

// ExpireBefore arranges for metrics.json to be written (complete=false,
// end_reason test_timeout) shortly before go test's -timeout panics the
// binary, which no deferred code survives.
func (r *Run) ExpireBefore(deadline time.Time) {
	if deadline.IsZero() {
		return
	}
	margin := min(5*time.Second, time.Until(deadline)/20)
	const detail = "go test -timeout expired before the suite finished"
	time.AfterFunc(time.Until(deadline)-margin, func() {
		r.logf("go test -timeout is about to expire: stopping, writing metrics.json with complete=false")
		// Stop first, as a signal does: the area in flight ends its
		// requests as interrupted and stores its unrun work as not run
		// (with this reason) before the file is written, three quarters of the margin
		// later at most.
		r.mu.Lock()
		if r.metrics.EndReason != sidecar.EndInterrupted {
			r.metrics.EndReason, r.metrics.EndDetail = sidecar.EndTimeout, detail
		}
		r.mu.Unlock()
		r.interrupt()
		time.Sleep(margin * 3 / 4)
		_ = r.Finish(sidecar.EndTimeout, detail)
	})
}

func (r *Run) logf(format string, a ...any) {
	if r.log != nil {
		r.log(r.redactor.String(fmt.Sprintf(format, a...)))
	}
}

// Logf prints a progress line (visible with go test -v and gotestsum).
func (r *Run) Logf(format string, a ...any) { r.logf(format, a...) }

func knobs(c config.Config) sidecar.Knobs {
	return sidecar.Knobs{
		RequestTimeout:           c.RequestTimeout.String(),
		ToolCallRepeats:          c.ToolCallRepeats,
		ToolCallMinPassRate:      c.ToolCallMinPassRate,
		ModelMinPassRate:         c.ModelMinPassRate,
		ModelScenarioMinPassRate: c.ModelScenarioMinPassRate,
		ToolCallModes:            strings.Join(c.ToolCallModes, ",") + ";thinking=" + strings.Join(c.Thinking, ","),
		ThinkingMaxTokens:        c.ThinkingMaxTokens,
		StabilityRequests:        c.StabilityRequests,
		StabilityInterval:        c.StabilityInterval.String(),
		MaxDegradation:           c.MaxDegradation,
		SettingsFile:             c.SettingsFile,
		Parallel:                 c.Parallel,
		FixturesDir:              c.Fixtures,
		FailUnknown:              c.FailUnknown,
		Extra:                    loadKnobs(c),
	}
}

// outDir resolves ACCEPTANCE_OUT: relative paths are from the repository
// root (the folder holding go.mod), not from the test's package folder.
func outDir(out string) string {
	if filepath.IsAbs(out) {
		return out
	}
	if root := config.RepoRoot(); root != "" {
		return filepath.Join(root, out)
	}
	abs, _ := filepath.Abs(out)
	return abs
}

// thresholds are the model-check rates of the configuration.
func (r *Run) thresholds() toolverdict.Thresholds {
	return toolverdict.Thresholds{Scenario: r.Cfg.ModelScenarioMinPassRate, Rate: r.Cfg.ModelMinPassRate}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// RecordTests records go test's own outcome in the sidecar (TestMain, after
// m.Run), so that metrics.json's verdict is never greener than the exit code.
func (r *Run) RecordTests(passed bool) {
	r.Update(func(m *sidecar.Metrics) { m.TestsPassed = &passed })
}
