package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestSideRefusesRunsDeclaredDifferently: the expected config's hash is
// provenance: the runs of one side must have been declared alike.
func TestSideRefusesRunsDeclaredDifferently(t *testing.T) {
	run := func(name, sha string) sidecar.Run {
		return sidecar.Run{Name: name, Metrics: &sidecar.Metrics{Complete: true, Provenance: &sidecar.Provenance{ExpectConfigSHA256: sha}}}
	}
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	r := SideRefusals("candidate", []sidecar.Run{run("r1", a), run("r2", b)})
	assert.Len(t, r, 1)
	assert.Contains(t, r[0], "expected config (sha256)")
	assert.Empty(t, SideRefusals("candidate", []sidecar.Run{run("r1", a), run("r2", a)}))
	assert.Equal(t, a, sideOf([]sidecar.Run{run("r1", a)}).ExpectConfig)
}
