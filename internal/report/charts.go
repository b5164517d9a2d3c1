package report

import (
	"bytes"
	"fmt"
	"image/color"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// series is one named line of a chart: points joined by a line, points
// alone (scatter), or a line alone (a fitted trend).
type series struct {
	name          string
	xys           plotter.XYs
	noLine, noDot bool
	// color is the index into plotutil's palette, so a class's trend line
	// has its points' colour.
	color int
}

// chart is one SVG file of the report. Charts are per test: a stability
// run's TTFT per request with its trend, a latency CDF per request class of
// a stability or load run, and the GPU and /metrics series of the run.
type chart struct {
	file, title, xLabel, yLabel string
	// area and run say where report.md shows it: the section ("stability",
	// "concurrency", "gpu", "server") and the run within it ("" for the
	// section as a whole).
	area, run string
	yMax1     bool // a CDF: y from 0 to 1
	series    []series
}

// charts lists the charts the run has data for, in report order. A chart
// whose data is absent is not in the list; the section says why.
func charts(m *sidecar.Metrics, recs []record.Record) []chart {
	var out []chart
	if m == nil {
		m = &sidecar.Metrics{}
	}
	if s := m.Stability; s != nil {
		for _, r := range s.Runs {
			rs := runRecords(recs, "TestStability", r.Name)
			if ss := ttftTrend(rs); len(ss) > 0 {
				out = append(out, chart{file: "stability-" + slug(r.Name) + "-ttft.svg", area: "stability", run: r.Name,
					title:  "TTFT per request, stability run " + r.Name + ", with its Theil–Sen trend per class",
					xLabel: "seconds since the run's first request", yLabel: "TTFT (ms)", series: ss})
			}
			if ss := latencyCDF(rs); len(ss) > 0 {
				out = append(out, chart{file: "stability-" + slug(r.Name) + "-latency-cdf.svg", area: "stability", run: r.Name,
					title:  "End-to-end latency CDF per request class, stability run " + r.Name,
					xLabel: "end-to-end latency (ms)", yLabel: "fraction of requests at or below", yMax1: true, series: ss})
			}
		}
	}
	if c := m.Concurrency; c != nil {
		for _, r := range c.Runs {
			if ss := latencyCDF(runRecords(recs, "TestConcurrency", r.Name)); len(ss) > 0 {
				out = append(out, chart{file: "concurrency-" + slug(r.Name) + "-latency-cdf.svg", area: "concurrency", run: r.Name,
					title:  "End-to-end latency CDF per request class, concurrency run " + r.Name,
					xLabel: "end-to-end latency (ms)", yLabel: "fraction of requests at or below", yMax1: true, series: ss})
			}
		}
	}
	for _, r := range viewRuns(m) {
		if ss := ttftAgainstServer(runRecords(recs, r.test, r.name), r.v); len(ss) > 0 {
			out = append(out, chart{file: "server-view-" + slug(r.name) + "-ttft-cdf.svg", area: "serverview", run: r.name,
				title:  "TTFT CDF of " + r.name + ": the client's against vLLM's own",
				xLabel: "TTFT (ms)", yLabel: "fraction of requests at or below", yMax1: true, series: ss})
		}
	}
	if ss := vramSeries(m); len(ss) > 0 {
		out = append(out, chart{file: "vram.svg", area: "gpu", title: "GPU memory used", xLabel: "seconds since start", yLabel: "memory used (MiB)", series: ss})
	}
	out = append(out, energyCharts(m)...)
	if ss := kvSeries(m); len(ss) > 0 {
		out = append(out, chart{file: "kv_cache.svg", area: "server", title: "KV-cache usage", xLabel: "seconds since start", yLabel: "KV-cache usage (%)", series: ss})
	}
	return out
}

// chartsFor is the subset of cs shown in one section (and run).
func chartsFor(cs []chart, area, run string) []chart {
	var out []chart
	for _, c := range cs {
		if c.area == area && c.run == run {
			out = append(out, c)
		}
	}
	return out
}

// runRecords are the successful records of one run of a test, e.g.
// TestStability/mixed, its warm-up left out.
func runRecords(recs []record.Record, test, run string) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if topTest(r.Test) == test && (r.Scenario == run || strings.TrimPrefix(r.Test, test+"/") == run) && r.OK() && r.Class != record.ClassWarmup {
			out = append(out, r)
		}
	}
	return out
}

