package shard

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// MergeCapacity folds the shards' capacity searches (TestCapacity run in
// every shard, each sending 1/N of every step's rate) into the search of
// the whole run.
//
// Each shard decides each step on its own share of the requests, so near
// the capacity two shards can decide a step differently and their searches
// part. While every shard ran the same rates in the same order (in
// lockstep), a step's requests add up to the step a single process would
// have sent at the total rate, and the merged step is judged on all of them
// by the rule a single process uses (capacity.Criteria.Judge): a step
// passes when the whole run's goodput and error rate are within the SLOs,
// whatever each shard decided. A step a shard's load generator could not
// keep up with is "limited", one a shard stopped early (saturation) is
// "saturated", and one a shard's stop cut is "not_judged", as in one
// process: capacity.Criteria.Decide is the one rule. The steps after the searches part ran at
// no planned total rate, so the merged search ends where lockstep ends, and
// its StopReason says so.
//
// The counts, errors and load generators of a merged step add up; its
// TTFT and TPOT are the slowest shard's (the union's percentiles lie
// between the shards', so these are upper bounds); the server's /metrics
// are shard 0's (one server). Nil when no part ran a search; the one part
// itself when only one did.
func MergeCapacity(j sidecar.Judge, parts []*sidecar.Capacity) *sidecar.Capacity {
	parts = slices.DeleteFunc(slices.Clone(parts), func(c *sidecar.Capacity) bool { return c == nil })
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	first := parts[0]
	if len(first.Steps) == 0 || first.Idle == nil {
		return first // refused before any step: every shard refuses alike
	}
	crit := capacity.Criteria{MinGoodputRatio: first.SLOs.MinGoodputRatio, MaxErrorRate: first.SLOs.MaxErrorRate}
	out := sidecar.Capacity{
		SLOs: first.SLOs, Idle: first.Idle, MinCapacity: first.MinCapacity, Shards: len(parts),
		Steps: []sidecar.CapacityStep{},
	}
	if first.Probe != nil {
		p := *first.Probe
		out.Probe = &p // every shard scales its probe to the whole; shard 0's stands
	}
	search := capacity.New(capacity.Bounds{})
	n := lockstep(parts)
	for i := range n {
		st := mergeStep(parts, i, crit, first.SLOs.TTFTms)
		out.Steps = append(out.Steps, st)
		search.Record(capacity.Step{Rate: st.RatePerS, Outcome: capacity.Outcome(st.Outcome)})
	}
	for _, p := range parts {
		out.Requests += p.Requests
		out.DurationS = max(out.DurationS, p.DurationS)
	}
	sr := search.Result()
	sr.Reason = first.StopReason
	if parted := partedAt(parts, n); parted != "" {
		sr.Reason = parted
	}
	merged := capacity.Section(j, out, sr, first.MinCapacity)
	return &merged
}

// lockstep is how many leading steps every part ran at the same rates.
func lockstep(parts []*sidecar.Capacity) int {
	n := len(parts[0].Steps)
	for _, p := range parts[1:] {
		k := 0
		for k < min(n, len(p.Steps)) && sameRate(p.Steps[k].RatePerS, parts[0].Steps[k].RatePerS) {
			k++
		}
		n = k
	}
	return n
}

func sameRate(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }

// partedAt says where the searches parted after n steps in lockstep, ""
// when they never did.
func partedAt(parts []*sidecar.Capacity, n int) string {
	var next []string
	parted := false
	for i, p := range parts {
		if len(p.Steps) != n {
			parted = true
		}
		if n < len(p.Steps) {
			next = append(next, fmt.Sprintf("shard %d went on to %s", i, capacity.FormatRate(p.Steps[n].RatePerS)))
		} else {
			next = append(next, fmt.Sprintf("shard %d stopped (%s)", i, p.StopReason))
		}
	}
	if !parted {
		return ""
	}
	return fmt.Sprintf("the shards' searches parted after %d steps in lockstep (%s): each decides a step on its own share, "+
		"and near the capacity shares disagree; the capacity is from the steps every shard ran together. "+
		"A narrower search (ACCEPTANCE_CAPACITY_START_RATE near the capacity) keeps them together", n, strings.Join(next, "; "))
}

