package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/structured"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// StructuredOutputs runs the structured-output area
// (TestStructuredOutputs): every fixtures/structured scenario in every
// thinking setting and transport, judged by internal/structured, after one
// plain canary request that tells a server fault from a refused feature.
type StructuredOutputs struct {
	*Run
	canary canaryState
}

// canaryState is the plain request sent before the structured-output
// section: whether it succeeded decides whether a later failure of the
// same request means the server got worse.
type canaryState struct {
	once sync.Once
	ok   bool
}

// loadStructured reads the structured-output scenarios: the structured/
// folder of ACCEPTANCE_FIXTURES, or the embedded copy where that folder
// does not exist. A bad file stops the run at start, as a bad tool-calling one does.
func (r *Run) loadStructured() ([]*fixture.Structured, error) {
	dir := r.fixturesDir()
	if _, err := os.Stat(filepath.Join(dir, "structured")); err != nil {
		// Outside a checkout, or a fixtures folder of tool-calling
		// scenarios only: the shipped structured-output scenarios.
		return fixture.LoadStructuredFS(fixtures.StructuredFS, "structured", "fixtures/structured")
	}
	return fixture.LoadStructured(filepath.Join(dir, "structured"))
}

// API is the request field of choice and regex constraints:
// ACCEPTANCE_STRUCTURED_API, or under "auto" "guided" for a vLLM before
// 0.10.2 (which has no structured_outputs field) and "structured_outputs"
// otherwise (vLLM 0.10.2 renamed guided_* into structured_outputs;
// vllm/entrypoints/openai/protocol.py, vllm-project/vllm@ec3b890c).
func (r *StructuredOutputs) API() string {
	if r.Cfg.StructuredAPI != "" && r.Cfg.StructuredAPI != "auto" {
		return r.Cfg.StructuredAPI
	}
	if before(r.Server.Version, 0, 10, 2) {
		return "guided"
	}
	return "structured_outputs"
}

// before reports whether version (e.g. "0.9.2", "0.10.1.dev3+g...") is a
// release before major.minor.patch; false when it does not parse.
func before(version string, major, minor, patch int) bool {
	parts := strings.SplitN(version, ".", 4)
	if len(parts) < 2 {
		return false
	}
	nums := make([]int, 3)
	for i := 0; i < 3 && i < len(parts); i++ {
		digits := strings.TrimLeftFunc(parts[i], func(r rune) bool { return r == 'v' })
		end := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' })
		if end >= 0 {
			digits = digits[:end]
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			return false
		}
		nums[i] = n
	}
	if nums[0] == 0 && nums[1] == 0 && nums[2] == 0 {
		return false // 0.0.0: a development build (the simulator's), not a release
	}
	want := []int{major, minor, patch}
	for i := range 3 {
		if nums[i] != want[i] {
			return nums[i] < want[i]
		}
	}
	return false
}

// request is one request of sc in mode.
func (r *StructuredOutputs) request(sc *fixture.Structured, mode Mode) client.Request {
	temp := 0.0
	extra := map[string]any{}
	api := r.API()
	switch sc.Format {
	case fixture.FormatJSONSchema:
		extra["response_format"] = map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": sc.Name, "schema": sc.Schema, "strict": sc.StrictMode()}}
	case fixture.FormatJSONObject:
		extra["response_format"] = map[string]any{"type": "json_object"}
	case fixture.FormatChoice:
		if api == "guided" {
			extra["guided_choice"] = sc.Choice
		} else {
			extra["structured_outputs"] = map[string]any{"choice": sc.Choice}
		}
	case fixture.FormatRegex:
		if api == "guided" {
			extra["guided_regex"] = sc.Regex
		} else {
			extra["structured_outputs"] = map[string]any{"regex": sc.Regex}
		}
	}
	return client.Request{Model: r.Cfg.Model, Messages: sc.Messages, MaxTokens: maxTokens(sc.MaxTokens, mode.Think, r.Cfg.ThinkingMaxTokens),
		Temperature: &temp, Stream: mode.Stream, Thinking: thinking(mode.Think), Extra: extra}
}

// canaryRequest is the plain request sent before the section and after
// each scenario mode.
func (r *StructuredOutputs) canaryRequest() client.Request {
	temp := 0.0
	return client.Request{Model: r.Cfg.Model, Messages: []fixture.Message{{Role: "user", Content: "Say hello in one short sentence."}},
		MaxTokens: 32, Temperature: &temp, Thinking: thinking("off")}
}

