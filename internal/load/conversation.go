package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// Converse holds one conversation of turns user questions: turn i sends
// the whole history so far (every earlier question and the assistant's
// answer to it) plus question(i), so the context grows turn by turn. base
// gives the model, max_tokens, streaming and thinking; its Messages are
// the opening (system prompt). A failed turn ends the conversation: there
// is no answer to carry on from, and a history with two user messages in a
// row is not a conversation some chat templates accept.
func Converse(ctx context.Context, turns int, base client.Request, question func(i int) string, send Sender) <-chan Result {
	out := make(chan Result)
	go func() {
		defer close(out)
		history := slices.Clone(base.Messages)
		for i := range turns {
			if ctx.Err() != nil {
				return
			}
			history = append(history, fixture.Message{Role: "user", Content: question(i)})
			req := base
			req.Messages = slices.Clone(history)
			rec := send(ctx, req, time.Time{})
			rec.Step = i + 1
			out <- Result{I: i, Class: "turn", Record: rec}
			if !rec.OK() {
				return
			}
			history = append(history, fixture.Message{Role: "assistant", Content: rec.Content})
		}
	}()
	return out
}

// Conversation judgement thresholds (see ConversationChecks): the
// latency_growth check's limits, kept beside its name in sidecar, where
// its failure message reads them too.
const (
	GrowthFactor  = sidecar.GrowthFactor
	GrowthSlackMs = sidecar.GrowthSlackMs
)

// ConversationChecks decides whether latency grew beyond what the growing
// context explains. The rule:
//
//  1. Baseline: the first half of the turns (at least 3; ceil(n/2)).
//     TTFT is fitted against prompt_tokens over the baseline by Theil–Sen
//     (median of pairwise slopes; robust to a slow first turn), the slope
//     clamped at >= 0: TTFT_pred(p) = a + b·p.
//  2. Each later turn is predicted from its own prompt_tokens, with the
//     baseline's median TTFT as a floor (a fit may dip for a long prompt).
//  3. A later turn is flagged when TTFT > 2 × TTFT_pred AND
//     TTFT − TTFT_pred > 500 ms. Both: the factor ignores prompt growth the
//     fit already explains, the 500 ms floor ignores jitter of fast servers
//     (20 ms → 50 ms is not a defect).
//  4. latency_growth fails when any turn is flagged; its value is the
//     largest TTFT/TTFT_pred seen, its threshold the factor 2.
//
// Baseline turns are not judged: cold caches make early spikes common and
// say nothing about growth. With fewer than 4 successful turns the check
// is skipped. The errors check fails on any failed turn.
func ConversationChecks(turns []sidecar.Turn) []sidecar.Check {
	errs := sidecar.Check{Name: sidecar.CheckErrors, Passed: true, Threshold: 0}
	var ok []sidecar.Turn
	for _, t := range turns {
		if key, _, _ := strings.Cut(t.Error, ":"); record.ErrorKind(key).Interrupted() {
			continue // the suite's own stop: not run, not an error
		}
		if t.Error != "" {
			errs.Value++
			errs.Passed = false
			errs.Detail = fmt.Sprintf("turn %d failed: %s", t.Turn, t.Error)
			continue
		}
		ok = append(ok, t)
	}
	if errs.Passed {
		errs.Detail = fmt.Sprintf("%d turns, no error", len(turns))
	}
	growth := sidecar.Check{Name: sidecar.CheckLatencyGrowth, Passed: true, Threshold: GrowthFactor}
	if len(ok) < 4 {
		growth.Skipped = true
		growth.Detail = fmt.Sprintf("%d successful turn(s): too few to fit a baseline", len(ok))
		return []sidecar.Check{errs, growth}
	}
	nb := max(3, (len(ok)+1)/2)
	base := ok[:nb]
	xs := make([]float64, nb)
	ys := make([]float64, nb)
	for i, t := range base {
		xs[i], ys[i] = float64(t.PromptTokens), t.TTFTms
	}
	b, a, _ := stats.TheilSen(xs, ys)
	floor := stats.Summarize(ys).P50
	if b <= 0 {
		a, b = floor, 0
	}
	var flagged []string
	for _, t := range ok[nb:] {
		pred := max(a+b*float64(t.PromptTokens), floor)
		if pred <= 0 {
			continue
		}
		r := t.TTFTms / pred
		growth.Value = max(growth.Value, r)
		if t.TTFTms > GrowthFactor*pred && t.TTFTms-pred > GrowthSlackMs {
			flagged = append(flagged, fmt.Sprintf("turn %d: TTFT %s at %d prompt tokens, expected ≈ %s",
				t.Turn, units.Ms(t.TTFTms), t.PromptTokens, units.Ms(pred)))
		}
	}
	fit := fmt.Sprintf("baseline turns 1-%d: TTFT ≈ %.0f ms + %.3f ms/prompt token", base[nb-1].Turn, a, b)
	if len(flagged) > 0 {
		growth.Passed = false
		growth.Detail = fit + "; " + strings.Join(flagged, "; ")
	} else {
		growth.Detail = fit + fmt.Sprintf("; worst later turn at %.2f× its prediction", growth.Value)
	}
	return []sidecar.Check{errs, growth}
}
