package suite

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/contract"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
)

// Pace is the server's speed, as the pace probe measured it on the idle
// server (docs/pace.md): the median time to the first token and the
// median decode rate of one stream.
type Pace struct {
	TTFT    time.Duration
	TokPerS float64
}

// Known: the probe got a decode rate.
func (p Pace) Known() bool { return p.TokPerS > 0 }

// Request is how long one request of tokens completion tokens takes at
// this pace, alone on the server. The zero Pace (no server time at all)
// gives 0: what is left of a plan then is its pauses, arrival schedules
// and time-sized parts, the least any server needs.
func (p Pace) Request(tokens int) time.Duration {
	if !p.Known() {
		return p.TTFT
	}
	return p.TTFT + time.Duration(float64(tokens)/p.TokPerS*float64(time.Second))
}

// String is "33 tok/s, TTFT 200 ms".
func (p Pace) String() string {
	return fmt.Sprintf("%.0f tok/s, TTFT %d ms", p.TokPerS, p.TTFT.Milliseconds())
}

// What the estimator assumes a tool-calling request writes: a call or a
// short final answer, and with thinking on the reasoning before it. A
// load request writes its whole max_tokens (the bound, and what the
// synthetic classes ask for). Each at most the request's max_tokens.
const (
	AnswerTokens   = 60
	ThinkingTokens = 600
)

// Batch is a part of an area's plan whose requests are sent the same way.
type Batch struct {
	What      string
	Requests  int
	Tokens    int // completion tokens each request is expected to write
	MaxTokens int // the budget each is sent with
	// Workers > 1 sends that many at a time (closed loop, or parallel
	// scenarios); Interval is the pause between one request's end and
	// the next one's start (load.Sequential); Rate > 0 is an open loop's
	// arrivals per second; Fixed is a time-sized part (a search's budget)
	// whose requests are not counted ahead.
	Workers  int
	Interval time.Duration
	Rate     float64
	Fixed    time.Duration
	// UpTo marks a Fixed part that may end sooner (a search that stops
	// when it has its answer): Floor leaves it out.
	UpTo bool
}

// Wall is the batch's wall time at pace.
func (b Batch) Wall(p Pace) time.Duration {
	if b.Fixed > 0 {
		return b.Fixed
	}
	if b.Requests == 0 {
		return 0
	}
	one := p.Request(b.Tokens)
	switch {
	case b.Rate > 0:
		return time.Duration(float64(b.Requests)/b.Rate*float64(time.Second)) + one
	case b.Workers > 1:
		return time.Duration(math.Ceil(float64(b.Requests)/float64(b.Workers))) * one
	}
	return time.Duration(b.Requests)*one + time.Duration(b.Requests-1)*b.Interval
}

// AreaPlan is what one area (one top-level test) would send.
type AreaPlan struct {
	Area, Test string
	Batches    []Batch
	Note       string
}

// Requests counts the requests the plan sends ahead of time (a
// time-sized part's are not known ahead).
func (a AreaPlan) Requests() int {
	n := 0
	for _, b := range a.Batches {
		n += b.Requests
	}
	return n
}

// Estimate is the one estimator: the wall time of an area's plan at pace.
func Estimate(a AreaPlan, p Pace) time.Duration {
	var d time.Duration
	for _, b := range a.Batches {
		d += b.Wall(p)
	}
	return d
}

// Total is the whole plan's wall time at pace.
func Total(plan []AreaPlan, p Pace) time.Duration {
	var d time.Duration
	for _, a := range plan {
		d += Estimate(a, p)
	}
	return d
}

// Floor is the least wall time the plan needs on any server, however
// fast: its pauses, arrival schedules and the time-sized parts that run
// to their end (the zero Pace; parts marked UpTo left out).
func Floor(plan []AreaPlan) time.Duration {
	var d time.Duration
	for _, a := range plan {
		for _, b := range a.Batches {
			if !b.UpTo {
				d += b.Wall(Pace{})
			}
		}
	}
	return d
}

