package suite

import (
	"context"
	"fmt"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// ProbeMaxTime bounds the saturating probe: a wave of requests that has
// not finished by then is cut, and the ceiling comes from those that did
// (or there is none).
const ProbeMaxTime = 2 * time.Minute

// saturationProbe bounds the throughput before the steps: one wave of a
// closed loop at the server's batch limit (capacity.ProbeConcurrency, from
// /metrics), each worker sending one short request. Its throughput,
// concurrency over the completed requests' mean end-to-end latency
// (Little's law), is a rate no open loop can sustain: the search's
// ceiling. Sharded, each shard sends its part of the concurrency and
// scales its figure back to the whole.
func (r *CapacitySearch) saturationProbe(ctx context.Context, limit time.Duration) sidecar.CapacityProbe {
	var info map[string]string
	if r.Cfg.MetricsInterval > 0 {
		sctx, cancel := context.WithCancel(ctx)
		sm := scrape.Start(sctx, r.sideClient(), scrape.MetricsURL(r.Cfg.BaseURL), r.Cfg.APIKey, time.Hour).Stop()
		cancel()
		info = sm.EngineConfig
	}
	c, source, detail := capacity.ProbeConcurrency(info, PromptTokensEstimate+r.Cfg.ShortTokens)
	sh := r.Cfg.Sharding
	mine := max(sh.Split(c), 1)
	p := sidecar.CapacityProbe{Concurrency: c, ConcurrencySource: source, Detail: detail}
	pctx, cancel := context.WithTimeout(ctx, min(limit, ProbeMaxTime))
	defer cancel()
	began := time.Now()
	req := func(int) (string, client.Request) { return "short", r.loadRequest(ShortPrompt, r.Cfg.ShortTokens) }
	var e2e float64
	for res := range load.Closed(pctx, mine, mine, req, r.Client.ChatAt) {
		rec := res.Record
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = "TestCapacity", "probe", "short", res.I+1
		p.Requests++
		if rec.OK() {
			p.Completed++
			e2e += rec.E2Ems / 1000
		}
		rec.Content, rec.Reasoning = "", ""
		r.Record(&rec)
	}
	p.DurationS = time.Since(began).Seconds()
	if p.Completed > 0 && e2e > 0 {
		p.ThroughputPerS = float64(c) / (e2e / float64(p.Completed))
		p.Detail += fmt.Sprintf("; %d of %d answered, %s", p.Completed, p.Requests, capacity.FormatRate(p.ThroughputPerS))
	} else {
		p.Detail += fmt.Sprintf("; none of %d answered within %s: no ceiling, the search doubles from its start rate", p.Requests, min(limit, ProbeMaxTime))
	}
	return p
}

// PromptTokensEstimate is the short prompt's tokens, about, for the KV
// cache's room per request (capacity.ProbeConcurrency).
const PromptTokensEstimate = 32
