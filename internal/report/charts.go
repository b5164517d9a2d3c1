package report

import (
	"bytes"
	"fmt"
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
)

// series is one named line of a chart.
type series struct {
	name string
	xys  plotter.XYs
}

// chartSpec is one chart: its file, what it shows, and how to get its data
// (nil or empty when absent, and the chart is then skipped).
type chartSpec struct {
	file, title, xLabel, yLabel string
	absent                      string // why it is skipped, for report.md
	data                        func(m *sidecar.Metrics, recs []record.Record) []series
}

func (c chartSpec) has(m *sidecar.Metrics, recs []record.Record) bool {
	return len(c.data(m, recs)) > 0
}

var chartSpecs = []chartSpec{
	{
		file: "ttft.svg", title: "TTFT over the run", xLabel: "seconds since start", yLabel: "TTFT (ms)",
		absent: "no streamed request with a TTFT in requests.jsonl",
		data: func(m *sidecar.Metrics, recs []record.Record) []series {
			return recordSeries(m, recs, func(r *record.Record) (float64, bool) { return r.TTFTms, r.TTFTms > 0 })
		},
	},
	{
		file: "throughput.svg", title: "Output tokens/s over the run", xLabel: "seconds since start", yLabel: "output tokens/s per request",
		absent: "no completed request with output tokens in requests.jsonl",
		data: func(m *sidecar.Metrics, recs []record.Record) []series {
			return recordSeries(m, recs, func(r *record.Record) (float64, bool) {
				v := r.OutputTokensPerS()
				return v, v > 0
			})
		},
	},
	{
		file: "vram.svg", title: "GPU memory used", xLabel: "seconds since start", yLabel: "memory used (MiB)",
		absent: "no local GPU samples (the server may run on another host)",
		data:   vramSeries,
	},
	{
		file: "kv_cache.svg", title: "KV-cache usage", xLabel: "seconds since start", yLabel: "KV-cache usage (%)",
		absent: "no vLLM /metrics series",
		data:   kvSeries,
	},
}

// seriesName groups records into lines: the area (the top-level test
// without "Test") and the request class, e.g. "stability/short".
func seriesName(r *record.Record) string {
	area := strings.ToLower(strings.TrimPrefix(topTest(r.Test), "Test"))
	if area == "" {
		area = r.Scenario
	}
	if r.Class == "" {
		return area
	}
	return area + "/" + r.Class
}

// origin is the time charts count seconds from: the run's start, or the
// first record's when the sidecar has none.
func origin(m *sidecar.Metrics, recs []record.Record) time.Time {
	if m != nil && !m.StartedAt.IsZero() {
		return m.StartedAt
	}
	var t0 time.Time
	for _, r := range recs {
		if !r.Start.IsZero() && (t0.IsZero() || r.Start.Before(t0)) {
			t0 = r.Start
		}
	}
	return t0
}

func recordSeries(m *sidecar.Metrics, recs []record.Record, y func(*record.Record) (float64, bool)) []series {
	t0 := origin(m, recs)
	by := map[string]plotter.XYs{}
	for i := range recs {
		r := &recs[i]
		if !r.OK() {
			continue
		}
		v, ok := y(r)
		if !ok {
			continue
		}
		start := r.Start
		if !r.Scheduled.IsZero() {
			start = r.Scheduled
		}
		n := seriesName(r)
		by[n] = append(by[n], plotter.XY{X: start.Sub(t0).Seconds(), Y: v})
	}
	return sortedSeries(by)
}

func vramSeries(m *sidecar.Metrics, _ []record.Record) []series {
	if m == nil || m.GPU == nil || !m.GPU.Available {
		return nil
	}
	names := map[int]string{}
	for _, d := range m.GPU.Devices {
		names[d.Index] = fmt.Sprintf("GPU %d %s", d.Index, d.Name)
	}
	t0 := origin(m, nil)
	by := map[string]plotter.XYs{}
	for _, s := range m.GPU.Samples {
		n := names[s.Index]
		if n == "" {
			n = fmt.Sprintf("GPU %d", s.Index)
		}
		by[n] = append(by[n], plotter.XY{X: s.T.Sub(t0).Seconds(), Y: s.MemUsedMiB})
	}
	return sortedSeries(by)
}

func kvSeries(m *sidecar.Metrics, _ []record.Record) []series {
	if m == nil || m.ServerMetrics == nil || len(m.ServerMetrics.Series) == 0 {
		return nil
	}
	t0 := origin(m, nil)
	var xys plotter.XYs
	for _, s := range m.ServerMetrics.Series {
		xys = append(xys, plotter.XY{X: s.T.Sub(t0).Seconds(), Y: s.KVCacheUsage * 100})
	}
	sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
	return []series{{name: "kv_cache_usage", xys: xys}}
}

func sortedSeries(by map[string]plotter.XYs) []series {
	var out []series
	for _, n := range slices.Sorted(maps.Keys(by)) {
		xys := by[n]
		sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
		out = append(out, series{name: n, xys: xys})
	}
	return out
}

// Charts writes the SVG charts whose data the run has into dir and returns
// the paths written, in a fixed order: ttft.svg (TTFT per request class over
// the run), throughput.svg (output tokens/s per request), vram.svg (local
// GPU memory), kv_cache.svg (vLLM KV-cache usage). A chart without data is
// skipped; report.md says which and why.
func Charts(dir string, m *sidecar.Metrics, recs []record.Record) ([]string, error) {
	var written []string
	for _, c := range chartSpecs {
		ss := c.data(m, recs)
		if len(ss) == 0 {
			continue
		}
		svg, err := renderSVG(c, ss)
		if err != nil {
			return written, fmt.Errorf("chart %s: %w", c.file, err)
		}
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			return written, fmt.Errorf("chart %s: %w", c.file, err)
		}
		written = append(written, path)
	}
	return written, nil
}

func renderSVG(c chartSpec, ss []series) ([]byte, error) {
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = c.xLabel
	p.Y.Label.Text = c.yLabel
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	// The legend gets its own strip right of the data, so it never covers
	// points; its width allows for viewers that substitute a wider font
	// than the Liberation metrics gonum measures with.
	leg := plot.NewLegend()
	leg.Top = true
	leg.Left = true
	for i, s := range ss {
		l, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", s.name, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		pts.Color = plotutil.Color(i)
		pts.Shape = plotutil.Shape(i)
		pts.Radius = vg.Points(2)
		p.Add(l, pts)
		leg.Add(s.name, l, pts)
	}
	var text vg.Length
	for _, s := range ss {
		text = max(text, leg.TextStyle.Width(s.name))
	}
	strip := text*1.3 + leg.ThumbnailWidth + 4*leg.Padding + vg.Points(12)
	canvas := vgsvg.NewWith(vgsvg.UseWH(8*vg.Inch+strip, 4*vg.Inch), vgsvg.EmbedFonts(false))
	dc := draw.New(canvas)
	p.Draw(draw.Crop(dc, 0, -strip, 0, 0))
	leg.Draw(draw.Crop(dc, 8*vg.Inch+vg.Points(6), 0, -vg.Points(24), 0))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