// MaxTokensOf is the largest budget a plan sends.
func MaxTokensOf(plan []AreaPlan) int {
	m := 0
	for _, a := range plan {
		for _, b := range a.Batches {
			m = max(m, b.MaxTokens)
		}
	}
	return m
}

// Plan is every area's request plan under cfg, with the scenarios the run
// loaded, in the order the areas run, restricted to the top-level tests
// selected (go test -run / -skip; nil selects all). The areas take their
// counts from the same functions (toolCallSends, stabilityWarmup,
// openWarmup, capacityBudget), so the plan is what they send.
func Plan(cfg config.Config, scenarios []*fixture.Scenario, selected func(test string) bool, structured ...*fixture.Structured) []AreaPlan {
	if selected == nil {
		selected = func(string) bool { return true }
	}
	var out []AreaPlan
	// Sharded, only the load areas run beyond shard 0 (OnlyOnFirstShard).
	firstOnly := map[string]bool{"TestToolCalling": true, "TestStructuredOutputs": true, "TestContract": true, "TestStability": true,
		"TestConversation": true, "TestToolCallingUnderLoad": true, "TestStructuredOutputsUnderLoad": true}
	add := func(a AreaPlan) {
		if !cfg.Sharding.First() && firstOnly[a.Test] {
			return
		}
		if selected(a.Test) && (a.Requests() > 0 || Estimate(a, Pace{}) > 0) {
			out = append(out, a)
		}
	}
	tc := toolCallingPlan(cfg, scenarios)
	add(tc)
	so := structuredPlan(cfg, structured)
	add(so)
	add(contractPlan(cfg))
	add(stabilityPlan(cfg))
	add(concurrencyPlan(cfg))
	add(conversationPlan(cfg))
	if cfg.CapacityEnabled {
		add(AreaPlan{Area: "capacity", Test: "TestCapacity", Batches: []Batch{
			{What: "idle probe", Requests: IdleRequests, Tokens: cfg.ShortTokens, MaxTokens: cfg.ShortTokens},
			{What: "search, at most", Fixed: capacityBudget(cfg), UpTo: true},
		}})
		ul := tc
		ul.Area, ul.Test = "tool calling under load", "TestToolCallingUnderLoad"
		ul.Batches = append([]Batch{{What: "background warm-up (ACCEPTANCE_CAPACITY_WARMUP)", Fixed: cfg.CapacityWarmup}}, tc.Batches...)
		ul.Note = "plus the background load at a fraction of the capacity found"
		add(ul)
		sl := so
		sl.Area, sl.Test = "structured outputs under load", "TestStructuredOutputsUnderLoad"
		sl.Batches = append([]Batch{{What: "background warm-up (ACCEPTANCE_CAPACITY_WARMUP)", Fixed: cfg.CapacityWarmup}}, so.Batches...)
		sl.Note = ul.Note
		if len(so.Batches) > 0 {
			add(sl)
		}
	}
	return out
}

// capacityBudget is the most time the capacity search takes: the
// search's own bound (capacity.TimeBudget), which it never passes. At the
// seed's pace it ends well before it (docs/capacity.md), so the plan
// counts it as "at most".
func capacityBudget(cfg config.Config) time.Duration { return capacity.TimeBudget(cfg.Capacity) }

// toolCallSends says which transports an attempt sends: the plain request
// goes out whenever any mode runs (a streamed step is compared with it),
// the streamed one when stream mode runs. oneThinking sends by it.
func toolCallSends(cfg config.Config) (plain, stream, plainJudged bool) {
	for _, m := range cfg.ToolCallModes {
		plainJudged = plainJudged || m == "plain"
		stream = stream || m == "stream"
	}
	return plainJudged || stream, stream, plainJudged
}

