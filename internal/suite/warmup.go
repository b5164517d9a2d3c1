package suite

import (
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
)

// warmUp drains a load run's warm-up stream: every request is written to
// requests.jsonl with class "warmup" and folded into w, never into the
// run's figures.
func (r *Run) warmUp(test, scenario string, w *load.Warmup, ch <-chan load.Result) {
	if w.Size == 0 {
		for range ch {
		}
		return
	}
	r.Logf("%s %s: warm-up, %d requests not counted (ACCEPTANCE_WARMUP_WAVES=%d)", strings.ToLower(strings.TrimPrefix(strings.SplitN(test, "/", 2)[0], "Test")), scenario, w.Size, w.Waves)
	for res := range ch {
		r.warmRecord(test, scenario, w, res)
	}
	r.warmErrors(scenario, w)
}

// warmRecord writes one warm-up request to requests.jsonl (class
// "warmup") and folds it into w.
func (r *Run) warmRecord(test, scenario string, w *load.Warmup, res load.Result) {
	rec := res.Record
	rec.Test, rec.Scenario, rec.Attempt = test, scenario, res.I+1
	w.Add(&rec)
	rec.Content, rec.Reasoning = "", ""
	r.Record(&rec)
}

// warmErrors logs a warm-up's failed requests, which count nowhere else.
func (r *Run) warmErrors(scenario string, w *load.Warmup) {
	if s := w.Sidecar(); s != nil && s.Requests > s.Completed+s.Interrupted {
		r.Logf("%s: %d of %d warm-up requests failed (%s); they are not counted", scenario, s.Requests-s.Completed-s.Interrupted, s.Requests, load.ErrorsString(s.Errors))
	}
}
