package toolverdict

import (
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// ModelRate is the verdict on a model-check rate, passed of attempts,
// against min: "fail" when the upper end of the Wilson 95 % interval is
// below min, that is when the data show beyond chance that the rate is
// lower than a healthy model's; "pass" otherwise; "none" without attempts.
//
// The rule errs towards passing on little data on purpose: a model that
// is wrong in 1 call in 20 passes run after run, and one wrong in 1 call
// in 3 fails on the run-wide rate (docs/verdicts.md, "Model-check rates").
func ModelRate(passed, attempts int, min float64) sidecar.Rate {
	r := sidecar.Rate{Attempts: attempts, Passed: passed, Min: min, CI95: stats.Wilson(passed, attempts), Verdict: sidecar.VerdictNone}
	if attempts == 0 {
		return r
	}
	r.Rate = float64(passed) / float64(attempts)
	r.Verdict = sidecar.VerdictPass
	if r.CI95.High < min-1e-12 {
		r.Verdict = sidecar.VerdictFail
	}
	return r
}
