package load

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// SeriesWindows bounds the windows a stability class keeps per latency for
// the degradation estimate (stats.Windowed: exact up to this many requests
// per class, window medians beyond).
const SeriesWindows = stats.DefaultWindows

// Limits are the thresholds a run is judged by.
type Limits struct {
	MinSuccessRate float64
	MaxDegradation float64
	// SLOTTFTms and SLOTPOTms define goodput; 0 leaves that SLO out.
	SLOTTFTms float64
	SLOTPOTms float64
}

// ErrorKey is the key a failed request is counted under in errors{}:
// "http_<status>" when the server answered non-2xx, else the client's
// error kind ("timeout", "unreachable", "stream", ...). "" for success.
func ErrorKey(r *record.Record) string {
	switch {
	case r.OK():
		return ""
	case r.Status != 0 && (r.Status < 200 || r.Status >= 300):
		return fmt.Sprintf("http_%d", r.Status)
	case r.ErrorKind != "":
		return string(r.ErrorKind)
	default:
		return "unknown"
	}
}

// Agg folds the records of one run, or one class of a run, into counts
// and HDR histograms. Its memory does not grow with the number of records.
// Latency histograms take successful requests only: a failed request's
// timing says how it failed, not how fast the server serves.
type Agg struct {
	// Requests counts the requests judged: every one sent except those
	// the suite itself interrupted.
	Requests  int
	Completed int
	Timeouts  int
	Errors    map[string]int
	// Interrupted counts requests the suite ended itself (SIGINT/SIGTERM,
	// the test binary's deadline: record.ErrorKind.Interrupted). They are
	// in neither Requests nor Errors: an interruption is not the server's
	// failure, and its success and error rates leave them out.
	Interrupted int
	// Good counts completed requests meeting every SLO of the Limits given
	// to NewAgg (vllm bench serve's goodput).
	Good         int
	OutputTokens int64

	TTFT, TTFO, E2E, TPOT, ITL, TokS *stats.Histogram

	lim Limits
}

// NewAgg makes an empty aggregator; lim's SLOs decide what counts as Good.
func NewAgg(lim Limits) *Agg {
	return &Agg{
		Errors: map[string]int{},
		TTFT:   stats.NewHistogram(), TTFO: stats.NewHistogram(), E2E: stats.NewHistogram(),
		TPOT: stats.NewHistogram(), ITL: stats.NewHistogram(), TokS: stats.NewHistogram(),
		lim: lim,
	}
}

// Add folds one record in.
func (a *Agg) Add(r *record.Record) {
	if r.ErrorKind.Interrupted() {
		a.Interrupted++
		return
	}
	a.Requests++
	if k := ErrorKey(r); k != "" {
		a.Errors[k]++
		if r.ErrorKind == record.ErrTimeout {
			a.Timeouts++
		}
		return
	}
	a.Completed++
	a.OutputTokens += int64(r.CompletionTokens)
	a.E2E.Add(r.E2Ems)
	if r.TTFTms > 0 {
		a.TTFT.Add(r.TTFTms)
	}
	if r.TTFOms > 0 {
		a.TTFO.Add(r.TTFOms)
	}
	if r.TPOTms > 0 {
		a.TPOT.Add(r.TPOTms)
	}
	for _, g := range r.ITLms {
		a.ITL.Add(g)
	}
	if v := r.OutputTokensPerS(); v > 0 {
		a.TokS.Add(v)
	}
	if a.good(r) {
		a.Good++
	}
}

// good is vllm bench serve's is_good_req: every SLO set is met, inclusive
// (slo >= value). As there, TPOT is 0 for answers of fewer than 2 tokens.
func (a *Agg) good(r *record.Record) bool {
	if a.lim.SLOTTFTms > 0 && r.TTFTms > a.lim.SLOTTFTms {
		return false
	}
	if a.lim.SLOTPOTms > 0 && r.TPOTms > a.lim.SLOTPOTms {
		return false
	}
	return true
}

// Histograms are the run's latency distributions in the sidecar's
// mergeable form (stats.EncodeAll: HdrHistogram V2 compressed, base64),
// keyed by figure name; empty ones are left out. Encoding cannot fail on
// the suite's own histograms; if it ever did, the run keeps its summaries
// and loses only the distributions, which compare then says it lacks.
func (a *Agg) Histograms() map[string]string {
	h, err := stats.EncodeAll(map[string]*stats.Histogram{
		sidecar.HistTTFT: a.TTFT, sidecar.HistTTFO: a.TTFO, sidecar.HistE2E: a.E2E,
		sidecar.HistTPOT: a.TPOT, sidecar.HistITL: a.ITL, sidecar.HistTokS: a.TokS,
	})
	if err != nil {
		return nil
	}
	return h
}

