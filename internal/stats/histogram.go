package stats

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The range and precision every Histogram and Windowed window records with.
// Values are recorded in whole microseconds, so a latency keeps sub-ms
// precision; 3 significant digits bound the quantile error at 0.1 %.
const (
	histLowestUs  = 1             // 1 µs
	histHighestUs = 3_600_000_000 // 1 h
	histSigFigs   = 3             // relative error <= 0.1 %
	usPerMs       = 1000.0        // values arrive in ms
	histLowestMs  = histLowestUs / usPerMs
	histHighestMs = histHighestUs / usPerMs
)

// Histogram summarizes a stream of latencies in milliseconds in constant
// memory (an HDR histogram of microseconds, 1 µs .. 1 h, 3 significant
// digits; 184 KiB, whatever the count). Count, Mean and Max are exact;
// quantiles come from the HDR buckets (within 0.1 %, never above Max nor
// below the smallest value). Values outside 1 µs .. 1 h are recorded at the
// nearer edge and counted by Clamped; NaN is dropped and counted by Dropped.
// Mean and Max use the values as given, before clamping.
//
// The zero value is not usable: use NewHistogram. Not safe for concurrent
// use.
type Histogram struct {
	h        *hdr.Histogram
	n        int64
	sum      float64
	min, max float64
	clamped  int64
	dropped  int64
}

// NewHistogram makes an empty Histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdr.New(histLowestUs, histHighestUs, histSigFigs)}
}

// toUs converts ms to the recorded microseconds, clamped to the range; ok
// is false when v had to be clamped.
func toUs(ms float64) (us int64, ok bool) {
	switch {
	case ms < histLowestMs:
		return histLowestUs, false
	case ms > histHighestMs:
		return histHighestUs, false
	}
	return int64(math.Round(ms * usPerMs)), true
}

// Add records one value in milliseconds.
func (h *Histogram) Add(ms float64) {
	if math.IsNaN(ms) {
		h.dropped++
		return
	}
	us, ok := toUs(ms)
	if !ok {
		h.clamped++
	}
	// us is in range by construction, so RecordValue cannot fail.
	_ = h.h.RecordValue(us)
	if h.n == 0 || ms < h.min {
		h.min = ms
	}
	if h.n == 0 || ms > h.max {
		h.max = ms
	}
	h.n++
	h.sum += ms
}

// Merge adds every value recorded in other to h. other is unchanged.
func (h *Histogram) Merge(other *Histogram) {
	if other == nil || other.n == 0 && other.dropped == 0 {
		return
	}
	// Same geometry on both sides: nothing can be dropped.
	h.h.Merge(other.h)
	if other.n > 0 {
		if h.n == 0 || other.min < h.min {
			h.min = other.min
		}
		if h.n == 0 || other.max > h.max {
			h.max = other.max
		}
	}
	h.n += other.n
	h.sum += other.sum
	h.clamped += other.clamped
	h.dropped += other.dropped
}

// Count is the number of values recorded (NaN excluded).
func (h *Histogram) Count() int64 { return h.n }

// Clamped is the number of values outside 1 µs .. 1 h, recorded at the
// nearer edge of that range.
func (h *Histogram) Clamped() int64 { return h.clamped }

// Dropped is the number of NaN values given to Add, which are not recorded.
func (h *Histogram) Dropped() int64 { return h.dropped }

// Quantile is the q-quantile (0 <= q <= 1) in ms: the upper edge of the HDR
// bucket where the cumulative count reaches round(q·n), clipped to the exact
// minimum and maximum. 0 when empty.
func (h *Histogram) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	v := float64(h.h.ValueAtQuantile(q*100)) / usPerMs
	return min(max(v, h.min), h.max)
}

// Summary is the {n, mean, p50, p90, p99, max} of everything recorded.
func (h *Histogram) Summary() Summary {
	if h.n == 0 {
		return Summary{}
	}
	return Summary{
		N:    int(h.n),
		Mean: h.sum / float64(h.n),
		P50:  h.Quantile(0.50),
		P90:  h.Quantile(0.90),
		P99:  h.Quantile(0.99),
		Max:  h.max,
	}
}