func className(r *record.Record) string {
	if r.Class == "" {
		return "all"
	}
	return r.Class
}

// sent is when a request counts as sent: when an open loop meant to send
// it, else when it was sent.
func sent(r *record.Record) time.Time {
	if !r.Scheduled.IsZero() {
		return r.Scheduled
	}
	return r.Start
}

// ttftTrend is TTFT per request by class, as points, and each class's
// Theil–Sen line over the run: the trend the degradation check estimates
// (it judges end-to-end latency by request index; this draws TTFT by time,
// which is the same order).
func ttftTrend(rs []record.Record) []series {
	var t0 time.Time
	for i := range rs {
		if t := sent(&rs[i]); t0.IsZero() || t.Before(t0) {
			t0 = t
		}
	}
	by := map[string]plotter.XYs{}
	for i := range rs {
		if rs[i].TTFTms > 0 {
			n := className(&rs[i])
			by[n] = append(by[n], plotter.XY{X: sent(&rs[i]).Sub(t0).Seconds(), Y: rs[i].TTFTms})
		}
	}
	var out []series
	for i, n := range slices.Sorted(maps.Keys(by)) {
		xys := by[n]
		sort.SliceStable(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		out = append(out, series{name: n, xys: xys, noLine: true, color: i})
		if len(xys) < 3 {
			continue // a line through two points says nothing about a trend
		}
		x, y := make([]float64, len(xys)), make([]float64, len(xys))
		for j, p := range xys {
			x[j], y[j] = p.X, p.Y
		}
		slope, icept, _ := stats.TheilSen(x, y)
		first, last := x[0], x[len(x)-1]
		out = append(out, series{name: n + " trend", noDot: true, color: i,
			xys: plotter.XYs{{X: first, Y: icept + slope*first}, {X: last, Y: icept + slope*last}}})
	}
	return out
}

// latencyCDF is the empirical CDF of end-to-end latency per request class:
// for each latency x, the fraction of the class's requests at or below it.
func latencyCDF(rs []record.Record) []series {
	by := map[string][]float64{}
	for i := range rs {
		if rs[i].E2Ems > 0 {
			n := className(&rs[i])
			by[n] = append(by[n], rs[i].E2Ems)
		}
	}
	var out []series
	for i, n := range slices.Sorted(maps.Keys(by)) {
		vs := by[n]
		sort.Float64s(vs)
		xys := make(plotter.XYs, 0, 2*len(vs))
		for j, v := range vs {
			// A step: flat up to each value, then up by 1/n.
			xys = append(xys, plotter.XY{X: v, Y: float64(j) / float64(len(vs))}, plotter.XY{X: v, Y: float64(j+1) / float64(len(vs))})
		}
		out = append(out, series{name: fmt.Sprintf("%s (n=%d)", n, len(vs)), xys: xys, noDot: true, color: i})
	}
	return out
}

// origin is the time the GPU and /metrics charts count seconds from: the
// run's start.
func origin(m *sidecar.Metrics) time.Time { return m.StartedAt }

func vramSeries(m *sidecar.Metrics) []series {
	if m.GPU == nil || !m.GPU.Available {
		return nil
	}
	names := map[int]string{}
	for _, d := range m.GPU.Devices {
		names[d.Index] = fmt.Sprintf("GPU %d %s", d.Index, d.Name)
	}
	t0 := origin(m)
	by := map[string]plotter.XYs{}
	for _, s := range m.GPU.Samples {
		n := names[s.Index]
		if n == "" {
			n = fmt.Sprintf("GPU %d", s.Index)
		}
		by[n] = append(by[n], plotter.XY{X: s.T.Sub(t0).Seconds(), Y: s.MemUsedMiB})
	}
	var out []series
	for i, n := range slices.Sorted(maps.Keys(by)) {
		xys := by[n]
		sort.SliceStable(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		out = append(out, series{name: n, xys: xys, color: i})
	}
	return out
}

func kvSeries(m *sidecar.Metrics) []series {
	if m.ServerMetrics == nil || len(m.ServerMetrics.Series) == 0 {
		return nil
	}
	t0 := origin(m)
	var xys plotter.XYs
	for _, s := range m.ServerMetrics.Series {
		xys = append(xys, plotter.XY{X: s.T.Sub(t0).Seconds(), Y: s.KVCacheUsage * 100})
	}
	sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
	return []series{{name: "kv_cache_usage", xys: xys}}
}

// slug is a run name as a file-name part: lower case, [a-z0-9-].
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "run"
	}
	return b.String()
}