func toolCallingPlan(cfg config.Config, scenarios []*fixture.Scenario) AreaPlan {
	a := AreaPlan{Area: "tool calling", Test: "TestToolCalling", Note: "at most; an attempt stops at its first failed step, a suspect stream adds twins"}
	plain, stream, _ := toolCallSends(cfg)
	sends := 0
	if plain {
		sends++
	}
	if stream {
		sends++
	}
	workers := min(max(cfg.Parallel, 1), max(len(scenarios), 1))
	for _, think := range cfg.Thinking {
		var b tally
		for _, sc := range scenarios {
			b.add(cfg, think, sc.MaxTokens, len(sc.Steps)*cfg.ToolCallRepeats*sends)
		}
		if b.n > 0 {
			a.Batches = append(a.Batches, b.batch(think, workers))
		}
	}
	return a
}

// tally adds up a scenario area's requests in one thinking setting.
type tally struct{ n, tokens, budget int }

// add counts k requests of a scenario whose fixture sets max_tokens to
// scMax (0: unset): each expected to take AnswerTokens, plus
// ThinkingTokens when thinking is on, within the budget the request
// carries.
func (b *tally) add(cfg config.Config, think string, scMax, k int) {
	mt := maxTokens(scMax, think, cfg.ThinkingMaxTokens)
	want := AnswerTokens
	if think != "off" {
		want += ThinkingTokens
	}
	if mt > 0 {
		want = min(want, mt)
	}
	b.n += k
	b.tokens += k * want
	b.budget = max(b.budget, mt)
}

// batch is the tally as the plan's batch "thinking <think>".
func (b tally) batch(think string, workers int) Batch {
	return Batch{What: "thinking " + think, Requests: b.n, Tokens: b.tokens / b.n, MaxTokens: b.budget, Workers: workers}
}

// structuredPlan is TestStructuredOutputs: each scenario in every thinking
// setting and transport, ACCEPTANCE_STRUCTURED_REPEATS times (as
// StructuredOutputs.modes sends them), a canary before the section and after
// each mode (up to three while it fails).
func structuredPlan(cfg config.Config, scenarios []*fixture.Structured) AreaPlan {
	a := AreaPlan{Area: "structured outputs", Test: "TestStructuredOutputs", Note: "a canary may be retried twice"}
	if len(scenarios) == 0 {
		return a
	}
	workers := min(max(cfg.Parallel, 1), len(scenarios))
	modes := len(cfg.ToolCallModes)
	canaries := 1
	for _, think := range cfg.Thinking {
		var b tally
		for _, sc := range scenarios {
			b.add(cfg, think, sc.MaxTokens, modes*max(cfg.StructuredRepeats, 0))
			canaries += modes
		}
		if b.n > 0 {
			a.Batches = append(a.Batches, b.batch(think, workers))
		}
	}
	a.Batches = append(a.Batches, Batch{What: "canaries", Requests: canaries, Tokens: ContractTokens, MaxTokens: ContractTokens, Workers: workers})
	return a
}

// ContractTokens is the budget of the contract's and the canaries' short
// requests (APIContract.request, StructuredOutputs.canaryRequest).
const ContractTokens = 32

// contractPlan is TestContract as Contract sends it: prompt_tokens in each
// transport (and a plain twin for stream_usage when only streaming runs),
// then each refused parameter in each transport followed by a healthy
// request.
func contractPlan(cfg config.Config) AreaPlan {
	modes := len(cfg.ToolCallModes)
	n := modes + 2*len(contract.Params)*modes
	if modes == 1 && cfg.ToolCallModes[0] == "stream" {
		n++
	}
	return AreaPlan{Area: "API contract", Test: "TestContract", Note: "at most; a probe answered with a 200 sends no healthy follow-up",
		Batches: []Batch{{What: "probes and follow-ups", Requests: n, Tokens: ContractTokens, MaxTokens: ContractTokens}}}
}

// stabilityWarmup is the stability run's warm-up: waves of one request of
// each class.
func stabilityWarmup(cfg config.Config) *load.Warmup { return load.NewWarmup(cfg.WarmupWaves, 2) }

