package toolverdict

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// FailureMessage is the text of a failed scenario mode: a headline per kind
// that failed, then one line per finding of the failed attempts, each with
// its kind: "attempt 2 (server): <what was seen> [code] → fix: <remedy>".
// Server findings come first: they are faults, to be fixed before the
// model's rates mean anything.
func FailureMessage(r Result) string {
	s := r.Scenario
	var b strings.Builder
	if s.Attempts == 0 {
		fmt.Fprintf(&b, "%s [%s]: no attempt ran (the run was interrupted or timed out)\n", s.Name, s.Mode)
	}
	if s.ServerFailures > 0 {
		fmt.Fprintf(&b, "%s [%s]: server fault in %d of %d attempts (server checks must hold on every attempt)\n", s.Name, s.Mode, s.ServerFailures, s.Attempts)
	}
	if m := s.ScenarioModel; m.Verdict == sidecar.VerdictFail {
		fmt.Fprintf(&b, "%s [%s]: model checks held in %d of %d attempts over the scenario's modes (%s, 95 %% CI %s), below the %s a healthy model reaches (ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE); this mode: %d of %d\n",
			s.Name, s.Mode, m.Passed, m.Attempts, pct(m.Rate), interval(m), pct(m.Min), s.Model.Passed, s.Model.Attempts)
	}
	for _, a := range r.Attempts {
		if a.Passed() {
			continue
		}
		if len(a.Server) == 0 && len(a.Model) == 0 {
			fmt.Fprintf(&b, "  attempt %d: failed with no diagnosis\n", a.N)
		}
		for _, f := range a.Server {
			fmt.Fprintf(&b, "  attempt %d (server): %s\n", a.N, toolcheck.MessageFor(f, s.ToolChoice))
		}
		if s.ScenarioModel.Verdict != sidecar.VerdictFail && len(a.Server) == 0 {
			continue // model findings of a passing rate: in the sidecar, not the failure
		}
		for _, f := range a.Model {
			fmt.Fprintf(&b, "  attempt %d (model): %s\n", a.N, toolcheck.MessageFor(f, s.ToolChoice))
		}
	}
	if b.Len() == 0 && s.Verdict != sidecar.VerdictPass {
		// A failed scenario always says so, even from a file that recorded
		// the verdict without the figures behind it.
		fmt.Fprintf(&b, "%s [%s]: failed (%d of %d attempts passed)\n", s.Name, s.Mode, s.Passed, s.Attempts)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Notes are the lines a passing scenario still owes its reader: model
// findings within the rate, and nondeterminism. Empty when there is
// nothing to say.
func Notes(r Result) []string {
	s := r.Scenario
	var out []string
	if s.Model.Passed < s.Model.Attempts && s.ScenarioModel.Verdict != sidecar.VerdictFail {
		codes := map[diagnosis.Code]int{}
		for _, a := range r.Attempts {
			for _, f := range a.Model {
				codes[f.Code]++
			}
		}
		var parts []string
		for c, n := range codes {
			parts = append(parts, fmt.Sprintf("%s×%d", c, n))
		}
		sort.Strings(parts)
		m := s.ScenarioModel
		out = append(out, fmt.Sprintf("model checks held in %d of %d attempts of this mode, %d of %d over the scenario (%s, 95 %% CI %s; a pass needs the interval to reach %s): %s",
			s.Model.Passed, s.Model.Attempts, m.Passed, m.Attempts, pct(m.Rate), interval(m), pct(m.Min), strings.Join(parts, ", ")))
	}
	if s.Nondeterministic {
		out = append(out, fmt.Sprintf("nondeterministic: identical requests got %d different answers (information, not a failure: vLLM is not batch-invariant unless started with VLLM_BATCH_INVARIANT=1)", s.DistinctAnswers))
	}
	return out
}

func pct(x float64) string { return units.Percent(x) }

func interval(r sidecar.Rate) string { return pct(r.CI95.Low) + "–" + pct(r.CI95.High) }
