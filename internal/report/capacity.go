package report

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// capacityFile is the capacity chart: goodput (req/s) and TTFT p99 (ms)
// against the offered rate of each capacity step, one panel above the
// other, the capacity marked by a vertical line in both, the TTFT SLO by a
// horizontal one.
const (
	capacityFile   = "capacity.svg"
	capacityTitle  = "Capacity search: goodput and TTFT p99 against offered rate"
	capacityXLabel = "offered rate (req/s)"
)

// writeCapacityChart writes capacity.svg when the run has a capacity
// search, after the charts written so far.
func writeCapacityChart(dir string, m *sidecar.Metrics, written []string) ([]string, error) {
	if m == nil {
		return written, nil
	}
	ss := capacitySeries(m, nil)
	if len(ss) == 0 {
		return written, nil
	}
	svg, err := renderCapacity(m, ss)
	if err != nil {
		return written, fmt.Errorf("chart %s: %w", capacityFile, err)
	}
	path := filepath.Join(dir, capacityFile)
	if err := os.WriteFile(path, svg, 0o644); err != nil {
		return written, fmt.Errorf("chart %s: %w", capacityFile, err)
	}
	return append(written, path), nil
}

// capacitySeries are the steps' (rate, goodput) and (rate, TTFT p99),
// sorted by rate; steps that sent no counted request are left out.
func capacitySeries(m *sidecar.Metrics, _ []record.Record) []series {
	c := m.Capacity
	if c == nil || len(c.Steps) == 0 {
		return nil
	}
	steps := append([]sidecar.CapacityStep(nil), c.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].RatePerS < steps[j].RatePerS })
	var good, ttft plotter.XYs
	for _, s := range steps {
		if s.Sent == 0 {
			continue
		}
		good = append(good, plotter.XY{X: s.RatePerS, Y: s.Goodput})
		if s.TTFTms.N > 0 {
			ttft = append(ttft, plotter.XY{X: s.RatePerS, Y: s.TTFTms.P99})
		}
	}
	if len(good) == 0 {
		return nil
	}
	return []series{{name: "goodput", xys: good}, {name: "TTFT p99", xys: ttft}}
}

func renderCapacity(m *sidecar.Metrics, ss []series) ([]byte, error) {
	c := m.Capacity
	top, bottom := plot.New(), plot.New()
	top.Title.Text = capacityTitle
	top.Y.Label.Text = "goodput (req/s)"
	bottom.X.Label.Text = capacityXLabel
	bottom.Y.Label.Text = "TTFT p99 (ms)"
	maxX := 0.0
	for _, s := range ss {
		for _, p := range s.xys {
			maxX = max(maxX, p.X)
		}
	}
	for i, p := range []*plot.Plot{top, bottom} {
		p.Add(plotter.NewGrid())
		p.X.Min, p.Y.Min = 0, 0
		s := ss[i]
		if len(s.xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", s.name, err)
		}
		l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		pts.Shape, pts.Radius = plotutil.Shape(i), vg.Points(3)
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	// Goodput equals the offered rate while every request is good.
	if ideal, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: maxX, Y: maxX}}); err == nil {
		ideal.Color, ideal.Dashes = color.Gray{Y: 150}, []vg.Length{vg.Points(2), vg.Points(2)}
		top.Add(ideal)
		top.Legend.Add("offered", ideal)
	}
	if slo := c.SLOs.TTFTms; slo > 0 {
		if l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: slo}, {X: maxX, Y: slo}}); err == nil {
			l.Color, l.Dashes = color.RGBA{R: 200, A: 255}, []vg.Length{vg.Points(4), vg.Points(2)}
			bottom.Add(l)
			bottom.Legend.Add("TTFT SLO", l)
		}
	}
	if x := c.MaxRatePerS; x > 0 {
		label := fmt.Sprintf("capacity %.3g req/s", x)
		if c.AtLeast {
			label = "capacity ≥ " + fmt.Sprintf("%.3g req/s", x)
		}
		for _, p := range []*plot.Plot{top, bottom} {
			ymax := p.Y.Max
			if l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: max(ymax, 1)}}); err == nil {
				l.Color, l.Width = color.RGBA{G: 130, A: 255}, vg.Points(1.5)
				p.Add(l)
				p.Legend.Add(label, l)
			}
		}
	}
	top.Legend.Top, bottom.Legend.Top = true, true
	top.Legend.Left, bottom.Legend.Left = true, true
	const w, h = 8 * vg.Inch, 6 * vg.Inch
	canvas := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(false))
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8), PadY: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// capacityArea is TestCapacity's verdict row, if it ran.
func capacityArea(m *sidecar.Metrics, v map[sidecar.Section]sidecar.SectionVerdict) []area {
	if c := m.Capacity; c != nil {
		return []area{{"capacity", v[sidecar.SectionCapacity], withWhy(v[sidecar.SectionCapacity], capacityFigure(c))}}
	}
	return nil
}