// mergeStep adds up step i of every part and judges the sum by the one
// rule (capacity.Criteria.Decide): a step any shard's stop cut is not
// judged, one any shard's load generator could not keep up with is
// limited, one any shard stopped early failed (a shard that stopped
// sending left the step below its total rate), else the summed counts
// decide.
func mergeStep(parts []*sidecar.Capacity, i int, crit capacity.Criteria, sloTTFTms float64) sidecar.CapacityStep {
	st := sidecar.CapacityStep{RatePerS: parts[0].Steps[i].RatePerS, Errors: map[string]int{}, Server: parts[0].Steps[i].Server}
	var gens []sidecar.Generator
	var slowest *sidecar.CapacityStep
	var lost, saturated []string
	facts := capacity.Facts{}
	for k, p := range parts {
		s := p.Steps[i]
		st.Warmup += s.Warmup
		st.Planned += s.Planned
		st.Sent += s.Sent
		st.Late += s.Late
		st.Completed += s.Completed
		st.Good += s.Good
		for e, c := range s.Errors {
			st.Errors[e] += c
		}
		st.DurationS = max(st.DurationS, s.DurationS)
		st.StoppedEarly = st.StoppedEarly || s.StoppedEarly
		if s.Generator != nil {
			gens = append(gens, *s.Generator)
		}
		if slowest == nil || s.TTFTms.P99 > slowest.TTFTms.P99 {
			slowest = &p.Steps[i]
		}
		switch {
		case s.Outcome == string(capacity.NotJudged):
			facts.Interrupted = true
		case s.Outcome == string(capacity.Limited) && facts.Limited == "":
			facts.Limited = fmt.Sprintf("shard %d: %s", k, s.Reason)
		case s.StoppedEarly && s.Outcome == string(capacity.Saturated):
			saturated = append(saturated, fmt.Sprintf("shard %d %s", k, s.Reason))
		case s.StoppedEarly:
			lost = append(lost, fmt.Sprintf("shard %d %s", k, s.Reason))
		}
	}
	st.TTFTms, st.TPOTms = slowest.TTFTms, slowest.TPOTms
	st.TTFTms.N, st.TPOTms.N = 0, 0
	for _, p := range parts {
		st.TTFTms.N += p.Steps[i].TTFTms.N
		st.TPOTms.N += p.Steps[i].TPOTms.N
	}
	errs := 0
	for _, c := range st.Errors {
		errs += c
	}
	facts.Tally = capacity.Tally{Planned: st.Planned, Sent: st.Sent, Good: st.Good, Errors: errs, Late: st.Late}
	if n := facts.Tally.Judged(); n > 0 {
		st.GoodputRatio = float64(st.Good) / float64(n)
		iv := stats.Wilson(st.Good, n)
		st.GoodputCI95 = &iv
	}
	st.Goodput = st.RatePerS * st.GoodputRatio
	if len(gens) > 0 {
		if g, err := load.MergeGenerators(gens, st.DurationS); err == nil {
			gc := load.GeneratorCheckAt(&g, load.LagLimit(time.Duration(sloTTFTms*float64(time.Millisecond)), st.TTFTms.P50))
			st.Generator = &g
			st.Checks = []sidecar.Check{gc}
			if !gc.Passed && facts.Limited == "" {
				facts.Limited = gc.Detail
			}
		}
	}
	if len(saturated) > 0 {
		facts.Saturated = strings.Join(append(saturated, lost...), "; ")
	} else if len(lost) > 0 {
		facts.Lost = strings.Join(lost, "; ")
	}
	outcome, why := crit.Decide(facts)
	st.Outcome, st.Reason = string(outcome), why
	return st
}
