package suite

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// LoadRuns runs the load areas: stability (TestStability), concurrency
// (TestConcurrency) and the conversation (TestConversation). The requests
// go through internal/load; each run's checks are judged by
// sidecar.Judge.RunVerdict.
type LoadRuns struct{ *Run }

// Stability run names (TestStability/<run>).
const StabilityAlternating = "alternating"

// Prompts of the two stability classes. Thinking is off in every load run,
// so the classes differ by answer length only.
const (
	ShortPrompt = "Answer in one short sentence: what does a load balancer do?"
	LongPrompt  = "Write a long, detailed essay (about 800 words) on the history of distributed computing, " +
		"with an introduction, several sections with headings, and a conclusion."
)

// OpenLoopSeed seeds the open-loop arrival schedule. It is fixed, so two
// runs at the same rate send on the same schedule and compare.
const OpenLoopSeed = 1

// StabilityRuns lists the stability runs, in order.
func (r *LoadRuns) StabilityRuns() []string { return []string{StabilityAlternating} }

// Stability runs TestStability/<name>. "alternating" is the seed report's
// pattern: ACCEPTANCE_STABILITY_REQUESTS streamed requests, one at a time,
// ACCEPTANCE_STABILITY_INTERVAL apart, alternating the short class
// (max_tokens ACCEPTANCE_SHORT_TOKENS) and the long class (max_tokens
// ACCEPTANCE_LONG_TOKENS), thinking off. A failed request counts against
// the run and is never retried. Degradation is judged per class on e2e_ms
// (see load.StabilityAgg.Run); checks: success_rate, degradation, preemptions
// (from /metrics, skipped without it), vram_growth and vram_max (from the
// local GPU, skipped without one).
func (r *LoadRuns) Stability(ctx context.Context, name string) sidecar.StabilityRun {
	if name != StabilityAlternating {
		res := sidecar.StabilityRun{Name: name, Errors: map[string]int{},
			Checks: []sidecar.Check{{Name: sidecar.CheckRun, Detail: fmt.Sprintf("unknown stability run %q (known: %s)", name, strings.Join(r.StabilityRuns(), ", "))}}}
		res.Verdict = r.Judge().RunVerdict(res.Checks)
		return res
	}
	n := r.Cfg.StabilityRequests
	plan := func(i int) (string, client.Request) {
		if i%2 == 0 {
			return "short", r.loadRequest(ShortPrompt, r.Cfg.ShortTokens)
		}
		return "long", r.loadRequest(LongPrompt, r.Cfg.LongTokens)
	}
	test := "TestStability/" + name
	lim := r.limits()
	agg := load.NewStabilityAgg(lim)
	r.waitStart(ctx)
	// A wave is one request of each class, back to back: the pause is
	// the run's pattern, not its request shape.
	warm := stabilityWarmup(r.Cfg)
	r.warmUp(test, name, warm, load.Sequential(ctx, warm.Size, 0, plan, r.Client.ChatAt))
	cold := load.NewColdStart(2, lim, true)
	stopMon := r.runMonitors(ctx)
	closeView := r.serverView(ctx)
	r.Logf("stability %s: %d requests, %s apart, short/long alternating", name, n, r.Cfg.StabilityInterval)
	start := time.Now()
	gen := load.StartGenerator()
	for res := range load.Sequential(ctx, n, r.Cfg.StabilityInterval, plan, r.Client.ChatAt) {
		rec := res.Record
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = test, name, res.Class, res.I+1
		agg.Add(res.Class, &rec)
		cold.Add(res.I, &rec)
		gen.Add(res.Lag, &rec)
		// Stability records can be many; the text is not needed to judge
		// them (token counts stay).
		rec.Content, rec.Reasoning = "", ""
		r.Record(&rec)
		if r.progressDue(agg.All.Requests, n) {
			r.Logf("stability %s: %s", name, agg.All.Progress(n))
			// A snapshot of a run in progress: a process killed hard
			// leaves it, and it must not read passed.
			snap := agg.Run(name, time.Since(start))
			snap.Checks = append(snap.Checks, sidecar.NotRunCheck(sidecar.CheckRequests, float64(agg.All.Requests), float64(n),
				fmt.Sprintf("%sonly %d of %d requests finished: the run was in progress when metrics.json was written", sidecar.NotRunPrefix, agg.All.Requests, n)))
			snap.Verdict = r.Judge().RunVerdict(snap.Checks)
			r.setStability(snap)
			r.Checkpoint()
		}
	}
	run := agg.Run(name, time.Since(start))
	run.Warmup, run.ColdStart = warm.Sidecar(), cold.Result(false, 0)
	gh := gen.Stop()
	run.Generator = &gh
	// A paced run's lag only stretches its pauses (latency counts from the
	// actual send): late by a tenth of the pause is still the same pattern.
	lagLimit := max(load.LagLimit(r.Cfg.SLOTTFT, run.TTFTms.P50), r.Cfg.StabilityInterval/10)
	run.Checks = append(run.Checks, load.GeneratorCheckAt(&gh, lagLimit))
	var gap sidecar.Check
	run.ServerView, gap = closeView(run.TTFTms, run.E2Ems, agg.All.TTFT, 0, run.Checks)
	run.Checks = append(run.Checks, gap)
	run.Checks = append(run.Checks, stopMon()...)
	run.Checks = r.judgeCut(run.Checks, agg.All.Requests, n)
	run.Verdict = r.Judge().RunVerdict(run.Checks)
	r.setStability(run)
	r.Checkpoint()
	return run
}