// Charts writes the SVG charts whose data the run has into dir and returns
// the paths written, in report order: per stability run
// stability-RUN-ttft.svg (TTFT per request with each class's Theil–Sen
// trend) and stability-RUN-latency-cdf.svg (end-to-end latency CDF per
// class); per concurrency run concurrency-RUN-latency-cdf.svg; vram.svg (local GPU
// memory) and kv_cache.svg (vLLM KV-cache usage). A chart without data is
// not written; report.md says which and why.
func Charts(dir string, m *sidecar.Metrics, recs []record.Record) ([]string, error) {
	var written []string
	for _, c := range charts(m, recs) {
		svg, err := renderSVG(c)
		if err != nil {
			return written, fmt.Errorf("chart %s: %w", c.file, err)
		}
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			return written, fmt.Errorf("chart %s: %w", c.file, err)
		}
		written = append(written, path)
	}
	return writeCapacityChart(dir, m, written)
}

func renderSVG(c chart) ([]byte, error) {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = c.xLabel
	p.Y.Label.Text = c.yLabel
	p.Y.Min = 0
	if c.yMax1 {
		p.Y.Max = 1
	}
	p.Add(plotter.NewGrid())
	// The legend gets its own strip right of the data, so it never covers
	// points; its width allows for viewers that substitute a wider font
	// than the Liberation metrics gonum measures with.
	leg := plot.NewLegend()
	leg.Top = true
	leg.Left = true
	for _, s := range c.series {
		col := plotutil.Color(s.color)
		var thumbs []plot.Thumbnailer
		if !s.noLine {
			l, err := plotter.NewLine(s.xys)
			if err != nil {
				return nil, fmt.Errorf("series %s: %w", s.name, err)
			}
			l.Color = col
			if s.noDot {
				l.Width = vg.Points(1.5)
			}
			if strings.HasSuffix(s.name, " trend") {
				l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
				l.Width = vg.Points(2)
			}
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		if !s.noDot {
			pts, err := plotter.NewScatter(s.xys)
			if err != nil {
				return nil, fmt.Errorf("series %s: %w", s.name, err)
			}
			pts.Color = col
			pts.Shape = plotutil.Shape(s.color)
			pts.Radius = vg.Points(2)
			p.Add(pts)
			thumbs = append(thumbs, pts)
		}
		leg.Add(s.name, thumbs...)
	}
	var text vg.Length
	for _, s := range c.series {
		text = max(text, leg.TextStyle.Width(s.name))
	}
	strip := text*1.3 + leg.ThumbnailWidth + 4*leg.Padding + vg.Points(12)
	w, h := 8*vg.Inch+strip, 4*vg.Inch
	canvas := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(false))
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.Draw(draw.Crop(dc, 0, -strip, 0, 0))
	leg.Draw(draw.Crop(dc, 8*vg.Inch+vg.Points(6), 0, -vg.Points(24), 0))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
