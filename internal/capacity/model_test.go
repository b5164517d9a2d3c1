package capacity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// seedPace is the seed_pace persona (internal/sim/persona.go: ttft=200ms
// itl=30ms noise=0.2 batch_k=16) under the default knobs: 100-token
// answers, SLOs TTFT 2 s and TPOT 100 ms, goodput ratio 0.9.
var seedPace = Model{TTFT: 200 * time.Millisecond, ITL: 30 * time.Millisecond, Noise: 0.2, BatchK: 16, Tokens: 100,
	SLOTTFT: 2 * time.Second, SLOTPOT: 100 * time.Millisecond, MinGoodputRatio: 0.9}

// TestModelFluidLimit: without noise, the model's capacity at a goodput
// ratio of 0.5 is near the fluid limit of docs/capacity.md (in flight
// n* = K(SLO/ITL − 1), Little's law over the request's length at n*),
// which a queue's fluctuations put a little above or below.
func TestModelFluidLimit(t *testing.T) {
	m := Model{TTFT: 50 * time.Millisecond, ITL: 10 * time.Millisecond, BatchK: 16, Tokens: 20,
		SLOTTFT: 2 * time.Second, SLOTPOT: 20 * time.Millisecond, MinGoodputRatio: 0.5}
	mult := 2.0
	nStar := 16 * (mult - 1)
	fluid := nStar / ((0.05 + 19*0.01) * mult)
	got := m.Capacity()
	t.Logf("model %.2f req/s, fluid %.2f req/s", got, fluid)
	assert.InEpsilon(t, fluid, got, 0.1)
}

// TestModelMonotone: at the same rate (and seed), a faster server
// (smaller ITL) or a looser SLO keeps more requests good, a busier one
// fewer.
func TestModelMonotone(t *testing.T) {
	const rate, n = 3.0, 2000
	base := seedPace.GoodputRatio(rate, n, 1)
	faster := seedPace
	faster.ITL = 25 * time.Millisecond
	looser := seedPace
	looser.SLOTPOT = 120 * time.Millisecond
	t.Logf("seed_pace goodput ratio at %.1f req/s: %.3f", rate, base)
	assert.Greater(t, faster.GoodputRatio(rate, n, 1), base)
	assert.Greater(t, looser.GoodputRatio(rate, n, 1), base)
	assert.Less(t, seedPace.GoodputRatio(1.2*rate, n, 1), base)
	assert.Greater(t, base, 0.5)
}

// BenchmarkModelCapacity prints the discrete-event model's capacity of
// the personas scripts/capacity-figures.sh measures (a figure, not a
// timed test): seed_pace under the default knobs, and the batching
// persona of the self-tests at goodput ratios 0.5 and 0.9.
//
//	go test -run '^$' -bench ModelCapacity -benchtime 1x ./internal/capacity
func BenchmarkModelCapacity(b *testing.B) {
	batching := func(k int, ratio float64) Model {
		return Model{TTFT: 50 * time.Millisecond, ITL: 10 * time.Millisecond, BatchK: k, Tokens: 20,
			SLOTTFT: 2 * time.Second, SLOTPOT: 20 * time.Millisecond, MinGoodputRatio: ratio}
	}
	seedShort := seedPace
	seedShort.Tokens = 20
	for _, c := range []struct {
		name string
		m    Model
	}{
		{"seed_pace_defaults", seedPace},
		{"seed_pace_20tokens", seedShort},
		{"batching_k16_r05", batching(16, 0.5)},
		{"batching_k16_r09", batching(16, 0.9)},
		{"batching_k8_r05", batching(8, 0.5)},
		{"batching_k24_r05", batching(24, 0.5)},
		{"batching_k32_r05", batching(32, 0.5)},
		{"batching_k64_r05", batching(64, 0.5)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var got float64
			for range b.N {
				got = c.m.Capacity()
			}
			b.ReportMetric(got, "req/s")
		})
	}
}
