package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// millionLatencies is a million log-normal latencies around 800 ms with a
// slow 20 % rise, the shape of a long soak.
func millionLatencies() []float64 {
	rng := rand.New(rand.NewPCG(42, 42))
	out := make([]float64, 1_000_000)
	for i := range out {
		out[i] = 800 * (1 + 0.2*float64(i)/float64(len(out))) * math.Exp(0.3*rng.NormFloat64())
	}
	return out
}

// BenchmarkHistogramMillion adds a million values to a Histogram and a
// Windowed, as a soak's aggregation would. B/request is what is allocated per
// value added (the fixed histograms spread over a million); KiB-kept is the
// storage the two hold at the end, which does not grow with the run.
func BenchmarkHistogramMillion(b *testing.B) {
	values := millionLatencies()
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	var kept int
	for b.Loop() {
		h, w := NewHistogram(), NewWindowed(0)
		for _, v := range values {
			h.Add(v)
			w.Add(v)
		}
		if h.Summary().N != len(values) || len(w.Windows()) > DefaultWindows {
			b.Fatal("lost values")
		}
		kept = h.h.ByteSize() + w.bytes()
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/float64(len(values)), "B/request")
	b.ReportMetric(float64(kept)/1024, "KiB-kept")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(values)), "ns/request")
}

// BenchmarkDegradation is one class's verdict at the sizes the suite sees.
func BenchmarkDegradation(b *testing.B) {
	for _, n := range []int{10, 64, 300} {
		series := simulate(1, n, 0.4, 0.1)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				Degradation(series, 0.2)
			}
		})
	}
}
