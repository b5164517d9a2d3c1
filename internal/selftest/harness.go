package selftest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// SuiteBinary compiles `go test -c -tags live ./acceptance` once per process.
func SuiteBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vllm-acceptance-selftest-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "acceptance.test")
		cmd := exec.Command("go", "test", "-c", "-tags", "live", "-o", binPath, "./acceptance")
		cmd.Dir = config.RepoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build live suite: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// Outcome is what one child run of the suite produced.
type Outcome struct {
	ExitCode int
	Output   string
	// Tests maps a test name to PASS, FAIL or SKIP, from -test.v output.
	Tests   map[string]string
	OutDir  string
	Metrics *sidecar.Metrics
	Records []record.Record
	Elapsed time.Duration
}

var resultLine = regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): (\S+)`)

// Run runs the suite binary with exactly env (plus PATH, HOME and an
// ACCEPTANCE_OUT in a temp dir unless env sets it) and the given go test
// flags. It waits at most limit.
func Run(t testing.TB, env map[string]string, limit time.Duration, args ...string) Outcome {
	t.Helper()
	bin := SuiteBinary(t)
	o := Outcome{OutDir: env["ACCEPTANCE_OUT"], Tests: map[string]string{}}
	if o.OutDir == "" {
		o.OutDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-test.v", "-test.count=1"}, args...)...)
	cmd.Dir = filepath.Join(config.RepoRoot(), "acceptance")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ACCEPTANCE_OUT=" + o.OutDir}
	if _, set := env["ACCEPTANCE_CAPACITY"]; !set {
		// The capacity search costs minutes with its defaults; only the
		// capacity self-tests (capacityEnv) switch it on.
		cmd.Env = append(cmd.Env, "ACCEPTANCE_CAPACITY=false")
	}
	for k, v := range env {
		if k != "ACCEPTANCE_OUT" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	o.Elapsed = time.Since(start)
	o.Output = buf.String()
	require.NoError(t, ctx.Err(), "the suite did not finish within %s (a hang is a defect):\n%s", limit, tail(o.Output))
	if ee, ok := err.(*exec.ExitError); ok {
		o.ExitCode = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	for _, m := range resultLine.FindAllStringSubmatch(o.Output, -1) {
		o.Tests[m[2]] = m[1]
	}
	if m, err := sidecar.Read(filepath.Join(o.OutDir, "metrics.json")); err == nil {
		o.Metrics = m
	}
	o.Records = ReadRecords(t, filepath.Join(o.OutDir, "requests.jsonl"))
	return o
}

// ReadRecords decodes requests.jsonl (record.ReadFile); a missing file is
// no records.
func ReadRecords(t testing.TB, path string) []record.Record {
	t.Helper()
	recs, err := record.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return recs
}

// Failed lists the failed tests whose name starts with prefix.
func (o Outcome) Failed(prefix string) []string {
	var out []string
	for name, res := range o.Tests {
		if res == "FAIL" && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}

// Serve starts h on a loopback port and returns its /v1 base URL; the
// server stops when the test ends.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = srv.Close()
	})
	return "http://" + ln.Addr().String() + "/v1"
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func codes(s sidecarScenario) []string {
	var out []string
	for _, d := range s.Diagnoses {
		out = append(out, d.Code)
	}
	return out
}

type sidecarScenario = sidecar.Scenario

// contractCheck runs ../shared/checks/sidecar-contract (docs/outputs.md's field
// checker, present beside the checkout in CI) on an output folder; without
// it the test says so and relies on the JSON Schema alone.
func contractCheck(t *testing.T, outDir string) {
	t.Helper()
	script := filepath.Join(config.RepoRoot(), "..", "shared", "checks", "sidecar-contract")
	if _, err := os.Stat(script); err != nil {
		t.Logf("no %s here: sidecar-contract field check skipped (the schema check ran)", script)
		return
	}
	out, err := exec.Command(script, outDir).CombinedOutput()
	require.NoError(t, err, "sidecar-contract: %s", out)
	t.Logf("sidecar-contract: %s", strings.TrimSpace(string(out)))
}