// ConcurrencyRuns lists the TestConcurrency runs: "closed_<ACCEPTANCE_CONCURRENCY>"
// and "open_<ACCEPTANCE_OPEN_LOOP_RATE>".
func (r *LoadRuns) ConcurrencyRuns() []string {
	open := "open_" + strconv.FormatFloat(r.Cfg.OpenLoopRate, 'g', -1, 64)
	if r.replay != nil {
		open = OpenTrace
	}
	return []string{"closed_" + strconv.Itoa(r.Cfg.Concurrency), open}
}

// Concurrency runs TestConcurrency/<name> with the short class, streamed, thinking
// off.
//
// closed_<N>: N workers send back to back until ACCEPTANCE_CONCURRENCY_REQUESTS
// requests in all. open_<rate>: ACCEPTANCE_OPEN_LOOP_REQUESTS Poisson
// arrivals at ACCEPTANCE_OPEN_LOOP_RATE per second (seed OpenLoopSeed),
// each sent at its due time whatever the server is doing, its latency
// measured from that due time. In-flight requests are bounded by the
// arrival count. Checks: success_rate and goodput_ratio (requests meeting
// ACCEPTANCE_SLO_TTFT and ACCEPTANCE_SLO_TPOT over all sent, against
// ACCEPTANCE_MIN_GOODPUT_RATIO) and load_generator (the generator kept its
// schedule: load.GeneratorCheck).
//
// Sharded (ACCEPTANCE_SHARD=i/N), the run keeps its name (the totals) and
// sends this shard's part: ACCEPTANCE_CONCURRENCY_REQUESTS and
// ACCEPTANCE_OPEN_LOOP_REQUESTS split to sum to the totals, the workers
// split the same way, the rate divided by N with an arrival seed of its
// own; the first load run of the process starts at ACCEPTANCE_START_AT.
//
// With a trace (ACCEPTANCE_WORKLOAD), both runs send each of its lines
// once, in order, as built by traceRequest: closed_<N> back to back from
// the N workers, open_trace at the trace's arrival times divided by
// ACCEPTANCE_TRACE_SPEEDUP (Poisson at ACCEPTANCE_OPEN_LOOP_RATE for a
// trace without timestamps). Sharded, shard i sends the lines i, i+N, …
// at their times (config.Take), so the merged run holds every line once.
func (r *LoadRuns) Concurrency(ctx context.Context, name string) sidecar.ConcurrencyRun {
	plan := func(int) (string, client.Request) { return "short", r.loadRequest(ShortPrompt, r.Cfg.ShortTokens) }
	warmPlan := plan
	var ch <-chan load.Result
	run := sidecar.ConcurrencyRun{Name: name}
	var lines []trace.Request
	var shared []int
	var rp *load.Replay
	if t := r.Trace(); t != nil && slices.Contains(r.ConcurrencyRuns(), name) {
		cal, err := r.calibration(ctx, "TestConcurrency/"+name)
		if err != nil && (ctx.Err() != nil || r.stopping()) {
			return r.cancelled(run, len(config.Take(r.Cfg.Sharding, t.Requests))) // stopped: not run
		}
		if err != nil {
			return r.refused(run, sidecar.Check{Name: sidecar.CheckWorkload, Detail: err.Error()})
		}
		lines = config.Take(r.Cfg.Sharding, t.Requests)
		// What the server has seen: every shard's earlier lines.
		shared = config.Take(r.Cfg.Sharding, trace.SharedPrefix(t.Requests))
		plan = func(i int) (string, client.Request) { return ClassTrace, r.traceRequest(lines[i], cal) }
		rp = load.NewReplay(t, cal, r.Cfg.TraceSpeedup)
	}
	var gen *load.Generator
	var closeView func(ttft, e2e stats.Summary, ttftHist *stats.Histogram, warmup int, checks []sidecar.Check) (*sidecar.ServerView, sidecar.Check)
	var start time.Time
	var n int
	sh := r.Cfg.Sharding
	of := ""
	if sh.Sharded() {
		of = fmt.Sprintf(" (shard %s's part)", sh)
	}
	test := "TestConcurrency/" + name
	var warm *load.Warmup
	wave := 1
	switch names := r.ConcurrencyRuns(); name {
	case names[0]:
		n = sh.Split(r.Cfg.ConcurrencyRequests)
		if rp != nil {
			n = len(lines)
		}
		run.Mode, run.Concurrency = "closed", sh.Split(r.Cfg.Concurrency)
		if !r.syncStart(ctx, "concurrency-"+name) {
			return r.cancelled(run, n)
		}
		// Each shard warms itself up, after the start barrier, so the
		// server sees the whole run's concurrency in the warm-up too. A
		// trace replay warms up with the short class: every trace line is
		// sent once, counted.
		warm = load.NewWarmup(r.Cfg.WarmupWaves, run.Concurrency)
		r.warmUp(test, name, warm, load.Closed(ctx, run.Concurrency, warm.Size, warmPlan, r.Client.ChatAt))
		closeView = r.serverView(ctx)
		gen, start = load.StartGenerator(), time.Now()
		r.Logf("concurrency %s: %d requests from %d workers%s", name, n, run.Concurrency, of)
		ch = load.Closed(ctx, run.Concurrency, n, plan, r.Client.ChatAt)
	case names[1]:
		n = sh.Split(r.Cfg.OpenLoopRequests)
		run.Mode, run.RatePerS = "open", sh.Rate(r.Cfg.OpenLoopRate)
		if !r.syncStart(ctx, "concurrency-"+name) {
			return r.cancelled(run, n)
		}
		// The warm-up is the head of the same open loop, as a capacity
		// step's is: a wave is one second of arrivals at the run's rate
		// (at most a quarter of its requests), on a seed of its own, dealt
		// over the shards like the counted schedule, which follows one
		// mean gap after the last warm-up arrival. One loop, so the
		// counted part starts on schedule in every shard.
		wave = min(int(math.Ceil(r.Cfg.OpenLoopRate)), max(1, r.Cfg.OpenLoopRequests/4))
		warmAll := load.Arrivals(r.Cfg.OpenLoopRate, openWarmup(r.Cfg), OpenLoopSeed+7919)
		warm = load.NewWarmup(r.Cfg.WarmupWaves, 0)
		head := config.Take(sh, warmAll)
		warm.Size = len(head)
		var span time.Duration
		if len(warmAll) > 0 {
			span = warmAll[len(warmAll)-1] + time.Duration(float64(time.Second)/r.Cfg.OpenLoopRate)
			r.Logf("concurrency %s: warm-up, %d arrivals not counted (ACCEPTANCE_WARMUP_WAVES=%d)", name, warm.Size, warm.Waves)
		}
		// The warm-up is the head of the same loop, so the server's window
		// holds it too (ServerView.WarmupRequests says how many).
		closeView = r.serverView(ctx)
		// Each shard sends its round-robin part of the whole run's
		// schedule (one seed): together the shards send exactly the
		// arrivals one process would, over the same window, so no shard
		// runs on alone at the end. Each part alone is more regular than
		// Poisson (every N-th arrival); their union, which is what the
		// server sees, is the Poisson stream at λ.
		all := load.Arrivals(r.Cfg.OpenLoopRate, r.Cfg.OpenLoopRequests, OpenLoopSeed)
		what := "Poisson arrivals"
		if t := r.Trace(); t != nil {
			// The trace's own schedule, dealt the same way.
			what = fmt.Sprintf("lines of %s at its arrival times / %g", t.Name, r.Cfg.TraceSpeedup)
			all = t.Offsets(r.Cfg.TraceSpeedup)
			if all == nil {
				what = fmt.Sprintf("lines of %s (no timestamps) as Poisson arrivals", t.Name)
				all = load.Arrivals(r.Cfg.OpenLoopRate, len(t.Requests), OpenLoopSeed)
			}
			n = len(lines)
			if span := all[len(all)-1].Seconds(); span > 0 {
				run.RatePerS = sh.Rate(float64(len(all)-1) / span)
			}
		}
		offsets := head
		for _, off := range config.Take(sh, all) {
			offsets = append(offsets, span+off)
		}
		counted := plan
		plan = func(i int) (string, client.Request) {
			if i < len(head) {
				return warmPlan(i)
			}
			return counted(i - len(head))
		}
		gen, start = load.StartGenerator(), time.Now().Add(span)
		r.Logf("concurrency %s: %d %s at %.3g/s%s", name, n, what, run.RatePerS, of)
		ch = load.Open(ctx, offsets, 0, plan, r.Client.ChatAt)
	default:
		return r.refused(run, sidecar.Check{Name: sidecar.CheckRun, Detail: fmt.Sprintf("unknown load run %q (known: %s)", name, strings.Join(names, ", "))})
	}
	lim := r.limits()
	agg := load.NewAgg(lim)
	// The energy window is the loop's: an open loop's warm-up head is in
	// it, and its tokens are counted with the rest.
	meter, toks := r.energyMeter(ctx), tokens{}
	// A closed loop's first wave is sent all at once, the steady state
	// staggered: their TTFTs differ by design, so only TPOT is compared.
	cold := load.NewColdStart(max(run.Concurrency, wave), lim, run.Mode != "closed")
	head := 0 // the open loop's warm-up arrivals, at the head of its schedule
	if run.Mode == "open" {
		head = warm.Size
	}
	for res := range ch {
		toks.add(&res.Record, lim)
		if res.I < head {
			r.warmRecord(test, name, warm, res)
			continue
		}
		res.I -= head
		rec := res.Record
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = test, name, res.Class, res.I+1
		agg.Add(&rec)
		cold.Add(res.I, &rec)
		gen.Add(res.Lag, &rec)
		if rp != nil {
			rec.TraceLine = lines[res.I].Line
			rp.Add(lines[res.I], shared[res.I], &rec)
		}
		rec.Content, rec.Reasoning = "", ""
		r.Record(&rec)
		if r.progressDue(agg.Requests, n) {
			r.Logf("concurrency %s: %s", name, agg.Progress(n))
		}
	}
	finished := time.Now()
	energy := stopEnergy(meter, toks)
	lr := agg.ConcurrencyRun(name, finished.Sub(start), r.Cfg.MinGoodputRatio)
	lr.Energy = energy
	lr.Mode, lr.Concurrency, lr.RatePerS = run.Mode, run.Concurrency, run.RatePerS
	lr.StartedAt, lr.FinishedAt = start.UTC(), finished.UTC()
	if run.Mode == "open" {
		r.warmErrors(name, warm)
	}
	lr.Warmup = warm.Sidecar()
	lr.ColdStart = cold.Result(failed(lr.Checks, sidecar.CheckGoodputRatio), r.Cfg.MinGoodputRatio)
	gh := gen.Stop()
	lr.Generator = &gh
	if rp != nil {
		lr.Workload = rp.Workload()
	}
	lr.Checks = append(lr.Checks, load.GeneratorCheckAt(&gh, load.LagLimit(r.Cfg.SLOTTFT, lr.TTFTms.P50)))
	var gap sidecar.Check
	lr.ServerView, gap = closeView(lr.TTFTms, lr.E2Ems, agg.TTFT, head, lr.Checks)
	lr.Checks = append(lr.Checks, gap)
	lr.Checks = r.judgeCut(lr.Checks, agg.Requests, n)
	lr.Verdict = r.Judge().RunVerdict(lr.Checks)
	r.setConcurrency(lr)
	return lr
}

