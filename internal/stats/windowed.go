package stats

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultWindows is the number of windows a Windowed keeps unless told.
const DefaultWindows = 64

// Windowed is a latency series in bounded memory, for soaks too long to keep
// every value. Consecutive samples go into windows of equal width (1 sample
// at first), each a sparse HDR histogram with Histogram's range and
// precision. When a new window would make more than K, adjacent pairs are
// merged first (windows 0+1, 2+3, ...), so there are K/2 windows of twice the
// width, and new windows take the doubled width. Memory is therefore at most
// K sparse histograms, whatever the number of samples, and the series keeps
// its shape: a trend over the run is a trend over the windows.
//
// While fewer than K samples have come, every window holds exactly one
// sample, so a short run keeps every value (to HDR precision, 0.1 %).
// Not safe for concurrent use.
type Windowed struct {
	k       int
	width   int64 // samples per window
	n       int64
	windows []*window
}

type window struct {
	start int64
	h     *hdr.PackedHistogram
}

// Window describes one window of a Windowed: the samples with run indexes
// Start <= i < End (0-based, in the order added), their count and median.
type Window struct {
	Start  int64   `json:"start"`
	End    int64   `json:"end"`
	Count  int64   `json:"count"`
	Median float64 `json:"median"`
}

// NewWindowed makes an empty series of at most k windows; k <= 0 means
// DefaultWindows, and an odd k is rounded up so that windows pair off.
func NewWindowed(k int) *Windowed {
	if k <= 0 {
		k = DefaultWindows
	}
	k = max(k+k%2, 2)
	return &Windowed{k: k, width: 1, windows: make([]*window, 0, k)}
}

// Add appends one value in ms. NaN is ignored (it takes no index); values
// out of 1 µs .. 1 h are recorded at the nearer edge, as in Histogram.
func (w *Windowed) Add(ms float64) {
	if math.IsNaN(ms) {
		return
	}
	if len(w.windows) == 0 || w.windows[len(w.windows)-1].h.TotalCount() == w.width {
		if len(w.windows) == w.k {
			w.halve()
		}
		w.windows = append(w.windows, &window{
			start: w.n,
			h:     hdr.NewPacked(histLowestUs, histHighestUs, histSigFigs),
		})
	}
	us, _ := toUs(ms)
	_ = w.windows[len(w.windows)-1].h.RecordValue(us) // in range by construction
	w.n++
}

// halve merges adjacent pairs of the k full windows and doubles the width.
func (w *Windowed) halve() {
	for i := 0; i < len(w.windows)/2; i++ {
		a, b := w.windows[2*i], w.windows[2*i+1]
		a.h.Merge(b.h) // same geometry: nothing is dropped
		a.h.Compact()
		w.windows[i] = a
	}
	half := len(w.windows) / 2
	clear(w.windows[half:])
	w.windows = w.windows[:half]
	w.width *= 2
}

// Count is the number of values added.
func (w *Windowed) Count() int64 { return w.n }

// Width is the number of samples a full window holds now (1, then doubling).
func (w *Windowed) Width() int64 { return w.width }

// Windows describes the windows in run order. Every window but the last is
// full (Width samples); the last may hold fewer. A median is the HDR one:
// the value at rank round(count/2), to 0.1 % (no interpolation between the
// two middle values of an even count).
func (w *Windowed) Windows() []Window {
	out := make([]Window, len(w.windows))
	for i, win := range w.windows {
		c := win.h.TotalCount()
		out[i] = Window{
			Start:  win.start,
			End:    win.start + c,
			Count:  c,
			Median: float64(win.h.ValueAtPercentile(50)) / usPerMs,
		}
	}
	return out
}

// Medians is the medians of the full windows in run order: the series to
// hand to Degradation for a long soak, one point per Width samples. A
// partial last window is left out once windows hold more than one sample:
// it would weigh a few samples like a full window. Those are under 2/K of
// the run.
func (w *Windowed) Medians() []float64 {
	ws := w.Windows()
	out := make([]float64, 0, len(ws))
	for _, x := range ws {
		if x.Count == w.width {
			out = append(out, x.Median)
		}
	}
	return out
}
