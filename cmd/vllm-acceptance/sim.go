package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

var simCommand = command{
	name:    "sim",
	summary: "serve the embedded vLLM simulator with a chosen (mis)behaviour persona",
	help: `Usage: vllm-acceptance sim [--persona SPEC] [--addr 127.0.0.1:8000] [flags]

Serves the embedded simulator: vLLM's OpenAI-compatible API (/v1/models,
/v1/chat/completions, /health, /version, /metrics) with one known
misbehaviour per persona. Scenarios from --fixtures are answered correctly
(or with the persona's fault); other requests get generic answers. Runs
until Ctrl-C or SIGTERM.

Parameters (after "?", joined by "&"): ttft, itl (durations), noise, ramp,
load, error_rate (fractions), seed, ramp_requests, reasoning_tokens
(integers), preempt (bool), style (vllm|llmd), reasoning_field
(reasoning|reasoning_content|both).

Example:
  vllm-acceptance sim --persona 'hermes_leak?ttft=50ms&itl=2ms'
  VLLM_BASE_URL=http://127.0.0.1:8000/v1 go test -tags live ./acceptance

`,
	noArgs: true,
	flags:  simFlags,
}

// simContext is the context the simulator serves under; tests replace it.
var simContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

func simFlags(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	persona := fs.String("persona", "healthy", "persona `SPEC`: a name from --list, optionally with parameters, e.g. healthy?ttft=200ms&itl=5ms")
	legacy := fs.String("profile", "", "deprecated name of --persona (removed in the next version)")
	addr := fs.String("addr", "127.0.0.1:8000", "listen address (loopback only unless --allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr")
	fixturesDir := fs.String("fixtures", "fixtures", "folder of scenario YAML files the simulator answers correctly (the default folder may be absent)")
	model := fs.String("model", sim.DefaultModel, "model id to serve")
	keyEnv := fs.String("api-key-env", "", "require the Bearer key held in environment variable `NAME` (the key is never printed)")
	list := fs.Bool("list", false, "print the personas with their descriptions and exit")
	return func(args []string, stdout, stderr io.Writer) int {
		if *list {
			names := sim.Names()
			width := 0
			for _, n := range names {
				width = max(width, len(n))
			}
			for _, n := range names {
				fmt.Fprintf(stdout, "%-*s  %s\n", width, n, sim.Describe(n))
			}
			return 0
		}

		spec := *persona
		if *legacy != "" {
			fmt.Fprintln(stderr, "vllm-acceptance sim: --profile is deprecated and will be removed in the next version; use --persona (same SPEC)")
			spec = *legacy
		}
		p, err := sim.Lookup(spec)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance sim: %v\n", err)
			return 2
		}
		if err := checkLoopback(*addr, *allowRemote); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance sim: %v\n", err)
			return 2
		}
		opts := []sim.Option{sim.WithModel(*model)}
		if *keyEnv != "" {
			key := os.Getenv(*keyEnv)
			if key == "" {
				fmt.Fprintf(stderr, "vllm-acceptance sim: --api-key-env %s: the variable is empty or unset; export it first\n", *keyEnv)
				return 2
			}
			opts = append(opts, sim.WithAPIKey(key))
		}
		scenarios, err := loadSimFixtures(*fixturesDir, fs)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance sim: %v\n", err)
			return 2
		}

		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance sim: listen on %s: %v (is another server on that port? try --addr 127.0.0.1:8001)\n", *addr, err)
			return 1
		}
		srv := &http.Server{Handler: sim.New(p, scenarios, opts...), ReadHeaderTimeout: 10 * time.Second}
		ctx, stop := simContext()
		defer stop()
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		fmt.Fprintf(stdout, "simulator %s listening on http://%s/v1\n", p.Spec, ln.Addr())

		select {
		case err := <-done:
			fmt.Fprintf(stderr, "vllm-acceptance sim: serve: %v\n", err)
			return 1
		case <-ctx.Done():
		}
		// Streams and hangs end with their clients; give them a moment, then
		// close what is left (hang never ends on its own).
		shCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shCtx); err != nil {
			_ = srv.Close()
		}
		return 0
	}
}

// checkLoopback refuses to serve beyond this machine unless asked: the
// simulator has no real authentication and answers anyone.
func checkLoopback(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %v (example: --addr 127.0.0.1:8000)", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %s listens beyond this machine; use 127.0.0.1 or pass --allow-remote", addr)
}

// loadSimFixtures reads the scenario folder. The default folder may be
// absent (an installed binary): then the simulator knows no scenarios.
func loadSimFixtures(dir string, fs *flag.FlagSet) ([]*fixture.Scenario, error) {
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "fixtures" })
	if _, err := os.Stat(dir); err != nil && !explicit {
		return []*fixture.Scenario{}, nil
	}
	ss, err := fixture.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("--fixtures %s: %w", dir, err)
	}
	return ss, nil
}