// ConversationRuns lists the TestConversation runs: "turns_<ACCEPTANCE_CONVERSATION_TURNS>".
func (r *LoadRuns) ConversationRuns() []string {
	return []string{"turns_" + strconv.Itoa(r.Cfg.ConversationTurns)}
}

// conversationSystem opens the conversation.
const conversationSystem = "You are a patient teacher. Answer each question fully, building on what you said before."

// conversationQuestions are asked in turn (cycled beyond their number);
// each builds on the answers before it, so the context is used.
var conversationQuestions = []string{
	"Explain what a hash table is.",
	"How does the one you described handle collisions? Compare two strategies.",
	"What happens to performance as the table fills up, with each strategy?",
	"Describe how resizing works and what it costs.",
	"How would you make that resizing incremental so no single insert is slow?",
	"Now explain how a B-tree differs from the hash table we discussed.",
	"When would you choose the B-tree over the hash table? Give three cases.",
	"How does a database use the structures we discussed for its indexes?",
	"Explain a log-structured merge tree and relate it to the B-tree.",
	"What are the write and read amplification trade-offs between them?",
	"How does compaction in the LSM tree work?",
	"Summarise every structure we discussed in a comparison table.",
	"Which of them suits an in-memory cache, and why?",
	"Which suits a write-heavy time-series store, and why?",
	"Looking back over our whole conversation, what are the three key ideas?",
}

