package suite

import (
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
)

// What the runners that send load share (LoadRuns, CapacitySearch,
// UnderLoad): the request of a load class and the limits it is judged by.

// loadRequest is a streamed request (usage included) with thinking off.
func (r *Run) loadRequest(prompt string, maxTokens int) client.Request {
	off := false
	req := client.Request{Model: r.Cfg.Model, MaxTokens: maxTokens, Stream: true, Thinking: &off}
	if prompt != "" {
		req.Messages = []fixture.Message{{Role: "user", Content: prompt}}
	}
	return r.budget(req)
}

// limits are the knobs every load run is judged by: success rate,
// degradation and the SLOs (load.Limits).
func (r *Run) limits() load.Limits {
	return load.Limits{
		MinSuccessRate: r.Cfg.MinSuccessRate, MaxDegradation: r.Cfg.MaxDegradation,
		SLOTTFTms: float64(r.Cfg.SLOTTFT.Microseconds()) / 1000, SLOTPOTms: float64(r.Cfg.SLOTPOT.Microseconds()) / 1000,
	}
}
