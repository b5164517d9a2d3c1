package compare

import "github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"

// SpecDecodeTolerance is spec_decode.*: the largest acceptable drop of the
// speculative-decoding acceptance rate (accepted / draft tokens).
type SpecDecodeTolerance struct {
	AcceptanceRateMaxDrop float64 `yaml:"acceptance_rate_max_drop" json:"acceptance_rate_max_drop"`
}

// specDecodeRows compares each concurrency run's speculative-decoding
// acceptance rate from vLLM's own counters (server_view.spec_decode):
// accepted of draft tokens pooled over a side's runs, a rate row
// (Newcombe). Advisory: draft tokens of one step are not independent
// trials, so the interval is narrower than the truth. Runs without
// speculative decoding give no row.
func specDecodeRows(base, cand []*sidecar.Metrics, tol SpecDecodeTolerance) []Row {
	pool := func(ms []*sidecar.Metrics, name string) (k, n int) {
		for _, r := range concurrencyRunsNamed(ms, name) {
			if v := r.ServerView; v != nil && v.SpecDecode != nil {
				k += int(v.SpecDecode.AcceptedTokens)
				n += int(v.SpecDecode.DraftTokens)
			}
		}
		return k, n
	}
	var rows []Row
	for _, n := range concurrencyRunNames(base, cand) {
		kb, nb := pool(base, n)
		kc, nc := pool(cand, n)
		r := rateRow("concurrency.runs["+n+"].server_view.spec_decode.acceptance_rate", kb, nb, kc, nc, tol.AcceptanceRateMaxDrop, true, true, 0)
		if r.Metric != "" {
			rows = append(rows, r)
		}
	}
	return rows
}