// Conversation runs TestConversation/<name>: one conversation of
// ACCEPTANCE_CONVERSATION_TURNS turns, each sending the whole history plus
// a new question, streamed, thinking off, max_tokens the mean of
// ACCEPTANCE_SHORT_TOKENS and ACCEPTANCE_LONG_TOKENS (answers long enough
// for the context to grow). Per turn: TTFT, E2E, prompt tokens,
// throughput. Checks: errors (any failed turn fails the run and ends the
// conversation) and latency_growth (load.ConversationChecks).
func (r *LoadRuns) Conversation(ctx context.Context, name string) sidecar.ConversationRun {
	turns := r.Cfg.ConversationTurns
	run := sidecar.ConversationRun{Name: name, Turns: []sidecar.Turn{}}
	if name != r.ConversationRuns()[0] {
		run.Checks = []sidecar.Check{{Name: sidecar.CheckRun, Detail: fmt.Sprintf("unknown conversation %q (known: %s)", name, strings.Join(r.ConversationRuns(), ", "))}}
		run.Verdict = r.Judge().RunVerdict(run.Checks)
		return run
	}
	base := r.loadRequest("", conversationTokens(r.Cfg))
	base.Messages = []fixture.Message{{Role: "system", Content: conversationSystem}}
	question := func(i int) string { return conversationQuestions[i%len(conversationQuestions)] }
	test := "TestConversation/" + name
	// The warm-up is a first turn of the conversation's shape (its system
	// prompt and budget) with a question of its own, so it neither primes
	// the prefix cache of the counted turns nor changes their context.
	warm := load.NewWarmup(r.Cfg.WarmupWaves, 1)
	warmReq := base
	warmReq.Messages = append(slices.Clone(base.Messages), fixture.Message{Role: "user", Content: conversationWarmup})
	r.warmUp(test, name, warm, load.Sequential(ctx, warm.Size, 0, func(int) (string, client.Request) { return "turn", warmReq }, r.Client.ChatAt))
	run.Warmup = warm.Sidecar()
	cold := load.NewColdStart(1, r.limits(), false)
	var tokens int
	var genS float64
	for res := range load.Converse(ctx, turns, base, question, r.Client.ChatAt) {
		rec := res.Record
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = test, name, "turn", 1
		cold.Add(rec.Step-1, &rec)
		t := sidecar.Turn{Turn: rec.Step, PromptTokens: rec.PromptTokens, CompletionTokens: rec.CompletionTokens,
			TTFTms: rec.TTFTms, E2Ems: rec.E2Ems, OutputTokensPerS: rec.OutputTokensPerS()}
		if k := load.ErrorKey(&rec); k != "" {
			t.Error = k
			if rec.Error != "" {
				t.Error += ": " + r.Client.Redact(rec.Error)
			}
			if rec.ErrorKind.Interrupted() {
				run.Interrupted++ // the suite's doing, not the server's
			} else {
				run.Errors++
			}
		} else {
			tokens += rec.CompletionTokens
			genS += rec.E2Ems / 1000
		}
		run.Turns = append(run.Turns, t)
		r.Record(&rec)
		r.Logf("conversation %s: turn %d/%d, %d prompt tokens, TTFT %s, E2E %s%s", name, t.Turn, turns,
			t.PromptTokens, units.Ms(t.TTFTms), units.Ms(t.E2Ems), errSuffix(t.Error))
	}
	if genS > 0 {
		run.OutputTokensPerS = float64(tokens) / genS
	}
	run.ColdStart = cold.Result(false, 0)
	run.Checks = load.ConversationChecks(run.Turns)
	if done := len(run.Turns) - run.Interrupted; done < turns && run.Errors == 0 {
		// A conversation ends at its first error; short of that, the
		// suite's own stop cut it: the turns that did not run are not run.
		c, _ := r.cutShort(done, turns)
		c.Name = sidecar.CheckTurns
		c.Detail = strings.Replace(c.Detail, "requests finished", "turns ran", 1)
		if done == 0 {
			run.Checks = nil
		}
		run.Checks = append(run.Checks, c)
	}
	run.Verdict = r.Judge().RunVerdict(run.Checks)
	r.setConversation(run)
	return run
}

