package sidecar

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJudge(t *testing.T) {
	pass := Check{Name: CheckSuccessRate, Passed: true}
	fail := Check{Name: CheckSuccessRate}
	unknown := Check{Name: CheckPreemptions, Skipped: true} // "preemptions unknown"
	off := Check{Name: CheckVRAMGrowth, Passed: true, Skipped: true}
	for _, tc := range []struct {
		name   string
		j      Judge
		checks []Check
		want   string
		reason string
	}{
		{"all passed", Judge{}, []Check{pass}, VerdictPass, "nothing failed"},
		{"one failed", Judge{}, []Check{pass, fail}, VerdictFail, "a measured failure fails the run"},
		{"unknown preemptions", Judge{}, []Check{pass, unknown}, VerdictPass, "unknown is never red by itself (issue 18)"},
		{"monitor off", Judge{}, []Check{off}, VerdictPass, "a switched-off monitor is unknown"},
		{"fail unknown named", NewJudge("preemptions"), []Check{pass, unknown}, VerdictFail, "ACCEPTANCE_FAIL_UNKNOWN names it"},
		{"fail unknown other", NewJudge("vram_max"), []Check{pass, unknown}, VerdictPass, "only the named checks"},
		{"fail unknown all", NewJudge("all"), []Check{pass, off}, VerdictFail, "all"},
		{"excluded", Judge{}.Excluding(CheckDegradation), []Check{pass, {Name: CheckDegradation}}, VerdictPass, "compare judges degradation itself"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.j.RunVerdict(tc.checks), tc.reason) })
	}
}

// TestCheckOutcomeJSON: outcome is written beside passed and skipped, and
// where a file has it, it decides them.
func TestCheckOutcomeJSON(t *testing.T) {
	b, err := json.Marshal(Check{Name: CheckPreemptions, Skipped: true})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"outcome":"unknown"`)
	assert.Contains(t, string(b), `"passed":false`)
	var c Check
	require.NoError(t, json.Unmarshal([]byte(`{"name":"x","passed":true,"outcome":"fail"}`), &c))
	assert.Equal(t, Fail, c.Result())
	require.NoError(t, json.Unmarshal([]byte(`{"name":"x","passed":false,"skipped":true}`), &c))
	assert.Equal(t, Unknown, c.Result(), "a file before outcome: skipped is unknown")
}

// TestSectionsAgree: Passed is false exactly when a section fails.
func TestSectionsAgree(t *testing.T) {
	m := &Metrics{Complete: true, Stability: &Stability{Runs: []StabilityRun{{Name: "a", Verdict: VerdictPass,
		Checks: []Check{{Name: CheckSuccessRate, Passed: true}, {Name: CheckPreemptions, Skipped: true}}}}}}
	assert.True(t, m.Passed(), "unknown preemptions pass")
	m.Knobs.FailUnknown = "preemptions"
	assert.False(t, m.Passed(), "named, they fail")
	assert.Equal(t, map[Section]bool{SectionStability: false}, m.SectionVerdicts())
}
