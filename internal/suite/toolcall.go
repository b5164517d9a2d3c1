package suite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// ToolCalling runs the tool-calling area (TestToolCalling): every
// fixture scenario in every thinking setting and transport, each attempt
// judged by internal/toolcheck and each mode by internal/toolverdict. It
// records the tool_calling section; TestToolCallingModelRates judges the
// rates from Summary.
type ToolCalling struct{ *Run }

// Mode is one way of sending a scenario: thinking setting and transport.
type Mode struct {
	Think  string // "off", "on" or "default"
	Stream bool
}

// Name is the mode's subtest path, e.g. "think_off/stream".
func (m Mode) Name() string {
	t := "plain"
	if m.Stream {
		t = "stream"
	}
	return "think_" + m.Think + "/" + t
}

// ModeResult is every attempt of a scenario in one mode, and its verdict.
type ModeResult struct {
	Mode Mode
	toolverdict.Result
}

// MaxExtraTwins bounds the extra non-streamed twins sent for one streamed
// step whose answer differs from every plain answer while those agree:
// each extra twin either reproduces the streamed answer or shows the
// server varying (then the difference is nondeterminism), or adds to the
// evidence that the stream alone disagrees (verdict.streamEquivalence).
// Only a suspect stream costs extra requests.
const MaxExtraTwins = 3

// Scenario runs sc in every configured thinking setting and transport
// and returns each mode's verdict; the model rate is judged over all of
// them together (toolverdict.Pool).
func (r *ToolCalling) Scenario(ctx context.Context, test string, sc *fixture.Scenario) []ModeResult {
	out := r.Modes(ctx, test, sc)
	r.Update(func(met *sidecar.Metrics) {
		if met.ToolCalling == nil {
			met.ToolCalling = &sidecar.ToolCalling{}
		}
		for _, m := range out {
			met.ToolCalling.Scenarios = append(met.ToolCalling.Scenarios, m.Scenario)
		}
	})
	r.Checkpoint()
	return out
}

// Modes runs sc in every configured thinking setting and
// transport and judges each mode, pooling the model rate over them, but
// leaves the tool_calling section alone (TestToolCallingUnderLoad keeps
// its own).
func (r *ToolCalling) Modes(ctx context.Context, test string, sc *fixture.Scenario) []ModeResult {
	var out []ModeResult
	for _, think := range r.Cfg.Thinking {
		out = append(out, r.oneThinking(ctx, test, sc, think)...)
	}
	results := make([]toolverdict.Result, len(out))
	for i, m := range out {
		results[i] = m.Result
	}
	toolverdict.Pool(results, r.thresholds())
	for i := range out {
		out[i].Result = results[i]
	}
	return out
}

// oneThinking runs sc ACCEPTANCE_TOOLCALL_REPEATS times with one thinking
// setting, in each configured transport, and closes each mode.
// Every streamed step is compared with non-streamed answers to the same
// request: its twin (the plain attempt when plain mode runs too), the
// other attempts' plain answers, and extra twins when the stream is
// suspect (see MaxExtraTwins).
func (r *ToolCalling) oneThinking(ctx context.Context, test string, sc *fixture.Scenario, think string) []ModeResult {
	_, streamOn, plainOn := toolCallSends(r.Cfg)
	th := r.thresholds()
	plainMode, streamMode := Mode{Think: think}, Mode{Think: think, Stream: true}
	plain := toolverdict.New(sc, test+"/"+plainMode.Name(), plainMode.Name(), false, th)
	stream := toolverdict.New(sc, test+"/"+streamMode.Name(), streamMode.Name(), true, th)
	// Attempts never reached (the run stopped first) are not run.
	plain.Plan(r.Cfg.ToolCallRepeats)
	stream.Plan(r.Cfg.ToolCallRepeats)
	addPlain := func(steps []toolverdict.Step) {
		for k, st := range steps {
			plain.AddPlain(k, st)
			stream.AddPlain(k, st)
		}
	}
	streamReqs := map[int]client.Request{} // the last streamed request of each step
	for i := 1; i <= r.Cfg.ToolCallRepeats && ctx.Err() == nil; i++ {
		if plainOn || streamOn {
			p := r.attempt(ctx, test+"/"+plainMode.Name(), sc, plainMode, i, plainOn)
			if plainOn {
				plain.Add(p.Attempt)
			}
			addPlain(p.Steps)
		}
		if streamOn {
			a := r.attempt(ctx, test+"/"+streamMode.Name(), sc, streamMode, i, true)
			stream.Add(a.Attempt)
			for k, st := range a.Steps {
				streamReqs[k] = a.requests[k]
				req := a.requests[k]
				req.Stream = false
				for extra := 0; extra < MaxExtraTwins && stream.Unexplained(k, st) && ctx.Err() == nil; extra++ {
					twin := r.send(ctx, test+"/"+plainMode.Name(), sc, plainMode, i, k, req, false)
					plain.AddPlain(k, twin)
					stream.AddPlain(k, twin)
				}
			}
		}
	}
	if streamOn && ctx.Err() == nil {
		r.confirmStream(ctx, test+"/"+streamMode.Name(), sc, streamMode, stream, streamReqs)
	}
	if ctx.Err() != nil {
		plain.Stopped(sidecar.NotRunPrefix + r.stopWhy())
		stream.Stopped(sidecar.NotRunPrefix + r.stopWhy())
	}
	var out []ModeResult
	for _, m := range []struct {
		mode Mode
		on   bool
		acc  *toolverdict.Scenario
	}{{plainMode, plainOn, plain}, {streamMode, streamOn, stream}} {
		if m.on {
			out = append(out, ModeResult{Mode: m.mode, Result: m.acc.Close(r.redactor.String)})
		}
	}
	return out
}

