package report

import (
	"fmt"
	"sort"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/vllm-acceptance/vllm-acceptance/internal/expect"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// energyFile is the chart of joules per good token against the offered
// rate of each capacity step.
const (
	energyFile  = "energy.svg"
	energyTitle = "Joules per good token against offered rate (capacity steps)"
)

// energyCharts is the energy chart, when a capacity step measured energy.
func energyCharts(m *sidecar.Metrics) []chart {
	c := m.Capacity
	if c == nil {
		return nil
	}
	steps := append([]sidecar.CapacityStep(nil), c.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].RatePerS < steps[j].RatePerS })
	var good, out plotter.XYs
	for _, s := range steps {
		if e := s.Energy; e != nil && e.JPerGoodToken != nil {
			good = append(good, plotter.XY{X: s.RatePerS, Y: *e.JPerGoodToken})
		}
		if e := s.Energy; e != nil && e.JPerOutputToken != nil {
			out = append(out, plotter.XY{X: s.RatePerS, Y: *e.JPerOutputToken})
		}
	}
	if len(good) == 0 && len(out) == 0 {
		return nil
	}
	var ss []series
	if len(good) > 0 {
		ss = append(ss, series{name: "J per good token", xys: good})
	}
	if len(out) > 0 {
		ss = append(ss, series{name: "J per output token", xys: out, color: 1})
	}
	return []chart{{file: energyFile, area: "energy", title: energyTitle, xLabel: capacityXLabel, yLabel: "joules per token", series: ss}}
}

// energyCell is one window's energy figure in a table cell: unknown, with
// the reason, when it was not measured.
func energyCell(v *float64, f string) string {
	if v == nil {
		return "unknown"
	}
	return fmt.Sprintf(f, *v)
}

func energyRow(b *strings.Builder, what string, e *sidecar.Energy) {
	if e == nil {
		return
	}
	src, note := e.Source, e.Note
	if !e.Available {
		src = "unknown"
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s / %s | %d | %d | %s | %s | %s |\n", what, src,
		energyCell(e.Joules, "%.4g J"), energyCell(e.AvgPowerW, "%.4g W"), energyCell(e.PeakPowerW, "%.4g W"),
		e.OutputTokens, e.GoodTokens, energyCell(e.JPerOutputToken, "%.4g"), energyCell(e.JPerGoodToken, "%.4g"), cell(note))
}

// writeEnergy writes the energy and cost section: a row per load run and
// capacity step, the cost at the capacity found, and the chart.
func writeEnergy(b *strings.Builder, m *sidecar.Metrics, cs []chart) {
	var rows strings.Builder
	if c := m.Concurrency; c != nil {
		for _, r := range c.Runs {
			energyRow(&rows, "concurrency "+r.Name, r.Energy)
		}
	}
	var cost *sidecar.Cost
	if c := m.Capacity; c != nil {
		for i, s := range c.Steps {
			energyRow(&rows, fmt.Sprintf("capacity step %d (%.3g req/s)", i+1, s.RatePerS), s.Energy)
		}
		cost = c.Cost
	}
	if rows.Len() == 0 && cost == nil {
		return
	}
	b.WriteString("\n## Energy and cost\n\nThe local GPUs' energy over each window (NVML's energy counter, or power samples integrated where a card has none), per output token and per good token (tokens of requests within the SLOs). Unknown where NVML could not be read here: the suite on another machine than the server.\n")
	if rows.Len() > 0 {
		b.WriteString("\n| window | source | energy | power avg / peak | output tokens | good tokens | J / output token | J / good token | note |\n")
		b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
		b.WriteString(rows.String())
	}
	if cost != nil {
		fmt.Fprintf(b, "\nCost at the capacity found (%.3g req/s), at %.4g per GPU-hour × %s: %s per million good tokens",
			cost.RatePerS, cost.GPUHourPrice, gpusText(cost), energyCell(cost.PerMillionGoodTokens, "%.4g"))
		if cost.GoodTokensPerS != nil {
			fmt.Fprintf(b, " (%.4g good tokens/s)", *cost.GoodTokensPerS)
		}
		if cost.Note != "" {
			fmt.Fprintf(b, "; %s", mdText(cost.Note))
		}
		b.WriteString(".\n")
	}
	for _, c := range chartsFor(cs, "energy", "") {
		fmt.Fprintf(b, "\n![%s](%s)\n", c.title, c.file)
	}
}

func gpusText(c *sidecar.Cost) string {
	if c.GPUs <= 0 {
		return "unknown GPUs"
	}
	return fmt.Sprintf("%d GPU(s) (%s)", c.GPUs, c.GPUsSource)
}

// expectedArea is the expected-config verdict row, when a file was named.
func expectedArea(m *sidecar.Metrics, v map[sidecar.Section]sidecar.SectionVerdict) []area {
	e := m.ExpectedConfig
	if e == nil {
		return nil
	}
	n := map[sidecar.Outcome]int{}
	for _, r := range e.Rows {
		n[r.Outcome]++
	}
	fig := fmt.Sprintf("%d declared keys: %d match, %d differ, %d not exposed (unknown)", len(e.Rows), n[sidecar.Pass], n[sidecar.Fail], n[sidecar.Unknown])
	if mis := expect.Mismatches(e); mis != "" {
		fig += "; " + mis
	}
	return []area{{"expected config", v[sidecar.SectionExpectedConfig], fig}}
}

// writeExpected writes the expected-config table.
func writeExpected(b *strings.Builder, m *sidecar.Metrics) {
	e := m.ExpectedConfig
	if e == nil {
		return
	}
	fmt.Fprintf(b, "\n## Expected config\n\n`%s` (sha256 %s…), checked before any load.\n\n| key | expected | found | outcome | source | note |\n| --- | --- | --- | --- | --- | --- |\n", e.File, short(e.SHA256))
	for _, r := range e.Rows {
		found := r.Found
		if found == "" && r.Outcome == sidecar.Unknown {
			found = "(not exposed)"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", r.Key, cell(r.Expected), cell(found), r.Outcome, cell(r.Source), cell(r.Note))
	}
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