// conversationWarmup is the warm-up turn's question: not one of
// conversationQuestions, so the counted turns find nothing of it cached.
const conversationWarmup = "Before we start: in two sentences, what is an algorithm?"

// failed reports whether the check named name was judged and failed.
func failed(checks []sidecar.Check, name string) bool {
	return slices.ContainsFunc(checks, func(c sidecar.Check) bool { return c.Name == name && c.Result() == sidecar.Fail })
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ", error " + e
}

func (r *LoadRuns) progressDue(done, total int) bool {
	every := r.Cfg.ProgressEvery
	return every > 0 && done%every == 0 && done < total
}

// cancelled is a load run stopped before it began (interrupted while
// waiting for ACCEPTANCE_START_AT): not run.
func (r *LoadRuns) cancelled(run sidecar.ConcurrencyRun, planned int) sidecar.ConcurrencyRun {
	run.Errors = map[string]int{}
	c, _ := r.cutShort(0, planned)
	run.Checks = []sidecar.Check{c}
	run.Verdict = r.Judge().RunVerdict(run.Checks)
	r.setConcurrency(run)
	return run
}

// refused records a concurrency run that could not start, failed by the
// judge on its one failed check (the trace's calibration, an unknown
// name).
func (r *LoadRuns) refused(run sidecar.ConcurrencyRun, failed sidecar.Check) sidecar.ConcurrencyRun {
	run.Errors, run.Checks = map[string]int{}, []sidecar.Check{failed}
	run.Verdict = r.Judge().RunVerdict(run.Checks)
	r.setConcurrency(run)
	return run
}

