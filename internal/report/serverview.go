package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// viewRun is one load run's client figures beside its server view.
type viewRun struct {
	test, name string
	ttft, e2e  stats.Summary
	v          *sidecar.ServerView
}

func viewRuns(m *sidecar.Metrics) []viewRun {
	var out []viewRun
	if s := m.Stability; s != nil {
		for _, r := range s.Runs {
			if r.ServerView != nil {
				out = append(out, viewRun{"TestStability", r.Name, r.TTFTms, r.E2Ems, r.ServerView})
			}
		}
	}
	if c := m.Concurrency; c != nil {
		for _, r := range c.Runs {
			if r.ServerView != nil {
				out = append(out, viewRun{"TestConcurrency", r.Name, r.TTFTms, r.E2Ems, r.ServerView})
			}
		}
	}
	return out
}

// writeServerView is "The server's own view": per load run, vLLM's own
// latency histograms beside the client's figures, the gap between them
// (client_server_gap), the queue and the prefix cache. Absent when no run
// read /metrics.
func writeServerView(b *strings.Builder, m *sidecar.Metrics, cs []chart) {
	runs := viewRuns(m)
	if len(runs) == 0 {
		return
	}
	b.WriteString("\n## The server's own view\n\n")
	b.WriteString("vLLM's histograms on `/metrics`, after each load run minus before it, beside what the client measured. " +
		"Server quantiles are interpolated within vLLM's buckets (the median's bucket in brackets); means are exact. " +
		"The gap is what the path in front of the engine (network, gateway, vLLM's API server) adds, judged by each run's " +
		"`client_server_gap` check: docs/methods.md.\n\n")
	b.WriteString("| run | requests (server/client) | TTFT p50 client | TTFT p50 server | TTFT p99 client / server | TTFT mean client / server | gap | E2E p50 client / server | ITL p50 server | queue mean / p99 | prefix-cache hit rate |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var notes []string
	for _, r := range runs {
		v := r.v
		if !v.Available {
			fmt.Fprintf(b, "| %s | – | %s | – | – | – | – | – | – | – | – |\n", cell(r.name), units.MsFixed(r.ttft.P50))
			notes = append(notes, fmt.Sprintf("%s: %s", r.name, noteOr(v.Note, "no /metrics")))
			continue
		}
		fmt.Fprintf(b, "| %s | %s/%d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(r.name), num(v.Requests), v.ClientRequests, units.MsFixed(r.ttft.P50), serverP50(v.TTFTms),
			pair(units.MsFixed(r.ttft.P99), serverFig(v.TTFTms, func(l *sidecar.ServerLatency) float64 { return l.P99 })),
			pair(units.MsFixed(r.ttft.Mean), serverFig(v.TTFTms, func(l *sidecar.ServerLatency) float64 { return l.Mean })),
			gapText(v.Gap), pair(units.MsFixed(r.e2e.P50), serverP50(v.E2Ems)), serverP50(v.ITLms),
			pair(serverFig(v.QueueMs, func(l *sidecar.ServerLatency) float64 { return l.Mean }), serverFig(v.QueueMs, func(l *sidecar.ServerLatency) float64 { return l.P99 })),
			hitRate(v))
		if v.Note != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", r.name, v.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			fmt.Fprintf(b, "- %s\n", mdText(oneLine(n)))
		}
	}
	writeEngineCounters(b, runs)
	for _, r := range runs {
		if ch := chartsFor(cs, "serverview", r.name); len(ch) > 0 {
			writeCharts(b, ch, true)
		}
	}
}

// hitRate is the prefix cache's hit rate with the queried tokens.
func hitRate(v *sidecar.ServerView) string {
	if v.PrefixCacheHitRate == nil {
		return "–"
	}
	return fmt.Sprintf("%s of %s tokens", units.PercentFixed(*v.PrefixCacheHitRate), num(v.PrefixCacheQueries))
}

func pair(a, b string) string { return a + " / " + b }

func serverFig(l *sidecar.ServerLatency, f func(*sidecar.ServerLatency) float64) string {
	if l == nil || l.N == 0 {
		return "–"
	}
	return units.MsFixed(f(l))
}

// serverP50 is the interpolated median with the bucket that holds it.
func serverP50(l *sidecar.ServerLatency) string {
	if l == nil || l.N == 0 {
		return "–"
	}
	hi := "+Inf"
	if !math.IsInf(l.P50High, 1) {
		hi = fmt.Sprintf("%g", l.P50High)
	}
	return fmt.Sprintf("%s [%g–%s]", units.MsFixed(l.P50), l.P50Low, hi)
}

func gapText(g *sidecar.ClientServerGap) string {
	if g == nil {
		return "–"
	}
	return fmt.Sprintf("%+.1f ms", g.TTFTShiftMs)
}

// ttftAgainstServer is a load run's TTFT CDF as the client measured it
// (a step per request) beside the server's, known exactly at vLLM's bucket
// bounds (a point per bound): the horizontal distance between them is the
// gap.
func ttftAgainstServer(rs []record.Record, v *sidecar.ServerView) []series {
	if v == nil || v.TTFTms == nil || v.TTFTms.Histogram == nil || v.TTFTms.N == 0 {
		return nil
	}
	var vs []float64
	for i := range rs {
		if rs[i].TTFTms > 0 {
			vs = append(vs, rs[i].TTFTms)
		}
	}
	if len(vs) == 0 {
		return nil
	}
	sort.Float64s(vs)
	client := make(plotter.XYs, 0, 2*len(vs))
	for j, x := range vs {
		client = append(client, plotter.XY{X: x, Y: float64(j) / float64(len(vs))}, plotter.XY{X: x, Y: float64(j+1) / float64(len(vs))})
	}
	h := v.TTFTms.Histogram
	var server plotter.XYs
	top := vs[len(vs)-1]
	for _, bk := range h.Buckets {
		server = append(server, plotter.XY{X: bk.LE * 1000, Y: bk.Count / h.Count})
		if bk.LE*1000 >= top && bk.Count >= h.Count {
			break // past the client's last request and the server's last observation
		}
	}
	return []series{
		{name: fmt.Sprintf("client (n=%d)", len(vs)), xys: client, noDot: true, color: 0},
		{name: fmt.Sprintf("vLLM's own, at its bucket bounds (n=%s)", num(h.Count)), xys: server, color: 1},
	}
}
