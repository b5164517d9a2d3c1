package load

import (
	"fmt"
	"math"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// SetClient fills the client's side of a server view: the run's requests
// with a first token, and the gap, client minus server: in TTFT by shift
// (ShiftGap, on the client's TTFT histogram ttftHist), by mean and by
// median, and in end-to-end latency by mean. It does nothing to a nil or
// unavailable view.
func SetClient(v *sidecar.ServerView, ttft, e2e stats.Summary, ttftHist *stats.Histogram) {
	if v == nil || !v.Available {
		return
	}
	v.ClientRequests = ttft.N
	if v.TTFTms == nil || v.TTFTms.N <= 0 || ttft.N == 0 {
		return
	}
	r := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	g := &sidecar.ClientServerGap{TTFTMeanMs: r(ttft.Mean - v.TTFTms.Mean), TTFTP50Ms: r(ttft.P50 - v.TTFTms.P50)}
	g.TTFTShiftMs, g.ShiftAt = r(ttft.P50-v.TTFTms.Mean), 0.5
	if ttftHist != nil && ttftHist.Count() > 0 && v.TTFTms.Histogram != nil {
		d, at := ShiftGap(v.TTFTms.Histogram, ttftHist.Quantile)
		g.TTFTShiftMs, g.ShiftAt = r(d), at
	}
	if v.E2Ems != nil && v.E2Ems.N > 0 && e2e.N > 0 {
		g.E2EMeanMs = r(e2e.Mean - v.E2Ems.Mean)
	}
	v.Gap = g
}

// ShiftGap estimates the delay d that the path in front of the engine adds
// to every request, from the server's TTFT histogram (seconds) and the
// client's TTFT quantiles (clientQ, milliseconds), with no interpolation
// inside a bucket. If the client's TTFT is the server's plus d, the
// fraction of server observations at or below a bucket bound le,
// p = F(le), is exact, and the client's p-quantile is le + d: so
// d = clientQ(p) − le. Of the bounds with p in [0.25, 0.75] the one
// nearest the median is used (robust to tails on either side, as a median
// is: a client machine's stalls fatten the client's tail, not the
// server's, so a bound far out would read them as gap); at returns its p.
// When no bound falls there (the observations sit in one bucket, or split
// far from even, e.g. a steady TTFT between 20 and 40 ms), d is the
// client's median minus the server's exact mean, and at is 0.5: a
// distribution confined to one bucket has its median within the bucket's
// spread of its mean.
func ShiftGap(server *sidecar.Histogram, clientQ func(q float64) float64) (d, at float64) {
	best := -1.0
	for _, b := range server.Buckets {
		p := b.Count / server.Count
		if p < 0.25 || p > 0.75 {
			continue
		}
		if best < 0 || math.Abs(p-0.5) < math.Abs(best-0.5) {
			best, d = p, clientQ(p)-b.LE*1000
		}
	}
	if best >= 0 {
		return d, best
	}
	return clientQ(0.5) - server.Sum/server.Count*1000, 0.5
}

// GapCheck judges what the path in front of the engine adds to each
// request: the client's TTFT minus vLLM's own
// (vllm:time_to_first_token_seconds over the run) as ShiftGap estimates
// it, which fails above limitMs. The path is everything between the client's clock
// and the engine core's: the network, any gateway, proxy or load
// balancer, and vLLM's API server before the engine (HTTP, chat template,
// tokenization) and after it (detokenization, SSE).
//
// The judged figure is the shift, not the difference of interpolated
// medians: the server's median is known only to within its bucket (vLLM's
// TTFT buckets are 10 to 150 ms wide between 10 ms and 250 ms), too
// coarse to see a few milliseconds, while the shift reads the server's
// distribution only where it is exact, at bucket bounds. Nor the
// difference of means, exact on both sides but moved by a few slow
// requests (a 300 ms stall of the client machine in 16 requests adds
// 19 ms to a mean). Both are reported beside it.
//
// The check is skipped (unknown, not failed) when limitMs is 0 (off), when
// /metrics was unreadable or the server publishes no TTFT histogram, when
// either side saw no first token (non-streamed requests), and when the
// load generator fell behind (loadGen not passed): then the client's
// figures measure the client machine.
func GapCheck(v *sidecar.ServerView, loadGen *sidecar.Check, limitMs float64) sidecar.Check {
	c := sidecar.Check{Name: sidecar.CheckClientServerGap, Threshold: limitMs}
	unknown := func(why string) sidecar.Check {
		c.Skipped, c.Detail = true, "gap unknown: "+why
		return c
	}
	switch {
	case limitMs <= 0:
		c.Skipped, c.Detail = true, "ACCEPTANCE_MAX_CLIENT_SERVER_GAP=0: not judged"
		return c
	case v == nil:
		return unknown("/metrics not read (ACCEPTANCE_METRICS_INTERVAL=0)")
	case !v.Available:
		return unknown(v.Note)
	case v.TTFTms == nil:
		return unknown("the server publishes no vllm:time_to_first_token_seconds histogram on /metrics, so its own TTFT cannot be set against the client's")
	case v.Gap == nil:
		return unknown(fmt.Sprintf("no first token on one side (client %d, server %g): TTFT needs streamed answers", v.ClientRequests, v.TTFTms.N))
	case loadGen != nil && loadGen.Result() == sidecar.Fail:
		return unknown("the load generator fell behind, so the client's TTFT measures this machine, not the path to the server")
	}
	g := v.Gap
	c.Value = g.TTFTShiftMs
	figures := fmt.Sprintf("client TTFT median %s, vLLM's own between %s and %s; means %s against %s",
		units.Ms(v.TTFTms.P50+g.TTFTP50Ms), units.Ms(v.TTFTms.P50Low), units.Ms(v.TTFTms.P50High),
		units.Ms(v.TTFTms.Mean+g.TTFTMeanMs), units.Ms(v.TTFTms.Mean))
	if others := v.Requests - float64(v.ClientRequests+v.WarmupRequests); v.ClientRequests > 0 && others > 0.1*float64(v.ClientRequests) {
		figures += fmt.Sprintf("; the server counted %g first tokens to this run's %d: other clients' requests (other shards, tenants) are in its figures", v.Requests, v.ClientRequests)
	}
	if g.TTFTShiftMs > limitMs {
		c.Detail = fmt.Sprintf("the path in front of the engine adds %s to every request (%s): the engine is not to blame; "+
			"look at the network, gateway, proxy or load balancer between this client and vLLM, or at vLLM's API server "+
			"(HTTP, chat template, tokenization) if it is saturated", units.Ms(g.TTFTShiftMs), figures)
		return c
	}
	c.Passed = true
	c.Detail = fmt.Sprintf("the path in front of the engine adds %s (%s)", units.Ms(g.TTFTShiftMs), figures)
	return c
}
