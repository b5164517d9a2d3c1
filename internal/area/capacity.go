package area

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// CapacitySection fills res (steps, SLOs and costs already in it) with
// what the search sr found: the capacity, its bracket and confidence, the
// checks (capacity, and min_capacity when minCapacity > 0) and the
// verdict by j, the run's judge. One process's search and merge's
// lockstep of the shards' searches both end here.
func CapacitySection(j sidecar.Judge, res sidecar.Capacity, sr capacity.Result, minCapacity float64) sidecar.Capacity {
	res.MaxRatePerS = sr.Capacity
	res.Interval = stats.Interval{Low: sr.Low, High: sr.High}
	res.AtLeast, res.Limited, res.StopReason = sr.AtLeast, sr.Limited, sr.Reason
	res.MinCapacity = minCapacity
	switch {
	case sr.Limited && (sr.AtLeast || sr.Capacity == 0):
		res.Confidence = sidecar.ConfidenceGeneratorLimited
	case sr.AtLeast:
		res.Confidence = sidecar.ConfidenceAtLeast
	case sr.Capacity > 0:
		res.Confidence = sidecar.ConfidenceBracketed
	default:
		res.Confidence = sidecar.ConfidenceNone
	}
	c := sidecar.Check{Name: sidecar.CheckCapacity, Value: sr.Capacity, Passed: sr.Capacity > 0, Detail: CapacityLine(res)}
	if sr.Capacity == 0 && res.Confidence == sidecar.ConfidenceGeneratorLimited {
		c.Detail = "the load generator could not keep up even at the start rate: this machine, not the server, set the figures; " +
			"give the suite more cores or shard the load (ACCEPTANCE_SHARD), or lower ACCEPTANCE_CAPACITY_START_RATE"
	} else if sr.Capacity == 0 && len(res.Steps) > 0 {
		first := res.Steps[0]
		c.Detail += fmt.Sprintf("; the first step, at %s, failed: %s", capacity.FormatRate(first.RatePerS), first.Reason)
	}
	res.Checks = []sidecar.Check{c}
	if floor := minCapacity; floor > 0 {
		mc := sidecar.Check{Name: sidecar.CheckMinCapacity, Value: sr.Capacity, Threshold: floor, Passed: sr.Capacity >= floor}
		mc.Detail = fmt.Sprintf("capacity %s, ACCEPTANCE_MIN_CAPACITY %s", CapacityLine(res), capacity.FormatRate(floor))
		if !mc.Passed && res.Confidence == sidecar.ConfidenceGeneratorLimited {
			mc.Detail += ": the load generator, not the server, stopped the search below the minimum; shard the load (ACCEPTANCE_SHARD) and rerun"
		}
		res.Checks = append(res.Checks, mc)
	}
	res.Verdict = j.RunVerdict(res.Checks)
	return res
}

// CapacityLine is the capacity in words: "32 req/s (passes at 32 req/s,
// fails at 35 req/s)", "at least 64 req/s", "at least 8 req/s; shard the
// load", "0 req/s".
func CapacityLine(c sidecar.Capacity) string {
	switch c.Confidence {
	case sidecar.ConfidenceGeneratorLimited:
		if c.MaxRatePerS == 0 {
			return "unknown: the load generator could not keep up at the start rate; shard the load"
		}
		return fmt.Sprintf("at least %s; shard the load (the load generator could not keep up beyond it)", capacity.FormatRate(c.MaxRatePerS))
	case sidecar.ConfidenceAtLeast:
		return fmt.Sprintf("at least %s (no step failed: %s)", capacity.FormatRate(c.MaxRatePerS), c.StopReason)
	case sidecar.ConfidenceBracketed:
		return fmt.Sprintf("%s (passes at %s, fails at %s)", capacity.FormatRate(c.MaxRatePerS), capacity.FormatRate(c.Interval.Low), capacity.FormatRate(c.Interval.High))
	}
	return "0 req/s"
}

// CapacityStepLine is a capacity step in one line, for TestCapacity's log.
func CapacityStepLine(st sidecar.CapacityStep) string {
	return fmt.Sprintf("step at %.3g req/s: %s, goodput ratio %s, TTFT p99 %s, TPOT p99 %s (%s)",
		st.RatePerS, st.Outcome, units.Percent(st.GoodputRatio), units.Ms(st.TTFTms.P99), units.Ms(st.TPOTms.P99), st.Reason)
}

// CapacityFailure is TestCapacity's failure message: one line per check
// j counts as failed, with what to do. The live test and merge's
// junit.xml print it alike.
func CapacityFailure(j sidecar.Judge, c sidecar.Capacity) string {
	var lines []string
	for _, ch := range j.Failed(c.Checks) {
		line := "capacity: " + ch.Name + " failed: " + ch.Detail
		switch ch.Name {
		case sidecar.CheckCapacity:
			line += " → the server misses the SLOs even at the lowest rate: look at the first step's errors and TTFT/TPOT, " +
				"or lower ACCEPTANCE_CAPACITY_START_RATE"
		case sidecar.CheckMinCapacity:
			line += " → the configuration serves less than required within the SLOs: scale it, tune --max-num-seqs / " +
				"--max-num-batched-tokens, or revisit ACCEPTANCE_MIN_CAPACITY"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "capacity: failed"
	}
	return strings.Join(lines, "\n")
}
