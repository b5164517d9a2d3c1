package loadmsg

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// LoadFailure is the failure message of a stability, load or conversation
// run: one line per check j counts as failed, with its figures and what to
// do. The live test and merge's junit.xml print it alike. A goodput
// failure the first counted wave alone explains names the cold start
// instead of the sizing remedy; a cold start that explains nothing is a
// note line.
func LoadFailure[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](j sidecar.Judge, res T) string {
	name, checks := runChecks(res)
	cold := runColdStart(res)
	var lines []string
	for _, c := range j.Failed(checks) {
		line := fmt.Sprintf("%s: %s failed: %s", name, c.Name, figures(c))
		if c.Result() == sidecar.Unknown {
			line = fmt.Sprintf("%s: %s unknown, failed by ACCEPTANCE_FAIL_UNKNOWN", name, c.Name)
		}
		if c.Detail != "" {
			line += "; " + c.Detail
		}
		fix := remedies[c.Name]
		if c.Name == sidecar.CheckGoodputRatio && cold != nil && cold.ExplainsFailure {
			// The SLOs were missed by the first wave alone: a cold
			// engine, not a server too small for the load.
			line += "; " + cold.Detail
			fix = ColdStartRemedy
			cold = nil
		}
		if fix != "" && c.Result() == sidecar.Fail {
			line += " → " + fix
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, noFailedCheck(name, checks, ""))
	}
	if cold != nil {
		lines = append(lines, ColdStartNote(name, cold))
	}
	return strings.Join(lines, "\n")
}

// noFailedCheck is the failure line of an area whose verdict is fail while
// no check of it counts as failed: no checks at all (it did not run to a
// measurement: stopped is why, when known), or checks that disagree with
// the recorded verdict.
func noFailedCheck(name string, checks []sidecar.Check, stopped string) string {
	if len(checks) == 0 {
		line := name + ": failed: it recorded no checks, so nothing was measured"
		if stopped != "" {
			line += " (stopped: " + stopped + ")"
		}
		return line + "; the log above and metrics.json say what stopped it"
	}
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.Name
	}
	return name + ": failed: its recorded verdict is fail while none of its checks (" + strings.Join(names, ", ") +
		") failed; metrics.json was changed by hand or written by another version: rerun the suite"
}

// ColdStartRemedy replaces the sizing advice of a goodput failure that
// the first counted wave alone explains.
const ColdStartRemedy = "the engine was still cold when the counted requests began (first batch shapes, allocator growth, " +
	"autotuning, CUDA graph capture): warm it up before counting with ACCEPTANCE_WARMUP_WAVES (1 or more; 0 turns the " +
	"warm-up off), and warm the server up after each restart before it takes traffic"

// ColdStartNote is the note line of a run whose first counted wave was
// markedly slower than the rest ("" when it was not).
func ColdStartNote(name string, cold *sidecar.ColdStart) string {
	if cold == nil {
		return ""
	}
	return fmt.Sprintf("%s: note: %s → if it repeats, raise ACCEPTANCE_WARMUP_WAVES", name, cold.Detail)
}

func runColdStart[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](res T) *sidecar.ColdStart {
	switch v := any(res).(type) {
	case sidecar.StabilityRun:
		return v.ColdStart
	case sidecar.ConcurrencyRun:
		return v.ColdStart
	case sidecar.ConversationRun:
		return v.ColdStart
	}
	return nil
}

// UnknownLine names a run's checks that could not be measured and fail
// nothing (empty when there are none): the live test logs it, so JUnit
// shows an unknown as unknown, and merge's junit.xml prints it alike.
func UnknownLine[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](j sidecar.Judge, res T) string {
	name, checks := runChecks(res)
	var parts []string
	for _, c := range checks {
		if c.Result() == sidecar.Unknown && j.Check(c) == sidecar.Unknown {
			parts = append(parts, c.Name+" ("+c.Detail+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return name + ": unknown, not judged: " + strings.Join(parts, "; ") + " (ACCEPTANCE_FAIL_UNKNOWN makes a named unknown check fail)"
}

func runChecks[T sidecar.StabilityRun | sidecar.ConcurrencyRun | sidecar.ConversationRun](res T) (string, []sidecar.Check) {
	switch v := any(res).(type) {
	case sidecar.StabilityRun:
		return v.Name, v.Checks
	case sidecar.ConcurrencyRun:
		return v.Name, v.Checks
	case sidecar.ConversationRun:
		return v.Name, v.Checks
	}
	return "", nil
}

// StabilityLine is a stability run in one line, for its test's log.
func StabilityLine(r sidecar.StabilityRun) string {
	return fmt.Sprintf("%d/%d completed, e2e p50 %s p99 %s, degradation %s (%s class)",
		r.Completed, r.Requests, units.Ms(r.E2Ems.P50), units.Ms(r.E2Ems.P99), units.SignedPercent(r.Degradation.Value), r.Degradation.Class) +
		runNotes(r.Interrupted, r.ColdStart)
}

// runNotes are the interrupted requests and the cold start of a run, for
// its one-line log.
func runNotes(interrupted int, cold *sidecar.ColdStart) string {
	var out string
	if interrupted > 0 {
		out += fmt.Sprintf("; %d interrupted by the suite (not counted)", interrupted)
	}
	if cold != nil {
		out += "; " + cold.Detail
	}
	return out
}

// ConcurrencyLine is a concurrency run in one line, for its test's log.
func ConcurrencyLine(r sidecar.ConcurrencyRun) string {
	return fmt.Sprintf("%d/%d completed in %.1fs: %.2f req/s, %.1f tok/s, goodput %.2f req/s (%s), TTFT p99 %s",
		r.Completed, r.Requests, r.DurationS, r.RequestThroughput, r.OutputThroughput,
		r.Goodput, units.Percent(r.GoodputRatio), units.Ms(r.TTFTms.P99)) + runNotes(r.Interrupted, r.ColdStart)
}

func figures(c sidecar.Check) string {
	switch c.Name {
	case sidecar.CheckSuccessRate, sidecar.CheckGoodputRatio:
		return fmt.Sprintf("%s (need ≥ %s)", units.Percent(c.Value), units.Percent(c.Threshold))
	case sidecar.CheckDegradation:
		return fmt.Sprintf("%s (limit %s)", units.SignedPercent(c.Value), units.Percent(c.Threshold))
	case sidecar.CheckLatencyGrowth:
		return fmt.Sprintf("worst turn at %.2f× its prediction (limit %.0f× and +%d ms)", c.Value, c.Threshold, sidecar.GrowthSlackMs)
	case sidecar.CheckShards:
		return fmt.Sprintf("%.0f of %.0f shards finished", c.Value, c.Threshold)
	case sidecar.CheckLoadGenerator:
		return fmt.Sprintf("dispatch lag p99 %s (limit %s)", units.Ms(c.Value), units.Ms(c.Threshold))
	case sidecar.CheckClientServerGap:
		return fmt.Sprintf("%s added in front of the engine (limit %s)", units.Ms(c.Value), units.Ms(c.Threshold))
	case sidecar.CheckVRAMGrowth, sidecar.CheckVRAMMax:
		return fmt.Sprintf("%s of VRAM (limit %s)", units.Percent(c.Value), units.Percent(c.Threshold))
	default:
		return fmt.Sprintf("%g (threshold %g)", c.Value, c.Threshold)
	}
}
