package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWindowed(t *testing.T) {
	type testCase struct {
		name        string
		k           int
		values      []float64
		want        []Window
		wantWidth   int64
		wantMedians int
		reason      string
	}
	run := func(t *testing.T, tc testCase) {
		w := NewWindowed(tc.k)
		for _, v := range tc.values {
			w.Add(v)
		}
		got := w.Windows()
		require.Len(t, got, len(tc.want))
		for i := range got {
			assert.Equal(t, tc.want[i].Start, got[i].Start, "window %d start", i)
			assert.Equal(t, tc.want[i].End, got[i].End, "window %d end", i)
			assert.Equal(t, tc.want[i].Count, got[i].Count, "window %d count", i)
			assert.InEpsilon(t, tc.want[i].Median, got[i].Median, 0.001, "window %d median", i)
		}
		assert.Equal(t, tc.wantWidth, w.Width())
		assert.Len(t, w.Medians(), tc.wantMedians, "full windows only")
	}
	for _, tc := range []testCase{
		{
			name: "empty", k: 4, wantWidth: 1, want: []Window{},
			reason: "no windows before the first value",
		},
		{
			name: "fewer values than windows: one each", k: 4, values: []float64{10, 20.5, 0.3},
			want:      []Window{{0, 1, 1, 10}, {1, 2, 1, 20.5}, {2, 3, 1, 0.3}},
			wantWidth: 1, wantMedians: 3,
			reason: "a short run keeps every value",
		},
		{
			name: "k = 4, ten values: halved twice", k: 4, values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			// 5th value: 4 full windows -> [0,2) [2,4), width 2; 9th: -> [0,4) [4,8), width 4.
			want:      []Window{{0, 4, 4, 2}, {4, 8, 4, 6}, {8, 10, 2, 9}},
			wantWidth: 4, wantMedians: 2,
			reason: "pairs merge when a (k+1)th window would open; the HDR median is the value at rank round(n/2)",
		},
		{
			name: "NaN takes no index", k: 4, values: []float64{1, math.NaN(), 2},
			want: []Window{{0, 1, 1, 1}, {1, 2, 1, 2}}, wantWidth: 1, wantMedians: 2,
			reason: "a dropped value must not shift the run order",
		},
		{
			name: "odd k rounds up", k: 3, values: []float64{1, 2, 3, 4},
			want: []Window{{0, 1, 1, 1}, {1, 2, 1, 2}, {2, 3, 1, 3}, {3, 4, 1, 4}}, wantWidth: 1, wantMedians: 4,
			reason: "windows must pair off when halving",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestWindowedMillionIsFlat: a million-sample soak keeps at most K windows
// that cover the run without gaps, in bounded memory, and keeps its trend.
func TestWindowedMillionIsFlat(t *testing.T) {
	w := NewWindowed(0)
	const n = 1_000_000
	var at500k int
	for i := range n {
		w.Add(100 + 100*float64(i)/n) // 100 ms rising to 200 ms
		if i == n/2 {
			at500k = w.bytes()
		}
	}
	ws := w.Windows()
	require.LessOrEqual(t, len(ws), DefaultWindows)
	require.Greater(t, len(ws), DefaultWindows/2)
	var next, total int64
	for i, x := range ws {
		assert.Equal(t, next, x.Start, "window %d starts where the last ended", i)
		next = x.End
		total += x.Count
		if i > 0 {
			assert.GreaterOrEqual(t, x.Median, ws[i-1].Median, "window %d keeps the rise", i)
		}
	}
	assert.Equal(t, int64(n), total)
	assert.Equal(t, int64(n), w.Count())
	assert.InEpsilon(t, 100, ws[0].Median, 0.02)
	assert.InEpsilon(t, 200, ws[len(ws)-2].Median, 0.02)

	end := w.bytes()
	t.Logf("windowed histogram storage: %d KiB at 500k samples, %d KiB at 1M", at500k/1024, end/1024)
	assert.Less(t, end, 4<<20, "64 sparse windows stay within a few MiB")
	assert.Less(t, float64(end), 1.5*float64(at500k), "doubling the run does not double the memory")

	d := Degradation(w.Medians(), 0.20)
	assert.False(t, d.Passed, "a 100 %% rise over the soak fails: %s", d.Detail)
	assert.InDelta(t, 1.0, d.Trend, 0.05)
}

// bytes is the storage the windows hold now.
func (w *Windowed) bytes() int {
	total := 0
	for _, win := range w.windows {
		total += win.h.GetMemorySize()
	}
	return total
}