// capacityFigure is the capacity in one cell.
func capacityFigure(c *sidecar.Capacity) string {
	var s string
	switch c.Confidence {
	case sidecar.ConfidenceInterrupted:
		s = fmt.Sprintf("at least %.3g req/s (interrupted: the step the suite's stop cut is not judged)", c.MaxRatePerS)
		if c.MaxRatePerS == 0 {
			s = "not judged (interrupted before any step passed)"
		}
	case sidecar.ConfidenceGeneratorLimited:
		s = fmt.Sprintf("at least %.3g req/s; shard the load (the load generator could not keep up beyond it)", c.MaxRatePerS)
	case sidecar.ConfidenceAtLeast:
		s = fmt.Sprintf("at least %.3g req/s (no step failed)", c.MaxRatePerS)
	case sidecar.ConfidenceBracketed:
		s = fmt.Sprintf("%.3g req/s (passes at %.3g, fails at %.3g)", c.MaxRatePerS, c.Interval.Low, c.Interval.High)
	default:
		s = "0 req/s"
		if strings.HasPrefix(c.StopReason, "refused") {
			s = c.StopReason
		} else if len(c.Steps) > 0 {
			s += fmt.Sprintf(": the first step, at %.3g req/s, failed (%s)", c.Steps[0].RatePerS, c.Steps[0].Reason)
		}
	}
	return s + fmt.Sprintf(" within TTFT ≤ %s, TPOT ≤ %s, goodput ratio ≥ %s; %d requests in %s",
		units.MsFixed(c.SLOs.TTFTms), units.MsFixed(c.SLOs.TPOTms), units.PercentFixed(c.SLOs.MinGoodputRatio), c.Requests, units.Seconds(c.DurationS))
}

// writeCapacity writes the capacity section.
func writeCapacity(b *strings.Builder, m *sidecar.Metrics) {
	if c := m.Capacity; c != nil {
		b.WriteString("\n## Capacity\n\n")
		fmt.Fprintf(b, "%s.\n\nStopped: %s.\n", capacityFigure(c), mdText(c.StopReason))
		if c.Idle != nil {
			fmt.Fprintf(b, "\nIdle server (%d sequential requests): TTFT %s, TPOT %s, end-to-end %s (medians).\n",
				c.Idle.Requests, units.MsFixed(c.Idle.TTFTms), units.MsFixed(c.Idle.TPOTms), units.MsFixed(c.Idle.E2Ems))
		}
		if len(c.Steps) > 0 {
			b.WriteString("\n| step | offered | outcome | counted | goodput ratio [95 % CI] | goodput | TTFT p50 / p99 | TPOT p50 / p99 | waiting max | KV cache max | why |\n")
			b.WriteString("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
			for i, s := range c.Steps {
				ci := ""
				if s.GoodputCI95 != nil {
					ci = fmt.Sprintf(" [%s, %s]", units.PercentFixed(s.GoodputCI95.Low), units.PercentFixed(s.GoodputCI95.High))
				}
				waiting, kv := "–", "–"
				if s.Server != nil {
					waiting, kv = num(s.Server.WaitingMax), units.PercentFixed(s.Server.KVCacheUsageMax)
				}
				fmt.Fprintf(b, "| %d | %.3g req/s | %s | %d/%d | %s%s | %.3g req/s | %s / %s | %s / %s | %s | %s | %s |\n",
					i+1, s.RatePerS, s.Outcome, s.Sent, s.Planned, units.PercentFixed(s.GoodputRatio), ci, s.Goodput,
					units.MsFixed(s.TTFTms.P50), units.MsFixed(s.TTFTms.P99), units.MsFixed(s.TPOTms.P50), units.MsFixed(s.TPOTms.P99), waiting, kv, cell(s.Reason))
			}
		}
		writeChecks(b, c.Checks)
		if len(capacitySeries(m, nil)) > 0 {
			fmt.Fprintf(b, "\n![%s](%s)\n", capacityTitle, capacityFile)
		}
	}
}
