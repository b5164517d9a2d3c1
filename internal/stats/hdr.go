package stats

import (
	"errors"
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The sidecar form of a Histogram.
//
// metrics.json keeps each run's latency distributions as HDR histograms in
// HdrHistogram's own V2 compressed encoding (zlib-compressed counts behind
// the V2 cookie 0x1c849304|0x10), base64: the string
// hdrhistogram.Histogram.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
// returns and hdrhistogram.Decode reads, in every HdrHistogram
// implementation (Java, C, Python, Go).
//
// The geometry is fixed (histLowestUs .. histHighestUs, histSigFigs): values
// are integers in thousandths of the figure's unit (µs for a *_ms figure,
// milli-tokens/s for output_tokens_per_s), 1 .. 3.6e9, 3 significant digits.
// One geometry for every histogram is what makes them mergeable by plain
// addition (MergeEncoded; the sharded runs of `merge` add them this way) and
// what bounds their size: at most ~23,000 buckets, so one encoded histogram
// is at most ~22 KiB of base64 whatever the count (measured with every
// bucket filled by a million values; a million log-normal latencies take
// ~9 KiB), and a few hundred bytes for a run of tens of requests. The
// sidecar carries six per load run, so it stays well under a few MB.
//
// What the encoding loses: the exact mean and extremes (DecodeHistogram
// rebuilds them from the buckets, within 0.1 %) and the Clamped and Dropped
// counters.

// Geometry names the fixed HDR geometry of every encoded histogram, for
// documentation and error messages.
const Geometry = "lowest 1, highest 3600000000, 3 significant digits; values in thousandths of the unit"

// ErrGeometry is returned by DecodeHistogram for a histogram of another
// geometry, which cannot be merged or compared with the suite's.
var ErrGeometry = errors.New("hdr histogram of another geometry")

// Encode is h in HdrHistogram's V2 compressed encoding, base64. An empty
// histogram encodes too (to a short string).
func (h *Histogram) Encode() (string, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode hdr histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHistogram reads what Encode wrote. It rejects input that is not an
// encoded HDR histogram, or one of another geometry, and never panics. The
// result's Mean, Min and Max come from the buckets (HDR's own estimates).
func DecodeHistogram(s string) (h *Histogram, err error) {
	defer func() {
		// hdrhistogram-go checks its input, but a corrupt sidecar must
		// never crash a reader.
		if p := recover(); p != nil {
			h, err = nil, fmt.Errorf("decode hdr histogram: corrupt input (%v)", p)
		}
	}()
	d, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode hdr histogram: %w", err)
	}
	if d.LowestTrackableValue() != histLowestUs || d.HighestTrackableValue() != histHighestUs || d.SignificantFigures() != histSigFigs {
		return nil, fmt.Errorf("decode hdr histogram: %w (%d..%d, %d digits; want %s)", ErrGeometry,
			d.LowestTrackableValue(), d.HighestTrackableValue(), d.SignificantFigures(), Geometry)
	}
	h = &Histogram{h: d, n: d.TotalCount()}
	if h.n > 0 {
		h.sum = d.Mean() * float64(h.n) / usPerMs
		h.min = float64(d.Min()) / usPerMs
		h.max = float64(d.Max()) / usPerMs
	}
	return h, nil
}

// MergeEncoded adds the encoded histograms into one, encoded the same way:
// what merging shards or runs does. Empty strings are skipped; with none
// left the result is "".
func MergeEncoded(encoded ...string) (string, error) {
	var sum *Histogram
	for _, s := range encoded {
		if s == "" {
			continue
		}
		h, err := DecodeHistogram(s)
		if err != nil {
			return "", err
		}
		if sum == nil {
			sum = h
			continue
		}
		sum.Merge(h)
	}
	if sum == nil {
		return "", nil
	}
	return sum.Encode()
}

// EncodeAll encodes named histograms for the sidecar (a run's "histograms"
// object: figure name → encoded histogram). Empty histograms are left out.
func EncodeAll(named map[string]*Histogram) (map[string]string, error) {
	out := map[string]string{}
	for name, h := range named {
		if h == nil || h.Count() == 0 {
			continue
		}
		s, err := h.Encode()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = s
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// QuantileInterval is a distribution-free confidence interval for the
// q-quantile of the population h was sampled from, from its order
// statistics: with n values, the interval runs from the value at rank
// n·q − z·√(n·q·(1−q)) to the one at n·q + z·√(n·q·(1−q)) (the normal
// approximation to the binomial; e.g. Conover, Practical Nonparametric
// Statistics, §3.2), ranks clipped to 1..n. z = 1.645 gives a 90 %
// interval. With n = 0 it is {0, 0}.
func (h *Histogram) QuantileInterval(q, z float64) Interval {
	if h.n == 0 {
		return Interval{}
	}
	n := float64(h.n)
	d := z * math.Sqrt(n*q*(1-q))
	lo := math.Max(0, (n*q-d)/n)
	hi := math.Min(1, (n*q+d)/n)
	return Interval{Low: h.Quantile(lo), High: h.Quantile(hi)}
}
