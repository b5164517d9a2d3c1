package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

func writeGPU(b *strings.Builder, g *sidecar.GPU, cs []chart) {
	if g == nil {
		return
	}
	b.WriteString("\n## GPU\n\n")
	if !g.Available {
		// The monitor's note often starts with the same words.
		why := noteOr(g.Note, "NVML not available")
		if rest, ok := cutPrefixFold(why, "no local GPU"); ok {
			why = strings.TrimLeft(rest, ":;,. ")
		}
		if why != "" {
			why = ": " + why
		}
		fmt.Fprintf(b, "No local GPU%s. GPU checks were skipped, not failed (the server may run on another host).\n", why)
		return
	}
	b.WriteString("| GPU | name | memory total | first | last | max | util mean | temp max | power max |\n")
	b.WriteString("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, d := range g.Devices {
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %.1f %% | %.0f °C | %.0f W |\n", d.Index, cell(d.Name),
			units.MiB(d.MemTotalMiB), units.MiB(d.MemUsedFirstMiB), units.MiB(d.MemUsedLastMiB), units.MiB(d.MemUsedMaxMiB), d.UtilMeanPct, d.TempMaxC, d.PowerMaxW)
	}
	fmt.Fprintf(b, "\n%d samples.\n", len(g.Samples))
	writeChecks(b, g.Checks)
	writeCharts(b, chartsFor(cs, "gpu", ""), true)
}

// cutPrefixFold is strings.CutPrefix, ignoring case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func writeServerMetrics(b *strings.Builder, s *sidecar.ServerMetrics, cs []chart) {
	if s == nil {
		return
	}
	b.WriteString("\n## Server /metrics\n\n")
	if !s.Available {
		fmt.Fprintf(b, "Not available: %s.\n", noteOr(s.Note, "the server exposes no vLLM /metrics"))
		return
	}
	if len(s.Series) > 0 {
		kvMax, kvSum, runMax, waitMax := 0.0, 0.0, 0.0, 0.0
		for _, p := range s.Series {
			kvMax = math.Max(kvMax, p.KVCacheUsage)
			kvSum += p.KVCacheUsage
			runMax = math.Max(runMax, p.Running)
			waitMax = math.Max(waitMax, p.Waiting)
		}
		fmt.Fprintf(b, "%d scrapes: KV cache usage max %s, mean %s; running max %s, waiting max %s.\n",
			len(s.Series), units.PercentFixed(kvMax), units.PercentFixed(kvSum/float64(len(s.Series))), num(runMax), num(waitMax))
	}
	if h := s.TTFT; h != nil && h.Count > 0 {
		fmt.Fprintf(b, "\nServer-side TTFT over the run: %s requests, mean %s.\n", num(h.Count), units.MsFixed(h.Sum/h.Count*1000))
	}
	if len(s.Delta) > 0 {
		b.WriteString("\n| counter | before | after | delta |\n| --- | ---: | ---: | ---: |\n")
		for _, k := range slices.Sorted(maps.Keys(s.Delta)) {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", k, optNum(s.Before, k), optNum(s.After, k), num(s.Delta[k]))
		}
	}
	if ch := chartsFor(cs, "server", ""); len(ch) > 0 {
		writeCharts(b, ch, true)
	}
}