// MaxExtraStreams bounds the extra streamed twins sent for a step whose
// streamed answers all differ from the plain ones systematically
// (toolverdict.Scenario.Suspect): a streaming fault reproduces on every one;
// a model's chance run of errors does not, and the first extra twin that
// matches a plain answer clears the step.
const MaxExtraStreams = 3

// confirmStream sends the extra streamed twins of the suspect steps: the
// request of the step's last streamed attempt, again, until it gives a
// plain answer or MaxExtraStreams were sent. They go to requests.jsonl as
// twins.
func (r *ToolCalling) confirmStream(ctx context.Context, test string, sc *fixture.Scenario, mode Mode, acc *toolverdict.Scenario, reqs map[int]client.Request) {
	for _, k := range acc.Suspect() {
		req, ok := reqs[k]
		if !ok {
			continue
		}
		for extra := 0; extra < MaxExtraStreams && ctx.Err() == nil && slices.Contains(acc.Suspect(), k); extra++ {
			acc.AddStream(k, r.send(ctx, test, sc, mode, 0, k, req, false))
		}
	}
}

// sentAttempt is an attempt with the requests its steps sent, so that a
// streamed step can be sent again without streaming.
type sentAttempt struct {
	toolverdict.Attempt
	requests []client.Request
}

// attempt runs every step of sc once, up to the first step that fails.
// write says whether the records go to requests.jsonl as the mode's own
// (false: a twin sent only for comparison, marked by its class).
func (r *ToolCalling) attempt(ctx context.Context, test string, sc *fixture.Scenario, mode Mode, n int, write bool) sentAttempt {
	a := sentAttempt{Attempt: toolverdict.Attempt{N: n}}
	msgs := append([]fixture.Message(nil), sc.Messages...)
	temp := 0.0
	if sc.Temperature != nil {
		temp = *sc.Temperature
	}
	for k, step := range sc.Steps {
		req := client.Request{
			Model: r.Cfg.Model, Messages: append([]fixture.Message(nil), msgs...), Tools: sc.Tools, ToolChoice: sc.ToolChoice,
			MaxTokens: maxTokens(sc.MaxTokens, mode.Think, r.Cfg.ThinkingMaxTokens), Temperature: &temp, Stream: mode.Stream, Thinking: thinking(mode.Think),
		}
		req = r.budget(req)
		st := r.send(ctx, test, sc, mode, n, k, req, write)
		a.Steps = append(a.Steps, st)
		a.requests = append(a.requests, req)
		if !st.Result.Passed {
			break
		}
		rec := st.Record
		// Feed the model's own answer back, then the fixture's tool results.
		as := fixture.Message{Role: "assistant", Content: rec.Content}
		ids := make([]string, len(rec.ToolCalls))
		for j, c := range rec.ToolCalls {
			ids[j] = c.ID
			if ids[j] == "" {
				ids[j] = fmt.Sprintf("call_%d_%d", k, j)
			}
			as.ToolCalls = append(as.ToolCalls, fixture.CallSpec{ID: ids[j], Name: c.Name, Arguments: c.Arguments})
		}
		msgs = append(msgs, as)
		for j, c := range rec.ToolCalls {
			if res, ok := step.Results[c.Name]; ok {
				msgs = append(msgs, fixture.Message{Role: "tool", ToolCallID: ids[j], Content: res})
			}
		}
	}
	return a
}

// send sends one step's request, judges the answer and records it.
func (r *ToolCalling) send(ctx context.Context, test string, sc *fixture.Scenario, mode Mode, n, k int, req client.Request, write bool) toolverdict.Step {
	rec := r.Client.Chat(ctx, req)
	rec.Test, rec.Scenario, rec.Class, rec.Attempt, rec.Step = test, sc.Name, mode.Name(), n, k
	if !write {
		rec.Class += "/twin"
	}
	var res toolcheck.Result
	if !rec.OK() {
		res = toolcheck.Result{Checks: map[string]bool{}, Findings: diagnosis.Transport(&rec)}
	} else {
		res = toolcheck.Evaluate(&rec, sc, k)
	}
	if req.Stream && rec.OK() {
		if len(rec.StreamIssues) > 0 {
			res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StreamMalformed, Detail: strings.Join(rec.StreamIssues, "; ")})
			res.Passed = false
		}
		res.Checks[toolcheck.Stream] = len(rec.StreamIssues) == 0
	}
	for _, f := range res.Findings {
		rec.Diagnoses = append(rec.Diagnoses, string(f.Code))
	}
	r.Record(&rec)
	return toolverdict.Step{Record: rec, Result: res}
}

func thinking(mode string) *bool {
	switch mode {
	case "on":
		t := true
		return &t
	case "off":
		f := false
		return &f
	}
	return nil
}

// Summary finalizes the tool-calling section as it stands (the
// rates per category and over the run) and returns a copy; nil when no
// scenario has run.
func (r *ToolCalling) Summary() *sidecar.ToolCalling {
	r.mu.Lock()
	defer r.mu.Unlock()
	tc := r.metrics.ToolCalling
	if tc == nil {
		return nil
	}
	toolverdict.Finalize(tc, r.thresholds())
	out := *tc
	out.Scenarios = append([]sidecar.Scenario(nil), tc.Scenarios...)
	out.Categories = append([]sidecar.Category(nil), tc.Categories...)
	return &out
}
