package gpu

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// fakeReader plays back a script of used-memory values, one per Sample,
// repeating the last one when the script runs out.
type fakeReader struct {
	mu     sync.Mutex
	devs   []device
	used   [][]float64 // used[call][device]
	calls  int
	err    error
	closed bool
}

func (f *fakeReader) Devices() []device { return f.devs }

func (f *fakeReader) Sample() ([]reading, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	row := f.used[min(f.calls, len(f.used)-1)]
	f.calls++
	out := make([]reading, len(f.devs))
	for i, d := range f.devs {
		out[i] = reading{Index: d.Index, MemUsedMiB: row[i], UtilPct: 50, TempC: 40 + float64(f.calls), PowerW: 100}
	}
	return out, f.err
}

func (f *fakeReader) Close() error { f.closed = true; return nil }

var h100 = device{Index: 0, Name: "NVIDIA H100 80GB HBM3", UUID: "GPU-test", MemTotalMiB: 81559}

// clock is a fake time source stepped by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// runScript starts a monitor over the fake reader with a ticker far slower
// than the test, feeds it len(script) samples by hand and stops it.
func runScript(t *testing.T, cfg Config, devs []device, script [][]float64) (sidecar.GPU, *fakeReader) {
	t.Helper()
	f := &fakeReader{devs: devs, used: script}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg.Interval = time.Hour // no tick fires during the test
	m := start(context.Background(), cfg, func() (reader, error) { return f, nil }, c.now)
	for i := 1; i < len(script)-1; i++ {
		c.step(cfg.Interval)
		m.sample()
	}
	c.step(cfg.Interval)
	return m.Stop(), f // Stop takes the script's last sample
}

func check(t *testing.T, g sidecar.GPU, name string) sidecar.Check {
	t.Helper()
	for _, c := range g.Checks {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "check missing", "%s not in %+v", name, g.Checks)
	return sidecar.Check{}
}

