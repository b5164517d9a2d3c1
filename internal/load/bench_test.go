package load

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// BenchmarkAggregate1M drives a million synthetic stability records through
// the aggregation path the suite uses (StabilityAgg.Add, then requests.jsonl
// through a record.Writer) and reports what stays on the heap per request
// (B/req-retained, after a GC, with the aggregator still live) and the
// peak heap seen (MB-heap). Both must stay flat as the run grows: the
// aggregator keeps histograms and bounded series, never the records.
//
//	go test -run '^$' -bench Aggregate1M -benchtime 1x ./internal/load
func BenchmarkAggregate1M(b *testing.B) {
	const n = 1_000_000
	itl := make([]float64, 16)
	for i := range itl {
		itl[i] = 20 + float64(i%5)
	}
	for b.Loop() {
		w, err := record.Create(filepath.Join(b.TempDir(), "requests.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before, peak := ms.HeapAlloc, ms.HeapAlloc
		allocBefore, inuse := ms.TotalAlloc, ms.HeapInuse

		s := NewStabilityAgg(Limits{MinSuccessRate: 0.95, MaxDegradation: 0.2, SLOTTFTms: 2000, SLOTPOTms: 100})
		start := time.Now()
		for i := range n {
			class, e2e := "short", 800.0+float64(i%97)
			if i%2 == 1 {
				class, e2e = "long", 20000+float64(i%89)*10
			}
			rec := record.Record{
				Test: "TestStability/alternating", Scenario: "alternating", Class: class, Attempt: i + 1,
				Start: start, Stream: true, Status: 200, TTFTms: 150 + float64(i%31), TTFOms: 150 + float64(i%31),
				E2Ems: e2e, TPOTms: 25, ITLms: itl, Chunks: 17, PromptTokens: 30, CompletionTokens: 100 + i%800,
				FinishReason: "length", MaxTokens: 900, Content: "synthetic answer text",
			}
			if i%1000 == 999 {
				rec = record.Record{Class: class, Attempt: i + 1, Status: 500, ErrorKind: record.ErrHTTP, Error: "boom", E2Ems: 3}
			}
			s.Add(class, &rec)
			rec.Content = ""
			if err := w.Write(&rec); err != nil {
				b.Fatal(err)
			}
			if i%50_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak, inuse = max(peak, ms.HeapAlloc), max(inuse, ms.HeapInuse)
			}
		}
		run := s.Run("alternating", time.Since(start))
		if run.Requests != n || w.Count() != n {
			b.Fatalf("requests %d, lines %d, want %d", run.Requests, w.Count(), n)
		}
		runtime.ReadMemStats(&ms)
		peak, inuse = max(peak, ms.HeapAlloc), max(inuse, ms.HeapInuse)
		total := ms.TotalAlloc - allocBefore
		runtime.GC()
		runtime.ReadMemStats(&ms)
		retained := float64(int64(ms.HeapAlloc)-int64(before)) / n
		runtime.KeepAlive(s)
		_ = w.Close()
		b.ReportMetric(max(retained, 0), "B/req-retained")
		b.ReportMetric(float64(peak)/(1<<20), "MB-heap")
		// Added for bench/results.md: the peak of HeapInuse (spans in use,
		// sampled like MB-heap) and everything allocated over the million.
		b.ReportMetric(float64(inuse)/(1<<20), "MB-heap-inuse")
		b.ReportMetric(float64(total)/(1<<20), "MB-alloc-total")
		b.ReportMetric(float64(total)/n, "B/req-alloc")
	}
}
