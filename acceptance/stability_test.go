//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// TestStability sends ACCEPTANCE_STABILITY_REQUESTS streamed requests,
// ACCEPTANCE_STABILITY_INTERVAL apart, and judges success rate, latency
// degradation within each request class, preemptions and VRAM.
// Subtests: TestStability/<run>, today "alternating" (short/long).
func TestStability(t *testing.T) {
	r := live(t)
	if why := r.OnlyOnFirstShard("stability"); why != "" {
		t.Skip(why)
	}
	for _, name := range r.StabilityRuns() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := r.Context(t.Context())
			defer cancel()
			res := r.Stability(ctx, name)
			t.Logf("%d/%d completed, e2e p50 %.0fms p99 %.0fms, degradation %+.1f%% (%s class)",
				res.Completed, res.Requests, res.E2Ems.P50, res.E2Ems.P99, 100*res.Degradation.Value, res.Degradation.Class)
			if res.Verdict != "pass" {
				t.Error(suite.LoadFailure(res))
			}
		})
	}
}