func stabilityPlan(cfg config.Config) AreaPlan {
	mean := (cfg.ShortTokens + cfg.LongTokens) / 2
	big := max(cfg.ShortTokens, cfg.LongTokens)
	return AreaPlan{Area: "stability", Test: "TestStability", Batches: []Batch{
		{What: "warm-up", Requests: stabilityWarmup(cfg).Size, Tokens: mean, MaxTokens: big},
		{What: fmt.Sprintf("%s apart", cfg.StabilityInterval), Requests: cfg.StabilityRequests, Tokens: mean, MaxTokens: big, Interval: cfg.StabilityInterval},
	}}
}

// openWarmup is the open-loop run's warm-up size: waves of one second of
// arrivals at its rate, at most a quarter of its requests each.
func openWarmup(cfg config.Config) int {
	wave := min(int(math.Ceil(cfg.OpenLoopRate)), max(1, cfg.OpenLoopRequests/4))
	return max(cfg.WarmupWaves, 0) * wave
}

func concurrencyPlan(cfg config.Config) AreaPlan {
	s := cfg.ShortTokens
	return AreaPlan{Area: "concurrency", Test: "TestConcurrency", Batches: []Batch{
		{What: "closed warm-up", Requests: load.NewWarmup(cfg.WarmupWaves, cfg.Concurrency).Size, Tokens: s, MaxTokens: s, Workers: cfg.Concurrency},
		{What: fmt.Sprintf("closed, %d workers", cfg.Concurrency), Requests: cfg.ConcurrencyRequests, Tokens: s, MaxTokens: s, Workers: cfg.Concurrency},
		{What: "open warm-up", Requests: openWarmup(cfg), Tokens: s, MaxTokens: s, Rate: cfg.OpenLoopRate},
		{What: fmt.Sprintf("open, %g req/s", cfg.OpenLoopRate), Requests: cfg.OpenLoopRequests, Tokens: s, MaxTokens: s, Rate: cfg.OpenLoopRate},
	}}
}

// conversationTokens is a conversation turn's max_tokens.
func conversationTokens(cfg config.Config) int { return (cfg.ShortTokens + cfg.LongTokens) / 2 }

func conversationPlan(cfg config.Config) AreaPlan {
	t := conversationTokens(cfg)
	return AreaPlan{Area: "conversation", Test: "TestConversation", Batches: []Batch{
		{What: "warm-up", Requests: load.NewWarmup(cfg.WarmupWaves, 1).Size, Tokens: t, MaxTokens: t},
		{What: "turns", Requests: cfg.ConversationTurns, Tokens: t, MaxTokens: t},
	}}
}

// FormatPlan is the printed plan: one line per area and the total.
func FormatPlan(plan []AreaPlan, p Pace) []string {
	var lines []string
	for _, a := range plan {
		l := fmt.Sprintf("plan: %-24s %5d requests  about %s", a.Area, a.Requests(), Human(Estimate(a, p)))
		var parts []string
		for _, b := range a.Batches {
			if b.Fixed > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", b.What, Human(b.Fixed)))
			} else if b.Requests > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", b.What, b.Requests))
			}
		}
		l += " (" + strings.Join(parts, "; ")
		if a.Note != "" {
			l += "; " + a.Note
		}
		lines = append(lines, l+")")
	}
	return append(lines, fmt.Sprintf("plan: %-24s %5s           about %s at %s", "total", "", Human(Total(plan, p)), p))
}

// Human is a duration as people say it: "24 min", "4 min 24 s", "45 s".
func Human(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	case d >= 10*time.Minute:
		return fmt.Sprintf("%d min", int(math.Round(d.Minutes())))
	case d >= time.Minute:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%d min %d s", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d s", int(d.Seconds()))
}

// SuggestTimeout is the go test -timeout to suggest for a plan of need: half
// as long again (the estimate leaves out queueing under load and
// prefill), rounded up to 5 minutes.
func SuggestTimeout(need time.Duration) time.Duration {
	d := need * 3 / 2
	return time.Duration(math.Ceil(d.Minutes()/5)) * 5 * time.Minute
}

// FlagDuration is d as one would type it after -timeout: 10m, 1h30m, 45s.
func FlagDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
