package selftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// TestGateOrder: go test runs the gate's areas in suite.GateOrder (tool
// calling first), as the live binary lists them, and not by the accident
// of file names.
func TestGateOrder(t *testing.T) {
	cmd := exec.Command(SuiteBinary(t), "-test.list", ".")
	cmd.Dir = filepath.Join(config.RepoRoot(), "acceptance")
	// No target: TestMain still runs (and exits 1, every case failing at
	// once); -test.list only prints the names.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ACCEPTANCE_OUT=" + t.TempDir()}
	out, err := cmd.Output()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		require.NoError(t, err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(l, "Test") {
			got = append(got, l)
		}
	}
	assert.Equal(t, suite.GateOrder, got, "acceptance/gate_test.go declares the gate's Test functions in suite.GateOrder")
}
