package compare

import "github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"

// UnitJoules is joules per good token.
const UnitJoules = "J/token"

// EnergyTolerance is energy.*: the largest acceptable increase of joules
// per good token, as a ratio (0.10 = 10 %).
type EnergyTolerance struct {
	MaxIncrease float64 `yaml:"max_increase" json:"max_increase"`
}

// energyRows compares joules per good token of each concurrency run: a
// ratio row (ratioRow: Welch t on per-run logs with 3 runs or more in
// all; one run per side has no distribution to form an interval from, so
// the row says inconclusive). Advisory: energy is measured only where the
// suite runs on the GPU host. A run without the figure (no NVML) gives
// no sample: unknown, never zero.
func energyRows(base, cand []*sidecar.Metrics, tol EnergyTolerance) []Row {
	get := func(ms []*sidecar.Metrics, name string) []sample {
		var out []sample
		for _, r := range concurrencyRunsNamed(ms, name) {
			if e := r.Energy; e != nil && e.JPerGoodToken != nil && *e.JPerGoodToken > 0 {
				out = append(out, sample{v: *e.JPerGoodToken})
			}
		}
		return out
	}
	var rows []Row
	for _, n := range concurrencyRunNames(base, cand) {
		r := ratioRow("concurrency.runs["+n+"].energy.j_per_good_token", UnitJoules, get(base, n), get(cand, n), tol.MaxIncrease, 0, true, true)
		if r.Metric != "" {
			rows = append(rows, r)
		}
	}
	return rows
}
