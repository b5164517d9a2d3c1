package suite

import (
	"context"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// serverView reads /metrics as a load run starts; its close reads it again
// as the run ends and returns the server's view of the run (vLLM's own
// latency histograms and prefix cache, set against the client's TTFT and
// E2E; ttftHist is the run's TTFT histogram) and the client_server_gap check, judged with the run's
// load_generator check among checks. With ACCEPTANCE_METRICS_INTERVAL=0
// nothing is read: the view is nil and the check skipped.
func (r *Run) serverView(ctx context.Context) func(ttft, e2e stats.Summary, ttftHist *stats.Histogram, checks []sidecar.Check) (*sidecar.ServerView, sidecar.Check) {
	limit := float64(r.Cfg.MaxClientServerGap.Microseconds()) / 1000
	var w *scrape.Window
	if r.Cfg.MetricsInterval > 0 {
		w = scrape.OpenWindow(ctx, r.sideClient(), scrape.MetricsURL(r.Cfg.BaseURL), r.Cfg.APIKey)
	}
	return func(ttft, e2e stats.Summary, ttftHist *stats.Histogram, checks []sidecar.Check) (*sidecar.ServerView, sidecar.Check) {
		var v *sidecar.ServerView
		if w != nil {
			v = w.Close()
			load.SetClient(v, ttft, e2e, ttftHist)
		}
		var gen *sidecar.Check
		for i := range checks {
			if checks[i].Name == sidecar.CheckLoadGenerator {
				gen = &checks[i]
			}
		}
		return v, load.GapCheck(v, gen, limit)
	}
}
