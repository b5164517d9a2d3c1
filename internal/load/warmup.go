package load

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// ClassWarmup is the class of every warm-up request in requests.jsonl:
// a load run's warm-up (Warmup) and a capacity step's. Such lines belong
// to no figure of the run.
const ClassWarmup = record.ClassWarmup

// Warmup folds the warm-up requests of one load run: sent before its
// counted part at the run's own concurrency and request shape, and kept
// out of every figure of the run. The suite's runs and the capacity search
// mark their warm-up requests the same way (ClassWarmup).
type Warmup struct {
	// Waves and Size: Size = Waves × the run's wave (its concurrency).
	Waves, Size int
	agg         *Agg
	first, last time.Time
}

// NewWarmup is a warm-up of waves waves of wave requests each.
func NewWarmup(waves, wave int) *Warmup {
	return &Warmup{Waves: waves, Size: max(waves, 0) * max(wave, 1), agg: NewAgg(Limits{})}
}

// Add marks r as warm-up (Class ClassWarmup) and folds it in.
func (w *Warmup) Add(r *record.Record) {
	r.Class = ClassWarmup
	if w.first.IsZero() || (!r.Start.IsZero() && r.Start.Before(w.first)) {
		w.first = r.Start
	}
	end := r.Start.Add(time.Duration(r.E2Ems * float64(time.Millisecond)))
	if end.After(w.last) {
		w.last = end
	}
	w.agg.Add(r)
}

// Sidecar is the run's "warmup" object; nil when there was none.
func (w *Warmup) Sidecar() *sidecar.Warmup {
	if w == nil || w.Size == 0 {
		return nil
	}
	a := w.agg
	out := &sidecar.Warmup{Waves: w.Waves, Requests: a.Requests + a.Interrupted, Completed: a.Completed,
		Errors: maps.Clone(a.Errors), Interrupted: a.Interrupted,
		TTFTms: a.TTFT.Summary(), TPOTms: a.TPOT.Summary(), E2Ems: a.E2E.Summary()}
	if !w.first.IsZero() && w.last.After(w.first) {
		out.DurationS = w.last.Sub(w.first).Seconds()
	}
	return out
}

// Cold-start rule (docs/methods.md, "Cold start"): the first counted wave
// is markedly slower when, for TTFT or TPOT, the median of its completed
// requests is above ColdStartRatio × the median of the rest AND above the
// rest's p90. Both parts are robust: medians and a quantile, not means,
// so one slow request does not trigger it; the ratio keeps a tight
// distribution (p90 close to p50) from calling a 5 % difference a cold
// start, the p90 keeps a wide one from calling its own spread one.
const (
	ColdStartRatio = 1.5
	// ColdStartMinRest is the fewest completed requests after the first
	// wave for the rule to be applied: a p90 of fewer says nothing.
	ColdStartMinRest = 5
)

// ColdStart watches a run's first counted wave against the rest.
type ColdStart struct {
	wave       int
	useTTFT    bool
	firstTTFT  []float64
	firstTPOT  []float64
	firstGood  int
	firstCount int
	rest       *Agg
}

// NewColdStart watches the first wave counted requests (by planned index)
// against the rest; withTTFT false judges TPOT alone (a conversation,
// whose TTFT grows with its context; a closed loop, whose first wave
// arrives at once while the rest arrive staggered).
func NewColdStart(wave int, lim Limits, withTTFT bool) *ColdStart {
	return &ColdStart{wave: max(wave, 1), useTTFT: withTTFT, rest: NewAgg(lim)}
}

// Add folds in counted request i (0-based, in planned order).
func (c *ColdStart) Add(i int, r *record.Record) {
	if r.ErrorKind.Interrupted() {
		return
	}
	if i >= c.wave {
		c.rest.Add(r)
		return
	}
	c.firstCount++
	if !r.OK() {
		return
	}
	if r.TTFTms > 0 {
		c.firstTTFT = append(c.firstTTFT, r.TTFTms)
	}
	if r.TPOTms > 0 {
		c.firstTPOT = append(c.firstTPOT, r.TPOTms)
	}
	if c.rest.good(r) {
		c.firstGood++
	}
}

// Result is the run's cold_start object, nil when the first wave was not
// markedly slower (or there is too little to tell). goodputFailed says the
// run failed goodput_ratio against minGoodput; the result then says
// whether the requests after the first wave would have passed.
func (c *ColdStart) Result(goodputFailed bool, minGoodput float64) *sidecar.ColdStart {
	if c.rest.Completed < ColdStartMinRest {
		return nil
	}
	var best *sidecar.ColdStart
	try := func(metric string, first []float64, rest *stats.Histogram) {
		if len(first) == 0 || rest.Count() == 0 {
			return
		}
		f := median(first)
		r50, r90 := rest.Quantile(0.5), rest.Quantile(0.9)
		if r50 <= 0 || f <= ColdStartRatio*r50 || f <= r90 {
			return
		}
		if best == nil || f/r50 > best.Ratio {
			best = &sidecar.ColdStart{Requests: c.wave, Metric: metric, FirstP50: f, RestP50: r50, RestP90: r90, Ratio: f / r50}
		}
	}
	if c.useTTFT {
		try(sidecar.HistTTFT, c.firstTTFT, c.rest.TTFT)
	}
	try(sidecar.HistTPOT, c.firstTPOT, c.rest.TPOT)
	if best == nil {
		return nil
	}
	if c.rest.Requests > 0 {
		best.RestGoodputRatio = float64(c.rest.Good) / float64(c.rest.Requests)
	}
	best.ExplainsFailure = goodputFailed && c.rest.Requests > 0 && best.RestGoodputRatio >= minGoodput
	name := "TTFT"
	format := FormatMs
	if best.Metric == sidecar.HistTPOT {
		name, format = "TPOT", FormatMsFine
	}
	best.Detail = fmt.Sprintf("the first %d requests were slower: cold start? (%s p50 %s against %s for the rest, p90 %s)",
		c.wave, name, format(best.FirstP50), format(best.RestP50), format(best.RestP90))
	if goodputFailed {
		best.Detail += fmt.Sprintf("; after them %s met the SLOs", stats.Percent(best.RestGoodputRatio))
	}
	return best
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}
