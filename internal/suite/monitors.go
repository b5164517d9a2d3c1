package suite

import (
	"context"
	"net/http"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// sideClient is the API client's transport with a timeout of its own, for
// /metrics.
func (r *Run) sideClient() *http.Client {
	return &http.Client{Transport: r.Client.HTTPClient().Transport, Timeout: 10 * time.Second}
}

// runMonitors watches one run: vLLM's /metrics before and after (for the
// preemptions check) and the local GPU (vram_growth, vram_max). The
// returned function stops them and returns those checks, skipped when a
// source is unavailable or switched off (interval 0).
func (r *Run) runMonitors(ctx context.Context) func() []sidecar.Check {
	var s *scrape.Sampler
	var g *gpu.Monitor
	if r.Cfg.MetricsInterval > 0 {
		s = scrape.Start(ctx, r.sideClient(), scrape.MetricsURL(r.Cfg.BaseURL), r.Cfg.APIKey, r.Cfg.MetricsInterval)
	}
	if r.Cfg.GPUInterval > 0 {
		g = gpu.Start(ctx, r.Cfg.GPUInterval)
	}
	return func() []sidecar.Check {
		pre := sidecar.Check{Name: sidecar.CheckPreemptions, Passed: true, Skipped: true, Detail: "ACCEPTANCE_METRICS_INTERVAL=0: /metrics not read"}
		if s != nil {
			pre = scrape.PreemptionCheck(s.Stop())
		}
		checks := []sidecar.Check{pre}
		if g != nil {
			checks = append(checks, g.Stop().Checks...)
		} else {
			checks = append(checks, sidecar.Check{Name: sidecar.CheckVRAMGrowth, Passed: true, Skipped: true, Detail: "ACCEPTANCE_GPU_INTERVAL=0: GPU not sampled"})
		}
		return checks
	}
}

// startMonitors starts the run-wide GPU monitor and /metrics sampler after
// a successful preflight; stopMonitors (from Finish) puts what they saw in
// metrics.gpu and metrics.server_metrics. An interval of 0 switches one off.
func (r *Run) startMonitors() {
	ctx, cancel := r.Context(context.Background())
	r.monCancel = cancel
	if r.Cfg.GPUInterval > 0 {
		r.gpuMon = gpu.Start(ctx, r.Cfg.GPUInterval)
	}
	if r.Cfg.MetricsInterval > 0 {
		r.sampler = scrape.Start(ctx, r.sideClient(), scrape.MetricsURL(r.Cfg.BaseURL), r.Cfg.APIKey, r.Cfg.MetricsInterval)
	}
}

func (r *Run) stopMonitors() {
	if r.gpuMon != nil {
		g := r.gpuMon.Stop()
		r.Update(func(m *sidecar.Metrics) { m.GPU = &g })
	}
	if r.sampler != nil {
		sm := r.sampler.Stop()
		r.Update(func(m *sidecar.Metrics) { m.ServerMetrics = &sm })
	}
	if r.monCancel != nil {
		r.monCancel()
	}
}
