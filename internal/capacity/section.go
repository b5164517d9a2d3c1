package capacity

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// Section fills res (steps, SLOs and costs already in it) with
// what the search sr found: the capacity, its bracket and confidence, the
// checks (capacity, and min_capacity when minCapacity > 0) and the
// verdict by j, the run's judge. One process's search and merge's
// lockstep of the shards' searches both end here.
func Section(j sidecar.Judge, res sidecar.Capacity, sr Result, minCapacity float64) sidecar.Capacity {
	res.MaxRatePerS = sr.Capacity
	res.Interval = stats.Interval{Low: sr.Low, High: sr.High}
	res.AtLeast, res.Limited, res.StopReason = sr.AtLeast, sr.Limited, sr.Reason
	res.MinCapacity = minCapacity
	switch {
	case sr.Interrupted:
		res.Confidence = sidecar.ConfidenceInterrupted
	case sr.Limited && (sr.AtLeast || sr.Capacity == 0):
		res.Confidence = sidecar.ConfidenceGeneratorLimited
	case sr.AtLeast:
		res.Confidence = sidecar.ConfidenceAtLeast
	case sr.Capacity > 0:
		res.Confidence = sidecar.ConfidenceBracketed
	default:
		res.Confidence = sidecar.ConfidenceNone
	}
	c := sidecar.Check{Name: sidecar.CheckCapacity, Value: sr.Capacity, Passed: sr.Capacity > 0, Detail: Line(res)}
	if sr.Interrupted && sr.Capacity == 0 {
		// Cut before any step passed: nothing measured, nothing failed.
		c.Skipped, c.NotRun = true, true
		c.Detail = sidecar.NotRunPrefix + "the suite's own stop cut the search before any step passed (" + sr.Reason + ")"
	} else if sr.Capacity == 0 && res.Confidence == sidecar.ConfidenceGeneratorLimited {
		// The client, not the server, set every figure: the server was not
		// measured, so the search is not run (the gate cannot vouch for
		// it, and it is never the server's failure to "miss the SLOs even
		// at the lowest rate").
		c.Skipped, c.NotRun = true, true
		c.Detail = sidecar.NotRunPrefix + "the load generator could not keep up even at the start rate: this machine, not the server, set the figures; " +
			"give the suite more cores or shard the load (ACCEPTANCE_SHARD), or lower ACCEPTANCE_CAPACITY_START_RATE"
	} else if sr.Capacity == 0 && len(res.Steps) > 0 {
		first := res.Steps[0]
		c.Detail += fmt.Sprintf("; the first step, at %s, failed: %s", FormatRate(first.RatePerS), first.Reason)
	}
	res.Checks = []sidecar.Check{c}
	if floor := minCapacity; floor > 0 {
		mc := sidecar.Check{Name: sidecar.CheckMinCapacity, Value: sr.Capacity, Threshold: floor, Passed: sr.Capacity >= floor}
		mc.Detail = fmt.Sprintf("capacity %s, ACCEPTANCE_MIN_CAPACITY %s", Line(res), FormatRate(floor))
		if !mc.Passed && sr.Interrupted {
			// The search was stopped below the floor: the rates that
			// would have reached it were never judged.
			mc.Skipped, mc.NotRun = true, true
			mc.Detail = sidecar.NotRunPrefix + mc.Detail + ": the suite's own stop cut the search below the minimum"
		}
		if !mc.Passed && res.Confidence == sidecar.ConfidenceGeneratorLimited {
			mc.Detail += ": the load generator, not the server, stopped the search below the minimum; shard the load (ACCEPTANCE_SHARD) and rerun"
		}
		res.Checks = append(res.Checks, mc)
	}
	if sr.Interrupted {
		// The search did not run to its end: the rest of it is not run
		// (unknown), never a pass or a failure of the server.
		res.Checks = append(res.Checks, sidecar.Check{Name: sidecar.CheckSearch, Skipped: true, NotRun: true,
			Detail: sidecar.NotRunPrefix + "the search was stopped before its end: " + sr.Reason})
	}
	res.Verdict = j.RunVerdict(res.Checks)
	return res
}

// Line is the capacity in words: "32 req/s (passes at 32 req/s,
// fails at 35 req/s)", "at least 64 req/s", "at least 8 req/s; shard the
// load", "at least 2.5 req/s (interrupted)", "0 req/s".
func Line(c sidecar.Capacity) string {
	switch c.Confidence {
	case sidecar.ConfidenceInterrupted:
		if c.MaxRatePerS == 0 {
			return "not judged (interrupted before any step passed)"
		}
		return fmt.Sprintf("at least %s (interrupted)", FormatRate(c.MaxRatePerS))
	case sidecar.ConfidenceGeneratorLimited:
		if c.MaxRatePerS == 0 {
			return "unknown: the load generator could not keep up at the start rate; shard the load"
		}
		return fmt.Sprintf("at least %s; shard the load (the load generator could not keep up beyond it)", FormatRate(c.MaxRatePerS))
	case sidecar.ConfidenceAtLeast:
		return fmt.Sprintf("at least %s (no step failed: %s)", FormatRate(c.MaxRatePerS), c.StopReason)
	case sidecar.ConfidenceBracketed:
		return fmt.Sprintf("%s (passes at %s, fails at %s)", FormatRate(c.MaxRatePerS), FormatRate(c.Interval.Low), FormatRate(c.Interval.High))
	}
	return "0 req/s"
}

// StepLine is a capacity step in one line, for TestCapacity's log.
func StepLine(st sidecar.CapacityStep) string {
	return fmt.Sprintf("step at %.3g req/s: %s, goodput ratio %s, TTFT p99 %s, TPOT p99 %s (%s)",
		st.RatePerS, st.Outcome, units.Percent(st.GoodputRatio), units.Ms(st.TTFTms.P99), units.Ms(st.TPOTms.P99), st.Reason)
}

// Failure is TestCapacity's failure message: one line per check
// j counts as failed, with what to do. The live test and merge's
// junit.xml print it alike.
func Failure(j sidecar.Judge, c sidecar.Capacity) string {
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
		// No check failed by name (a verdict read from an older file):
		// the search's own words say why.
		return "capacity: failed: " + Line(c) + "; " + c.StopReason
	}
	return strings.Join(lines, "\n")
}
