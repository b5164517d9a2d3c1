//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/area"
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
			t.Log(area.StabilityLine(res))
			if u := area.UnknownLine(r.Judge(), res); u != "" {
				t.Log(u)
			}
			if res.Verdict != "pass" {
				t.Error(area.LoadFailure(r.Judge(), res))
			}
		})
	}
}