// setConcurrency records run in the concurrency section, with the
// section's verdict, and checkpoints metrics.json.
func (r *LoadRuns) setConcurrency(run sidecar.ConcurrencyRun) {
	r.Update(func(m *sidecar.Metrics) {
		if m.Concurrency == nil {
			m.Concurrency = &sidecar.Concurrency{}
		}
		putRun(&m.Concurrency.Runs, run, func(x sidecar.ConcurrencyRun) string { return x.Name })
		m.Concurrency.Passed, _ = r.Judge().Section(m, sidecar.SectionConcurrency)
	})
	r.Checkpoint()
}

// setConversation records run in the conversation section, with the
// section's verdict, and checkpoints metrics.json.
func (r *LoadRuns) setConversation(run sidecar.ConversationRun) {
	r.Update(func(m *sidecar.Metrics) {
		if m.Conversation == nil {
			m.Conversation = &sidecar.Conversation{}
		}
		putRun(&m.Conversation.Runs, run, func(x sidecar.ConversationRun) string { return x.Name })
		m.Conversation.Passed, _ = r.Judge().Section(m, sidecar.SectionConversation)
	})
	r.Checkpoint()
}

// setStability records run in the stability section, with the section's
// verdict.
func (r *LoadRuns) setStability(run sidecar.StabilityRun) {
	r.Update(func(m *sidecar.Metrics) {
		if m.Stability == nil {
			m.Stability = &sidecar.Stability{}
		}
		putRun(&m.Stability.Runs, run, func(x sidecar.StabilityRun) string { return x.Name })
		m.Stability.Passed, _ = r.Judge().Section(m, sidecar.SectionStability)
	})
}

// putRun records run in its section, in place of a run of the same name,
// or after the others; the caller then records the section's verdict
// (sidecar.Judge.Section).
func putRun[T any](runs *[]T, run T, name func(T) string) {
	i := slices.IndexFunc(*runs, func(x T) bool { return name(x) == name(run) })
	if i >= 0 {
		(*runs)[i] = run
	} else {
		*runs = append(*runs, run)
	}
}