func TestMonitorChecks(t *testing.T) {
	type testCase struct {
		name       string
		script     [][]float64
		growthPass bool
		growthSkip bool
		maxPass    bool
		reason     string
	}
	run := func(t *testing.T, tc testCase) {
		g, f := runScript(t, Config{}, []device{h100}, tc.script)
		require.True(t, g.Available)
		assert.True(t, f.closed, "reader closed at Stop")
		assert.Len(t, g.Samples, len(tc.script))
		growth, mx := check(t, g, sidecar.CheckVRAMGrowth), check(t, g, sidecar.CheckVRAMMax)
		assert.Equal(t, tc.growthPass, growth.Passed, "vram_growth: %s (%+v)", tc.reason, growth)
		assert.Equal(t, tc.growthSkip, growth.Skipped, "vram_growth skipped")
		assert.Equal(t, tc.maxPass, mx.Passed, "vram_max: %s (%+v)", tc.reason, mx)
		assert.False(t, mx.Skipped)
	}
	for _, tc := range []testCase{
		{
			name: "steady", reason: "vLLM preallocates; used memory stays flat",
			script:     [][]float64{{73000}, {73100}, {73050}, {73000}},
			growthPass: true, maxPass: true,
		},
		{
			name: "growth", reason: "8 GiB of 80 (10 %) growth is over 5 %",
			script:     [][]float64{{60000}, {64000}, {66000}, {68192}},
			growthPass: false, maxPass: true,
		},
		{
			name: "growth below threshold", reason: "2 GiB (2.5 %) is within 5 %",
			script:     [][]float64{{60000}, {61000}, {62048}},
			growthPass: true, maxPass: true,
		},
		{
			name: "over 95 percent", reason: "78000/81559 = 95.6 % breaks vram_max even with no growth",
			script:     [][]float64{{78000}, {78000}, {78000}},
			growthPass: true, maxPass: false,
		},
		{
			name: "spike then release", reason: "max counts even when memory comes back",
			script:     [][]float64{{70000}, {80000}, {70000}},
			growthPass: true, maxPass: false,
		},
		{
			name: "too short for growth", reason: "two samples cannot show a trend; growth skipped, max still judged",
			script:     [][]float64{{10000}, {40000}},
			growthPass: true, growthSkip: true, maxPass: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestMonitorDeviceSummary(t *testing.T) {
	second := device{Index: 1, Name: "NVIDIA H100 80GB HBM3", MemTotalMiB: 81559}
	g, _ := runScript(t, Config{}, []device{h100, second}, [][]float64{
		{1000, 70000}, {1500, 70000}, {1200, 79000}, {1100, 70000},
	})
	require.Len(t, g.Devices, 2)
	d := g.Devices[0]
	assert.Equal(t, 1000.0, d.MemUsedFirstMiB)
	assert.Equal(t, 1100.0, d.MemUsedLastMiB)
	assert.Equal(t, 1500.0, d.MemUsedMaxMiB)
	assert.Equal(t, 50.0, d.UtilMeanPct)
	assert.Equal(t, 44.0, d.TempMaxC)
	assert.Equal(t, 100.0, d.PowerMaxW)
	assert.Len(t, g.Samples, 8, "4 samples × 2 devices")

	mx := check(t, g, sidecar.CheckVRAMMax)
	assert.False(t, mx.Passed, "device 1 reached 79000/81559 = 96.9 %%")
	assert.InDelta(t, 79000.0/81559, mx.Value, 1e-9)
	assert.Contains(t, mx.Detail, "GPU 1", "the worst device is named")
}

func TestMonitorUnavailable(t *testing.T) {
	type testCase struct {
		name string
		open func() (reader, error)
		note string
	}
	run := func(t *testing.T, tc testCase) {
		m := start(context.Background(), Config{}, tc.open, time.Now)
		g := m.Stop()
		assert.False(t, g.Available)
		assert.Equal(t, tc.note, g.Note)
		assert.Empty(t, g.Devices)
		assert.Empty(t, g.Samples)
		require.Len(t, g.Checks, 2)
		for _, c := range g.Checks {
			assert.True(t, c.Skipped, c.Name)
			assert.True(t, c.Passed, "a missing GPU is noted, never failed: %s", c.Name)
		}
		assert.Equal(t, g, m.Stop(), "Stop is idempotent")
	}
	for _, tc := range []testCase{
		{
			name: "no driver",
			open: func() (reader, error) { return nil, errors.New("libnvidia-ml.so.1 not found") },
			note: "no local GPU: libnvidia-ml.so.1 not found",
		},
		{
			name: "no cgo",
			open: func() (reader, error) { return nil, errNoCgo },
			note: "no local GPU: built without cgo",
		},
		{
			name: "no devices",
			open: func() (reader, error) { return &fakeReader{}, nil },
			note: "no local GPU: NVML reports no devices",
		},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestMonitorNoGPUHere runs the real opener: on a machine without the NVIDIA
// driver (CI, laptops) it must come back unavailable, never fail or hang.
func TestMonitorNoGPUHere(t *testing.T) {
	g := Start(context.Background(), 10*time.Millisecond).Stop()
	if g.Available {
		t.Skip("this machine has a GPU; the unavailable path is covered by TestMonitorUnavailable")
	}
	assert.Contains(t, g.Note, "no local GPU: ")
}

func TestMonitorSampleErrorsAreNoted(t *testing.T) {
	f := &fakeReader{devs: []device{h100}, used: [][]float64{{1000}}, err: errors.New("GPU 0 power: Not Supported")}
	m := start(context.Background(), Config{Interval: time.Hour}, func() (reader, error) { return f, nil }, time.Now)
	g := m.Stop()
	require.True(t, g.Available)
	assert.Contains(t, g.Note, "power: Not Supported")
	assert.NotEmpty(t, g.Samples, "readings that came with the error are kept")
}

func TestMonitorSeriesIsBounded(t *testing.T) {
	const n, maxSamples = 1000, 64
	script := make([][]float64, n)
	for i := range script {
		script[i] = []float64{float64(i)}
	}
	g, _ := runScript(t, Config{MaxSamples: maxSamples}, []device{h100}, script)
	assert.LessOrEqual(t, len(g.Samples), maxSamples)
	assert.GreaterOrEqual(t, len(g.Samples), maxSamples/2, "thinning keeps at least half the budget")
	assert.Equal(t, 0.0, g.Samples[0].MemUsedMiB, "series starts at the run's start")
	assert.Equal(t, float64(n-1), g.Samples[len(g.Samples)-1].MemUsedMiB, "and ends at its end")
	for i := 1; i < len(g.Samples); i++ {
		require.True(t, g.Samples[i].T.After(g.Samples[i-1].T), "samples stay in time order")
	}
	// Summaries see every sample, not only the kept ones.
	assert.Equal(t, float64(n-1), g.Devices[0].MemUsedMaxMiB)
}

// TestMonitorTicks uses the real ticker briefly, so the background loop and
// Stop's hand-over are exercised (run with -race).
func TestMonitorTicks(t *testing.T) {
	f := &fakeReader{devs: []device{h100}, used: [][]float64{{1000}}}
	m := start(context.Background(), Config{Interval: 5 * time.Millisecond}, func() (reader, error) { return f, nil }, time.Now)
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls >= 4
	}, 2*time.Second, time.Millisecond)
	g := m.Stop()
	assert.GreaterOrEqual(t, len(g.Samples), 4)
	assert.False(t, check(t, g, sidecar.CheckVRAMGrowth).Skipped)
}

// TestMonitorStopSkipsRepeat: a tick just before Stop already marks the end;
// Stop must not add a copy of it.
func TestMonitorStopSkipsRepeat(t *testing.T) {
	f := &fakeReader{devs: []device{h100}, used: [][]float64{{1000}}}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m := start(context.Background(), Config{Interval: time.Hour}, func() (reader, error) { return f, nil }, c.now)
	c.step(time.Hour)
	m.sample()
	c.step(time.Minute)
	g := m.Stop()
	assert.Len(t, g.Samples, 2)
	assert.Equal(t, 2, f.calls)
}
