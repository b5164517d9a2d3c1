package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// TestChartsLeaveWarmupOut: a run's charts draw its counted requests only;
// warm-up lines (class "warmup") are in requests.jsonl but in no figure.
func TestChartsLeaveWarmupOut(t *testing.T) {
	recs := []record.Record{
		{Test: "TestStability/alternating", Scenario: "alternating", Class: record.ClassWarmup, Status: 200, E2Ems: 900},
		{Test: "TestStability/alternating", Scenario: "alternating", Class: "short", Status: 200, E2Ems: 100},
		{Test: "TestStability/alternating", Scenario: "alternating", Class: "long", Status: 200, E2Ems: 300},
	}
	got := runRecords(recs, "TestStability", "alternating")
	assert.Len(t, got, 2)
	for _, r := range got {
		assert.NotEqual(t, record.ClassWarmup, r.Class)
	}
}
