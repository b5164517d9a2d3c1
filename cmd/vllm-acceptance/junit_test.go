package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestMergedJUnitCapacityOnly: a merged run that fails only its capacity
// search has a failing TestCapacity case in junit.xml (issue 18), written
// through gotestsum, with the live test's failure text; its passing
// stability run is a passing case, and an unknown check is logged, not
// failed.
func TestMergedJUnitCapacityOnly(t *testing.T) {
	now := time.Now().UTC()
	m := &sidecar.Metrics{Complete: true, StartedAt: now.Add(-time.Minute), FinishedAt: now,
		Stability: &sidecar.Stability{Passed: true, Runs: []sidecar.StabilityRun{{Name: "alternating", Verdict: sidecar.VerdictPass,
			Checks: []sidecar.Check{{Name: sidecar.CheckSuccessRate, Passed: true, Value: 1, Threshold: 0.99},
				{Name: sidecar.CheckPreemptions, Skipped: true, Detail: "preemptions unknown: no counter"}}}}},
		CapacitySections: sidecar.CapacitySections{Capacity: &sidecar.Capacity{Verdict: sidecar.VerdictFail,
			Checks: []sidecar.Check{{Name: sidecar.CheckCapacity, Detail: "no step met the SLOs"}}}},
	}
	require.False(t, m.Passed())
	path := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, writeJUnit(path, shard.Events(m)))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	x := string(raw)
	assert.Regexp(t, `<testcase classname="[^"]*acceptance" name="TestCapacity"[^>]*>\s*<failure`, x)
	assert.Contains(t, x, "capacity: capacity failed: no step met the SLOs", "the live test's failure text")
	assert.Regexp(t, `name="TestStability/alternating"[^>]*></testcase>`, x, "a passing case")
	assert.Contains(t, x, `failures="1"`)
}
