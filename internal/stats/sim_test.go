package stats

import "math/rand/v2"

// simulate is a latency series of n requests in run order:
// base·(1 + growth·i/(n-1))·(1 + U(-noise, noise)), base = 1000 ms, drawn
// from a PCG seeded with seed, so every run of the tests sees the same data.
func simulate(seed uint64, n int, growth, noise float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	const base = 1000.0
	out := make([]float64, n)
	for i := range out {
		trend := 1 + growth*float64(i)/float64(max(n-1, 1))
		out[i] = base * trend * (1 + noise*(2*rng.Float64()-1))
	}
	return out
}

// simulateStep is base·(1+noise) until index at, then base·(1+step)·(1+noise).
func simulateStep(seed uint64, n, at int, step, noise float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]float64, n)
	for i := range out {
		l := 1000.0
		if i >= at {
			l *= 1 + step
		}
		out[i] = l * (1 + noise*(2*rng.Float64()-1))
	}
	return out
}