// SuccessRate is Completed/Requests, 0 with no requests.
func (a *Agg) SuccessRate() float64 {
	if a.Requests == 0 {
		return 0
	}
	return float64(a.Completed) / float64(a.Requests)
}

// ErrorCount is the number of failed requests.
func (a *Agg) ErrorCount() int { return a.Requests - a.Completed }

// Progress is the running line printed every ProgressEvery requests, e.g.
// "10/20 done, p50 e2e 812ms p99 1.9s, errors 0".
func (a *Agg) Progress(total int) string {
	s := a.E2E.Summary()
	line := fmt.Sprintf("%d/%d done, p50 e2e %s p99 %s, errors %d", a.Requests, total, units.Ms(s.P50), units.Ms(s.P99), a.ErrorCount())
	if a.ErrorCount() > 0 {
		line += " (" + ErrorsString(a.Errors) + ")"
	}
	return line
}

// ErrorsString is "http_500=2, timeout=1", keys sorted.
func ErrorsString(errs map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

// SuccessCheck judges Completed/Requests against lim.MinSuccessRate. A run
// with no request at all fails: nothing was shown to work.
func (a *Agg) SuccessCheck(lim Limits) sidecar.Check {
	c := sidecar.Check{Name: sidecar.CheckSuccessRate, Value: a.SuccessRate(), Threshold: lim.MinSuccessRate}
	c.Passed = a.Requests > 0 && c.Value >= c.Threshold
	c.Detail = fmt.Sprintf("%d of %d requests completed", a.Completed, a.Requests)
	if a.ErrorCount() > 0 {
		c.Detail += "; errors: " + ErrorsString(a.Errors)
	}
	if a.Interrupted > 0 {
		c.Detail += fmt.Sprintf("; %d interrupted by the suite, not counted", a.Interrupted)
	}
	if a.Requests == 0 {
		c.Detail = "no request was sent"
		if a.Interrupted > 0 {
			// Nothing ended on its own: no evidence either way.
			return sidecar.NotRunCheck(sidecar.CheckSuccessRate, 0, lim.MinSuccessRate,
				fmt.Sprintf("%sno request finished: %d interrupted by the suite", sidecar.NotRunPrefix, a.Interrupted))
		}
	}
	return c
}

// StabilityAgg aggregates a stability run: the whole run, and each request
// class on its own with its latency series for the degradation estimate.
type StabilityAgg struct {
	All     *Agg
	classes map[string]*classAgg
	order   []string
	lim     Limits
}

type classAgg struct {
	agg       *Agg
	e2e, ttft *stats.Windowed
}

// NewStabilityAgg makes an empty stability aggregator.
func NewStabilityAgg(lim Limits) *StabilityAgg {
	return &StabilityAgg{All: NewAgg(lim), classes: map[string]*classAgg{}, lim: lim}
}

// Add folds in one request of class.
func (s *StabilityAgg) Add(class string, r *record.Record) {
	s.All.Add(r)
	c := s.classes[class]
	if c == nil {
		c = &classAgg{agg: NewAgg(s.lim), e2e: stats.NewWindowed(SeriesWindows), ttft: stats.NewWindowed(SeriesWindows)}
		s.classes[class] = c
		s.order = append(s.order, class)
	}
	c.agg.Add(r)
	if r.OK() {
		c.e2e.Add(r.E2Ems)
		if r.TTFTms > 0 {
			c.ttft.Add(r.TTFTms)
		}
	}
}

// Run is the sidecar's view of the run so far, with the success_rate and
// degradation checks. Degradation is estimated within each class, never
// across classes (a long answer is not a slow short one), on e2e_ms; the
// run's figure is its worst class. dur is the run's wall time.
func (s *StabilityAgg) Run(name string, dur time.Duration) sidecar.StabilityRun {
	a := s.All
	run := sidecar.StabilityRun{
		Name: name, Requests: a.Requests, Completed: a.Completed, Timeouts: a.Timeouts,
		Errors: maps.Clone(a.Errors), Interrupted: a.Interrupted, SuccessRate: a.SuccessRate(), MinSuccessRate: s.lim.MinSuccessRate,
		DurationS: dur.Seconds(),
		TTFTms:    a.TTFT.Summary(), TTFOms: a.TTFO.Summary(), E2Ems: a.E2E.Summary(),
		TPOTms: a.TPOT.Summary(), ITLms: a.ITL.Summary(), OutputTokensPerS: a.TokS.Summary(),
		Histograms: a.Histograms(),
		Classes:    []sidecar.ClassStats{},
	}
	var worst *sidecar.Degradation
	for _, name := range s.order {
		c := s.classes[name]
		cs := sidecar.ClassStats{
			Name: name, Requests: c.agg.Requests, Completed: c.agg.Completed,
			TTFTms: c.agg.TTFT.Summary(), E2Ems: c.agg.E2E.Summary(), TPOTms: c.agg.TPOT.Summary(),
			OutputTokensPerS: c.agg.TokS.Summary(),
			Degradation:      Degrade(c.e2e.Medians(), s.lim.MaxDegradation, "e2e_ms", name),
		}
		td := Degrade(c.ttft.Medians(), s.lim.MaxDegradation, "ttft_ms", name)
		cs.TTFTDegradation = &td
		run.Classes = append(run.Classes, cs)
		d := cs.Degradation
		if worst == nil || worse(d, *worst) {
			worst = &d
		}
	}
	if worst != nil {
		run.Degradation = *worst
	} else {
		run.Degradation = sidecar.Degradation{Threshold: s.lim.MaxDegradation, Metric: "e2e_ms", Detail: "no completed request"}
	}
	dc := sidecar.Check{Name: sidecar.CheckDegradation, Passed: worst != nil && run.Degradation.Passed,
		Value: run.Degradation.Value, Threshold: s.lim.MaxDegradation, Detail: run.Degradation.Detail}
	if worst != nil {
		dc.Detail = fmt.Sprintf("%s class, %s", run.Degradation.Class, run.Degradation.Method)
		if d := run.Degradation.Detail; d != "" {
			dc.Detail += ": " + d
		}
	}
	run.Checks = []sidecar.Check{a.SuccessCheck(s.lim), dc}
	// No verdict here: the suite and merge add checks, then the run's
	// own judge (sidecar.Judge, ACCEPTANCE_FAIL_UNKNOWN) gives it.
	return run
}

// worse orders degradations: a failed one before a passed one, then the
// larger value.
func worse(a, b sidecar.Degradation) bool {
	if a.Passed != b.Passed {
		return !a.Passed
	}
	return a.Value > b.Value
}

// Degrade runs stats.Degradation on one class's series of one metric.
func Degrade(series []float64, threshold float64, metric, class string) sidecar.Degradation {
	d := stats.Degradation(series, threshold)
	return sidecar.Degradation{
		Value: d.Value, Threshold: threshold, Method: d.Method, Passed: d.Passed,
		Metric: metric, Class: class, WindowRatio: d.WindowRatio, Trend: d.Trend, TrendCI: d.TrendCI,
		Detail: d.Detail,
	}
}

// ConcurrencyRun is the sidecar's view of a closed- or open-loop run, with the
// success_rate and goodput_ratio checks. Throughputs are over dur, the
// wall time from the first send to the last answer. Goodput follows vllm
// bench serve (benchmarks/serve.py, calculate_metrics): good requests,
// those completed with ttft <= SLO and tpot <= SLO, per second of dur.
// GoodputRatio is good requests over all requests sent, failures included,
// so errors count against it.
func (a *Agg) ConcurrencyRun(name string, dur time.Duration, minGoodputRatio float64) sidecar.ConcurrencyRun {
	lr := sidecar.ConcurrencyRun{
		Name: name, Requests: a.Requests, Completed: a.Completed, Timeouts: a.Timeouts,
		Errors: maps.Clone(a.Errors), Interrupted: a.Interrupted, DurationS: dur.Seconds(),
		SLOTTFTms: a.lim.SLOTTFTms, SLOTPOTms: a.lim.SLOTPOTms,
		TTFTms: a.TTFT.Summary(), TPOTms: a.TPOT.Summary(), E2Ems: a.E2E.Summary(),
		Histograms: a.Histograms(),
	}
	if s := dur.Seconds(); s > 0 {
		lr.RequestThroughput = float64(a.Completed) / s
		lr.OutputThroughput = float64(a.OutputTokens) / s
		lr.Goodput = float64(a.Good) / s
	}
	if a.Requests > 0 {
		lr.GoodputRatio = float64(a.Good) / float64(a.Requests)
	}
	lr.Good, lr.OutputTokens = a.Good, a.OutputTokens
	gc := sidecar.Check{Name: sidecar.CheckGoodputRatio, Value: lr.GoodputRatio, Threshold: minGoodputRatio,
		Passed: a.Requests > 0 && lr.GoodputRatio >= minGoodputRatio,
		Detail: fmt.Sprintf("%d of %d requests met TTFT <= %s and TPOT <= %s (goodput %.2f req/s); p99 TTFT %s, p99 TPOT %s",
			a.Good, a.Requests, units.Ms(a.lim.SLOTTFTms), units.Ms(a.lim.SLOTPOTms), lr.Goodput,
			units.Ms(lr.TTFTms.P99), units.Ms(lr.TPOTms.P99))}
	lr.Checks = []sidecar.Check{a.SuccessCheck(a.lim), gc}
	// No verdict here: the suite and merge add checks, then the run's
	// own judge (sidecar.Judge, ACCEPTANCE_FAIL_UNKNOWN) gives it.
	return lr
}