// sendCanary sends the canary, up to three times while it fails (a server
// that fails now and then is not one that got worse), and returns whether
// one succeeded and the last failure's line.
func (r *StructuredOutputs) sendCanary(ctx context.Context, test string) (bool, string) {
	detail := ""
	for i := 1; i <= 3 && ctx.Err() == nil; i++ {
		rec := r.Client.Chat(ctx, r.canaryRequest())
		rec.Test, rec.Scenario, rec.Class, rec.Attempt = test, "canary", "canary", i
		r.Record(&rec)
		if rec.OK() {
			return true, ""
		}
		if rec.ErrorKind.Interrupted() {
			return true, "" // the suite's own stop says nothing of the server
		}
		detail = fmt.Sprintf("HTTP %d %s", rec.Status, strings.TrimSpace(diagnosis.ErrorMessage(rec.Body)+" "+rec.Error))
	}
	return ctx.Err() != nil, detail
}

// Scenario runs sc in every configured thinking setting and
// transport, ACCEPTANCE_STRUCTURED_REPEATS times each, judges each mode
// and records it in the structured_outputs section.
func (r *StructuredOutputs) Scenario(ctx context.Context, test string, sc *fixture.Structured) []sidecar.StructuredScenario {
	cs := &r.canary
	cs.once.Do(func() { cs.ok, _ = r.sendCanary(ctx, test) })
	out := r.modes(ctx, test, sc, cs.ok, nil)
	j := r.Judge()
	r.Update(func(m *sidecar.Metrics) {
		if m.StructuredOutputs == nil {
			m.StructuredOutputs = &sidecar.StructuredOutputs{API: r.API()}
		}
		so := m.StructuredOutputs
		so.Scenarios = append(so.Scenarios, out...)
		// Scenarios run in parallel: keep the file in name order.
		slices.SortStableFunc(so.Scenarios, func(a, b sidecar.StructuredScenario) int { return strings.Compare(a.Name, b.Name) })
		so.ServerFailures = 0
		passed, attempts := 0, 0
		for _, s := range so.Scenarios {
			so.ServerFailures += s.ServerFailures
			passed += s.Model.Passed
			attempts += s.Model.Attempts
		}
		rate := toolverdict.ModelRate(passed, attempts, r.Cfg.ModelMinPassRate)
		so.Model = &rate
		so.Passed = j.Checks(so.AllChecks()) != sidecar.Fail
		if m.Knobs.Extra == nil {
			m.Knobs.Extra = map[string]string{}
		}
		m.Knobs.Extra["structured_repeats"] = strconv.Itoa(r.Cfg.StructuredRepeats)
		m.Knobs.Extra["structured_api"] = r.Cfg.StructuredAPI
	})
	r.Checkpoint()
	return out
}

// Summary is a copy of the structured_outputs section so far
// (nil before any scenario ran).
func (r *StructuredOutputs) Summary() *sidecar.StructuredOutputs {
	r.mu.Lock()
	defer r.mu.Unlock()
	so := r.metrics.StructuredOutputs
	if so == nil {
		return nil
	}
	out := *so
	out.Scenarios = slices.Clone(so.Scenarios)
	if so.Model != nil {
		m := *so.Model
		out.Model = &m
	}
	return &out
}

// modes runs and judges sc's modes. canary: send the canary
// after each mode (the plain request succeeded before the section);
// seen, when not nil, gets every record.
func (r *StructuredOutputs) modes(ctx context.Context, test string, sc *fixture.Structured, canary bool, seen func(*record.Record)) []sidecar.StructuredScenario {
	var out []sidecar.StructuredScenario
	for _, think := range r.Cfg.Thinking {
		for _, transport := range r.Cfg.ToolCallModes {
			mode := Mode{Think: think, Stream: transport == "stream"}
			acc := structured.NewMode(sc, mode.Name(), test+"/"+mode.Name())
			reason := ""
			for i := 1; i <= r.Cfg.StructuredRepeats; i++ {
				if ctx.Err() != nil {
					acc.Add(structured.Result{NotRun: true})
					reason = "the run stopped before this attempt (" + context.Cause(ctx).Error() + ")"
					continue
				}
				rec := r.Client.Chat(ctx, r.request(sc, mode))
				rec.Test, rec.Scenario, rec.Class, rec.Attempt = test+"/"+mode.Name(), sc.Name, mode.Name(), i
				res := structured.Judge(&rec, sc)
				for _, f := range res.Findings {
					rec.Diagnoses = append(rec.Diagnoses, string(f.Code))
				}
				if res.NotRun {
					reason = "interrupted by the suite"
				}
				if seen != nil {
					seen(&rec)
				}
				r.Record(&rec)
				acc.Add(res)
			}
			if canary && ctx.Err() == nil {
				if ok, detail := r.sendCanary(ctx, test+"/"+mode.Name()); !ok {
					acc.CanaryFailed("the plain canary request failed after this mode (" + detail + "); it succeeded before the section")
					r.Update(func(m *sidecar.Metrics) {
						if m.StructuredOutputs == nil {
							m.StructuredOutputs = &sidecar.StructuredOutputs{API: r.API()}
						}
						m.StructuredOutputs.CanaryFailures++
					})
				}
			}
			out = append(out, acc.Close(r.Cfg.ModelScenarioMinPassRate, reason))
		}
	}
	return out
}
