package suite

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// PaceRequests is how many short requests, one after the other, measure
// the idle server's pace before any area runs.
const PaceRequests = 3

// PaceTokens is the probe's max_tokens: enough tokens for a decode rate,
// few enough to fit a short ACCEPTANCE_REQUEST_TIMEOUT at a slow pace.
const PaceTokens = 32

// BudgetMargin multiplies the time a request needs at the measured pace
// (TTFT + max_tokens / decode rate) to give its deadline: room for a
// batch that slows as it fills, prefill of long prompts and a noisy
// neighbour. The deadline is never below ACCEPTANCE_REQUEST_TIMEOUT's
// default, so a fast server keeps the budget it always had.
const BudgetMargin = 2.0

// PaceTest is the test name the pace probe's requests carry in
// requests.jsonl: they belong to no area.
const PaceTest = "pace"

// Selected is go test's -run and -skip as a filter of top-level test
// names, the way go test matches them (each pattern's first
// slash-separated element, unanchored). A pattern that does not compile
// selects everything: go test itself refuses it before any test runs.
func Selected(run, skip string) func(test string) bool {
	top := func(p string) *regexp.Regexp {
		if p == "" {
			return nil
		}
		re, err := regexp.Compile(splitPattern(p)[0])
		if err != nil {
			return nil
		}
		return re
	}
	runRe, skipRe := top(run), top(skip)
	return func(test string) bool {
		if runRe != nil && !runRe.MatchString(test) {
			return false
		}
		return skipRe == nil || !skipRe.MatchString(test) || strings.Contains(skip, "/")
	}
}

// Subtests is go test -run's second element (the pattern's part after its
// first slash, split as go test splits it: not inside brackets or
// parentheses) as a filter of scenario names, the subtests of
// TestToolCalling, TestStructuredOutputs and their under-load twins; nil
// when -run names no subtest (or does not compile: go test refuses it).
// Only those areas are narrowed by it; the plan of any other area stays
// whole, an overestimate and never an underestimate.
func Subtests(run string) func(name string) bool {
	elems := splitPattern(run)
	if len(elems) < 2 || elems[1] == "" {
		return nil
	}
	re, err := regexp.Compile(elems[1])
	if err != nil {
		return nil
	}
	return re.MatchString
}

