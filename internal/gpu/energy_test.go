package gpu

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeEnergy is EnergyDevices whose counters and power the test sets.
type fakeEnergy struct {
	mj      []uint64
	w       []float64
	counter bool
	closed  bool
}

func (f *fakeEnergy) Count() int                    { return len(f.w) }
func (f *fakeEnergy) EnergyMJ(i int) (uint64, bool) { return f.mj[i], f.counter }
func (f *fakeEnergy) PowerW(i int) (float64, bool)  { return f.w[i], true }
func (f *fakeEnergy) Close() error                  { f.closed = true; return nil }

type eclock struct{ t time.Time }

func (c *eclock) now() time.Time { return c.t }

// meter starts a meter whose own ticker never fires within the test: the
// test takes the samples.
func meter(t *testing.T, f *fakeEnergy, c *eclock) *Meter {
	t.Helper()
	return startMeter(context.Background(), f, time.Hour, c.now)
}

func TestMeterReadsTheEnergyCounterAcrossGPUs(t *testing.T) {
	c := &eclock{t: time.Unix(1000, 0)}
	f := &fakeEnergy{mj: []uint64{5_000_000, 7_000_000}, w: []float64{300, 200}, counter: true}
	m := meter(t, f, c)
	// 10 s at 500 W then 10 s at 700 W: 12 kJ by the counters.
	c.t = c.t.Add(10 * time.Second)
	f.w = []float64{400, 300}
	m.sample()
	c.t = c.t.Add(10 * time.Second)
	f.mj = []uint64{5_000_000 + 7_000_000, 7_000_000 + 5_000_000}
	e := m.Stop(4000, 3000)
	require.True(t, e.Available)
	assert.Equal(t, EnergyCounter, e.Source)
	assert.Equal(t, 2, e.GPUs)
	assert.InDelta(t, 12000, *e.Joules, 1e-9, "Δcounter summed over the GPUs, mJ → J")
	assert.InDelta(t, 3.0, *e.JPerOutputToken, 1e-9)
	assert.InDelta(t, 4.0, *e.JPerGoodToken, 1e-9)
	assert.InDelta(t, 600, *e.AvgPowerW, 1e-9, "12 kJ over 20 s")
	assert.InDelta(t, 700, *e.PeakPowerW, 1e-9, "the largest sum over GPUs")
	// Samples at 0, 10, 20 s: 500, 700, 700 W → 6 + 7 kJ by the trapezoid.
	assert.InDelta(t, 13000, *e.IntegratedJoules, 1e-9)
	assert.True(t, f.closed)
	assert.Equal(t, int64(3000), e.GoodTokens)
}

func TestMeterIntegratesPowerWithoutACounter(t *testing.T) {
	c := &eclock{t: time.Unix(0, 0)}
	f := &fakeEnergy{mj: []uint64{0}, w: []float64{100}}
	m := meter(t, f, c)
	for _, w := range []float64{200, 300} {
		c.t = c.t.Add(2 * time.Second)
		f.w[0] = w
		m.sample()
	}
	c.t = c.t.Add(2 * time.Second)
	e := m.Stop(100, 0)
	require.True(t, e.Available)
	assert.Equal(t, EnergyIntegrated, e.Source, "which source was used is said")
	// 100→200→300→300 W at 2 s steps: 300 + 500 + 600 J.
	assert.InDelta(t, 1400, *e.Joules, 1e-9)
	assert.InDelta(t, 14, *e.JPerOutputToken, 1e-9)
	assert.Nil(t, e.JPerGoodToken, "no good token: unknown, not infinite nor zero")
	assert.Contains(t, e.Note, "no good token")
}

func TestMeterWithoutNVMLIsUnknownNeverZero(t *testing.T) {
	m := &Meter{note: "no local GPU: built without cgo", done: closed()}
	e := m.Stop(500, 400)
	assert.False(t, e.Available)
	assert.Nil(t, e.Joules)
	assert.Nil(t, e.JPerOutputToken)
	assert.Nil(t, e.JPerGoodToken)
	assert.Nil(t, e.AvgPowerW)
	assert.Contains(t, e.Note, "no local GPU")
	assert.Equal(t, int64(500), e.OutputTokens, "the tokens are still recorded")

	// One power sample and no counter: nothing to integrate.
	c := &eclock{t: time.Unix(0, 0)}
	e = meter(t, &fakeEnergy{mj: []uint64{0}, w: []float64{100}}, c).Stop(1, 1)
	assert.False(t, e.Available)
	assert.Nil(t, e.Joules)

	e = startMeter(context.Background(), &fakeEnergy{}, time.Second, c.now).Stop(1, 1)
	assert.False(t, e.Available)
	assert.Contains(t, e.Note, "no devices")
}
