package stats

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewHistogram()
	for range 5000 {
		h.Add(200 * math.Exp(0.3*rng.NormFloat64()))
	}
	s, err := h.Encode()
	require.NoError(t, err)

	// The string is HdrHistogram's own encoding: the library decodes it.
	raw, err := hdr.Decode([]byte(s))
	require.NoError(t, err, "hdrhistogram.Decode reads what Encode wrote")
	assert.Equal(t, h.Count(), raw.TotalCount())

	d, err := DecodeHistogram(s)
	require.NoError(t, err)
	want, got := h.Summary(), d.Summary()
	assert.Equal(t, want.N, got.N)
	for _, q := range []struct {
		name string
		w, g float64
	}{
		{"p50", want.P50, got.P50}, {"p90", want.P90, got.P90}, {"p99", want.P99, got.P99},
		{"mean", want.Mean, got.Mean}, {"max", want.Max, got.Max},
	} {
		assert.InDelta(t, q.w, q.g, 0.002*q.w, "%s survives the encoding within the 3-digit precision", q.name)
	}
}

func TestMergeEncodedAddsCounts(t *testing.T) {
	a, b, all := NewHistogram(), NewHistogram(), NewHistogram()
	for i := range 1000 {
		v := float64(i%97 + 1)
		all.Add(v)
		if i%3 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	ea, err := a.Encode()
	require.NoError(t, err)
	eb, err := b.Encode()
	require.NoError(t, err)
	m, err := MergeEncoded(ea, "", eb)
	require.NoError(t, err)
	d, err := DecodeHistogram(m)
	require.NoError(t, err)
	assert.Equal(t, all.Count(), d.Count(), "merging adds counts")
	assert.Equal(t, all.Summary().P90, d.Summary().P90, "and gives the quantiles of the union")

	empty, err := MergeEncoded("", "")
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestDecodeHistogramRejects(t *testing.T) {
	other := hdr.New(1, 1000, 2)
	require.NoError(t, other.RecordValue(5))
	otherEnc, err := other.Encode(hdr.V2CompressedEncodingCookieBase)
	require.NoError(t, err)
	good, err := NewHistogram().Encode()
	require.NoError(t, err)
	for _, tc := range []struct{ name, in, reason string }{
		{"empty", "", "nothing to decode"},
		{"not base64", "not base64!", "a hand-edited sidecar"},
		{"short", base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), "shorter than the header"},
		{"truncated", good[:len(good)/2], "a sidecar cut mid-string"},
		{"other geometry", string(otherEnc), "cannot be merged with the suite's histograms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeHistogram(tc.in)
			assert.Error(t, err, tc.reason)
		})
	}
}

// TestEncodedSizeIsBounded: a million-request soak must not grow the sidecar
// past a few MB. The worst case spreads values over every bucket of the
// range; a real latency distribution fills a few hundred.
func TestEncodedSizeIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a million values")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	wide, real := NewHistogram(), NewHistogram()
	for range 1_000_000 {
		wide.Add(math.Exp(rng.Float64()*math.Log(histHighestMs/histLowestMs)) * histLowestMs)
		real.Add(200 * math.Exp(0.5*rng.NormFloat64()))
	}
	sw, err := wide.Encode()
	require.NoError(t, err)
	sr, err := real.Encode()
	require.NoError(t, err)
	t.Logf("encoded sizes: every bucket %d bytes, log-normal latencies %d bytes", len(sw), len(sr))
	assert.Less(t, len(sw), 32<<10, "worst case: every bucket of the geometry filled")
	assert.Less(t, len(sr), 16<<10, "a million latencies of one server")
}

func TestQuantileInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Coverage over many draws: the 90 % interval of the median of 50
	// exponential values holds the true median about 90 % of the time.
	const draws = 2000
	trueMedian := math.Ln2 * 100
	hit := 0
	for range draws {
		h := NewHistogram()
		for range 50 {
			h.Add(rng.ExpFloat64() * 100)
		}
		iv := h.QuantileInterval(0.5, 1.645)
		if iv.Low <= trueMedian && trueMedian <= iv.High {
			hit++
		}
	}
	cov := float64(hit) / draws
	assert.InDelta(t, 0.90, cov, 0.04, "coverage %.3f", cov)
	assert.Equal(t, Interval{}, NewHistogram().QuantileInterval(0.5, 1.645))
}