// splitPattern splits a -run pattern at its slashes outside brackets and
// parentheses, as the testing package does.
func splitPattern(p string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '[', '(':
			depth++
		case ']', ')':
			depth = max(depth-1, 0)
		case '\\':
			i++
		case '/':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

// CheckPlan plans the run before any area sends a request: it works out
// each selected area's requests (Plan), refuses at once a plan that cannot
// fit go test's deadline whatever the server's pace (its pauses, arrival
// schedules and time budgets alone), then measures the idle server's pace
// (PaceRequests short requests), prints the plan at that pace, warns when
// ACCEPTANCE_REQUEST_TIMEOUT cannot hold the largest budget, and refuses
// a plan that does not fit the deadline at that pace. A refusal is the
// run's Fatal line: every case fails with it, before any load. A zero
// deadline (go test -timeout 0, or the test binary run without
// -test.timeout) plans nothing: no probe, and every request keeps
// ACCEPTANCE_REQUEST_TIMEOUT.
func (r *Run) CheckPlan(deadline time.Time, timeout time.Duration, selected func(test string) bool, sub func(name string) bool) {
	if r.fatal != "" || r.Client == nil || deadline.IsZero() {
		return
	}
	scenarios, structured := r.Scenarios, r.Structured
	if sub != nil {
		scenarios = slices.DeleteFunc(slices.Clone(scenarios), func(s *fixture.Scenario) bool { return !sub(s.Name) })
		structured = slices.DeleteFunc(slices.Clone(structured), func(s *fixture.Structured) bool { return !sub(s.Name) })
	}
	plan := Plan(r.Cfg, scenarios, selected, structured...)
	if t := r.Trace(); t != nil {
		for i := range plan {
			if plan[i].Test == "TestConcurrency" {
				plan[i] = traceConcurrencyPlan(r.Cfg, t)
			}
		}
	}
	if len(plan) == 0 {
		return
	}
	{
		if floor := Floor(plan); floor > time.Until(deadline) {
			r.fatal = fmt.Sprintf("the plan needs at least %s whatever the server's pace (its pauses, arrival schedules and warm-ups alone); go test -timeout is %s: run with -timeout %s, or narrow with -run / the area knobs",
				Human(floor), FlagDuration(timeout), FlagDuration(SuggestTimeout(floor)))
			return
		}
	}
	ctx, cancel := r.Context(context.Background())
	defer cancel()
	p := r.probePace(ctx)
	if !p.Known() {
		r.logf("pace probe: no decode rate from %d short requests; requests keep ACCEPTANCE_REQUEST_TIMEOUT=%s and the plan is not estimated", PaceRequests, r.Cfg.RequestTimeout)
		return
	}
	r.mu.Lock()
	r.pace = p
	r.mu.Unlock()
	for _, l := range FormatPlan(plan, p) {
		r.logf("%s", l)
	}
	if w := r.timeoutWarning(plan, p); w != "" {
		r.logf("%s", w)
	}
	if need := Total(plan, p); need > time.Until(deadline) {
		r.fatal = fmt.Sprintf("at %.0f tok/s the plan needs about %s; go test -timeout is %s: run with -timeout %s, or narrow with -run / the area knobs",
			p.TokPerS, Human(need), FlagDuration(timeout), FlagDuration(SuggestTimeout(need)))
	}
}

// timeoutWarning is the line that says a user's ACCEPTANCE_REQUEST_TIMEOUT
// cannot hold the plan's largest budget at the measured pace, or "".
func (r *Run) timeoutWarning(plan []AreaPlan, p Pace) string {
	mt := MaxTokensOf(plan)
	if !r.userTimeout || mt == 0 {
		return ""
	}
	need := p.Request(mt)
	if need <= r.Cfg.RequestTimeout {
		return ""
	}
	what := "tokens"
	if mt == r.Cfg.ThinkingMaxTokens {
		what = "thinking tokens (ACCEPTANCE_THINKING_MAX_TOKENS)"
	}
	return fmt.Sprintf("warning: %s %s at %.0f tok/s need %s; ACCEPTANCE_REQUEST_TIMEOUT is %s: a request still streaming at its end reads request_timeout_too_short (unset the knob to budget each request from its max_tokens)",
		thousands(mt), what, p.TokPerS, Human(need), Human(r.Cfg.RequestTimeout))
}

// probePace sends PaceRequests short requests (the load's short prompt,
// PaceTokens, streamed, thinking off) one after the other and takes the
// median TTFT and decode rate (token chunks over the time between the
// first and the last) of those that streamed tokens, even if their
// budget ended them. It stops at the first without tokens: a server that
// cannot answer has no pace to plan by (the areas then say what is
// wrong). Its records carry the warm-up class, so they count in no
// area's figures.
func (r *Run) probePace(ctx context.Context) Pace {
	var ttft, tpot []float64
	for i := range PaceRequests {
		if ctx.Err() != nil {
			break
		}
		rec := r.Client.Chat(ctx, r.loadRequest(ShortPrompt, PaceTokens))
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = PaceTest, "idle", record.ClassWarmup, i+1
		ok := rec.TTFTms > 0 && rec.TokenChunks >= 2 && rec.LastTokenMs > rec.TTFTms
		if ok {
			ttft = append(ttft, rec.TTFTms)
			tpot = append(tpot, (rec.LastTokenMs-rec.TTFTms)/float64(rec.TokenChunks-1))
		}
		rec.Content, rec.Reasoning = "", ""
		r.Record(&rec)
		if !ok {
			break
		}
	}
	if len(tpot) == 0 {
		return Pace{}
	}
	return Pace{TTFT: time.Duration(median(ttft) * float64(time.Millisecond)), TokPerS: 1000 / median(tpot)}
}

// Pace is the measured pace, zero before CheckPlan or without an answer.
func (r *Run) Pace() Pace {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pace
}

// budget sets req's deadline from its max_tokens at the measured pace
// (BudgetMargin times TTFT + max_tokens / rate, never below
// ACCEPTANCE_REQUEST_TIMEOUT's default), unless the user set
// ACCEPTANCE_REQUEST_TIMEOUT (then it rules), the pace is unknown or the
// request sends no max_tokens.
func (r *Run) budget(req client.Request) client.Request {
	p := r.Pace()
	if !p.Known() || req.MaxTokens <= 0 {
		return req
	}
	req.Need, req.PaceTPS = p.Request(req.MaxTokens), p.TokPerS
	if r.userTimeout {
		return req
	}
	need := time.Duration(BudgetMargin * float64(p.Request(req.MaxTokens)))
	req.Timeout = max(need, r.Cfg.RequestTimeout).Round(time.Second)
	req.TimeoutFrom = fmt.Sprintf("max_tokens=%d at %.0f tok/s and TTFT %d ms, ×%g", req.MaxTokens, p.TokPerS, p.TTFT.Milliseconds(), BudgetMargin)
	return req
}

// thousands is n with a comma every three digits: 8,192.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// traceConcurrencyPlan is TestConcurrency's plan with ACCEPTANCE_WORKLOAD's
// trace: each run sends every line once (the closed run from its workers,
// the open run at the trace's arrival times over
// ACCEPTANCE_TRACE_SPEEDUP, or at ACCEPTANCE_OPEN_LOOP_RATE for a trace
// without times), each writing its output length; the warm-ups stay the
// short class.
func traceConcurrencyPlan(cfg config.Config, t *trace.Trace) AreaPlan {
	n, tokens, most := len(t.Requests), 0, 0
	for _, l := range t.Requests {
		tokens += l.OutputLength
		most = max(most, l.OutputLength)
	}
	mean := tokens / max(n, 1)
	rate := cfg.OpenLoopRate
	if span := t.Span(); t.Timed && span > 0 && cfg.TraceSpeedup > 0 {
		rate = float64(n) / (span.Seconds() / cfg.TraceSpeedup)
	}
	s := cfg.ShortTokens
	return AreaPlan{Area: "concurrency", Test: "TestConcurrency", Note: "the trace " + t.Name, Batches: []Batch{
		{What: "closed warm-up", Requests: load.NewWarmup(cfg.WarmupWaves, cfg.Concurrency).Size, Tokens: s, MaxTokens: s, Workers: cfg.Concurrency},
		{What: fmt.Sprintf("closed, %d workers", cfg.Concurrency), Requests: n, Tokens: mean, MaxTokens: most, Workers: cfg.Concurrency},
		{What: "open warm-up", Requests: openWarmup(cfg), Tokens: s, MaxTokens: s, Rate: cfg.OpenLoopRate},
		{What: "open, the trace's times", Requests: n, Tokens: mean, MaxTokens: most, Rate: rate},
	}}
}
