package selftest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cli builds cmd/vllm-acceptance once.
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vllm-acceptance-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "vllm-acceptance")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/vllm-acceptance")
		cmd.Dir = config.RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = err
			t.Log(string(out))
		}
	})
	require.NoError(t, cliErr)
	return cliPath
}

// runCLI runs the built CLI bin with args: its exit status and its
// stdout and stderr together.
func runCLI(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	require.NoError(t, err)
	return 0, out.String()
}

// TestComparePromotionGate runs the live stability area against a healthy
// simulator twice and against a degrading one, then runs the real
// `vllm-acceptance compare`: healthy vs healthy must pass or be
// inconclusive (never regressed), healthy vs degrading must exit 1 and name
// the metrics that regressed.
func TestComparePromotionGate(t *testing.T) {
	t.Parallel()
	bin := cli(t)
	runStability := func(spec string) string {
		env := loadEnv(t, spec)
		o := Run(t, env, 2*time.Minute, "-test.run", "TestStability")
		require.NotNil(t, o.Metrics, tail(o.Output))
		require.True(t, o.Metrics.Complete)
		return o.OutDir
	}
	// The simulator's latency (200 ms first token, 20 ms per token) dwarfs the
	// harness's jitter, so two healthy runs agree within the default tolerances.
	const healthy = "healthy?ttft=200ms&itl=20ms"
	base := runStability(healthy)
	again := runStability(healthy)
	degraded := runStability("degrading?ttft=200ms&itl=20ms")

	compare := func(a, b string) (int, string) { return runCLI(t, bin, "compare", a, b) }
	code, out := compare(base, again)
	// One run per side of ~20 requests: the intervals are wide, so on a
	// loaded machine a figure may honestly be inconclusive (exit 4, with
	// advice); what must never happen is a red (exit 1) or a refusal.
	assert.Contains(t, []int{0, 4}, code, "two healthy runs never regress:\n%s", out)
	if code == 4 {
		assert.Contains(t, out, "Advice", "inconclusive says how many runs or requests would settle it:\n%s", out)
	}

	code, out = compare(base, degraded)
	assert.Equal(t, 1, code, "a degrading candidate is a regression:\n%s", out)
	assert.Contains(t, out, "stability.passed", "names the failed area")
	assert.Contains(t, out, "degradation", "names the degradation metric")
	assert.Contains(t, out, "regressed")
}
