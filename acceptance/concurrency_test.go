//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/area"
)

// TestConcurrency loads the server in a closed loop (closed_<N>: N workers
// back to back) and an open loop (open_<rate>: Poisson arrivals, latency
// from the schedule), and judges success rate and goodput against the SLOs.
func TestConcurrency(t *testing.T) {
	r := live(t)
	for _, name := range r.ConcurrencyRuns() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := r.Context(t.Context())
			defer cancel()
			res := r.Concurrency(ctx, name)
			t.Log(area.ConcurrencyLine(res))
			if u := area.UnknownLine(r.Judge(), res); u != "" {
				t.Log(u)
			}
			if res.Verdict != "pass" {
				t.Error(area.LoadFailure(r.Judge(), res))
			}
		})
	}
}
