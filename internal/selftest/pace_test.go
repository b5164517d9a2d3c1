package selftest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// The plan (internal/suite/plan.go, pace.go; docs/pace.md) at the seed's
// pace: the seed_pace persona decodes about 33 tok/s after a TTFT of about
// 200 ms, as the seed report's Qwen3-32B-AWQ card did.

// areaRecords counts requests.jsonl's lines by top-level test, the pace
// probe's apart.
func areaRecords(recs []record.Record) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		out[strings.SplitN(r.Test, "/", 2)[0]]++
	}
	return out
}

// A deadline shorter than the plan's pauses and schedules alone is refused
// before any request, whatever the server's pace: the simulator sees no
// chat request at all.
func TestPlanRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	o := Run(t, map[string]string{"ACCEPTANCE_SIMULATOR": "seed_pace"}, 2*time.Minute, "-test.timeout", "60s")
	assert.NotEqual(t, 0, o.ExitCode)
	assert.Empty(t, o.Records, "no chat request before the refusal")
	assert.Contains(t, o.Output, "whatever the server's pace")
	assert.Contains(t, o.Output, "go test -timeout is 1m: run with -timeout ")
	assert.Equal(t, "FAIL", o.Tests["TestToolCalling"], "every case fails with the line:\n%s", tail(o.Output))
	assert.Equal(t, "FAIL", o.Tests["TestStability"])
}

// At the seed's pace the default plan (capacity off, as every self-test
// has it) needs far more than 4 minutes: after the pace probe, the plan
// is printed and refused before any area sends a request, with the
// -timeout to use.
func TestPlanRefusedAtPaceBeforeLoad(t *testing.T) {
	t.Parallel()
	o := Run(t, map[string]string{"ACCEPTANCE_SIMULATOR": "seed_pace"}, 3*time.Minute, "-test.timeout", "4m")
	assert.NotEqual(t, 0, o.ExitCode)
	byTest := areaRecords(o.Records)
	assert.Equal(t, map[string]int{suite.PaceTest: suite.PaceRequests}, byTest, "only the pace probe's requests, no area's")
	for _, r := range o.Records {
		assert.Equal(t, record.ClassWarmup, r.Class, "the probe counts in no figure")
	}
	m := regexp.MustCompile(`at (\d+) tok/s the plan needs about ([^;]+); go test -timeout is 4m: run with -timeout (\S+), or narrow with -run / the area knobs`).FindStringSubmatch(o.Output)
	require.NotNil(t, m, "the refusal line:\n%s", tail(o.Output))
	rate, _ := strconv.Atoi(m[1])
	assert.InDelta(t, 33, rate, 8, "the probe measures the persona's pace")
	for _, area := range []string{"tool calling", "stability", "concurrency", "conversation"} {
		assert.Regexp(t, `plan: `+area+` +\d+ requests +about `, o.Output, "the plan has a line per area")
	}
	assert.NotContains(t, o.Output, "plan: capacity", "capacity is off (ACCEPTANCE_CAPACITY=false)")
	assert.Equal(t, "FAIL", o.Tests["TestToolCalling"])
}

// planLine reads "plan: <area>   N requests" lines.
var planLine = regexp.MustCompile(`plan: (\S+(?: \S+)*?) +(\d+) requests`)

// The printed plan is what the areas send: on a fast healthy server whose
// every answer passes (no twin, no extra stream), each area's count in
// the plan equals its lines in requests.jsonl, warm-ups included. With
// -run, only the selected areas are planned.
func TestPlanMatchesWhatAreasSend(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ACCEPTANCE_SIMULATOR":            "healthy?ttft=2ms&itl=1ms",
		"ACCEPTANCE_TOOLCALL_REPEATS":     "1",
		"ACCEPTANCE_STRUCTURED_REPEATS":   "1",
		"ACCEPTANCE_STABILITY_REQUESTS":   "4",
		"ACCEPTANCE_STABILITY_INTERVAL":   "10ms",
		"ACCEPTANCE_CONCURRENCY":          "2",
		"ACCEPTANCE_CONCURRENCY_REQUESTS": "4",
		"ACCEPTANCE_OPEN_LOOP_RATE":       "20",
		"ACCEPTANCE_OPEN_LOOP_REQUESTS":   "8",
		"ACCEPTANCE_CONVERSATION_TURNS":   "3",
		"ACCEPTANCE_SHORT_TOKENS":         "8",
		"ACCEPTANCE_LONG_TOKENS":          "16",
	}
	o := Run(t, env, 5*time.Minute, "-test.timeout", "10m")
	// The counts, not the load verdicts (a loaded CI machine can fail a
	// load generator check): every tool-calling answer is right, so no
	// twin or extra stream was sent beyond the plan.
	require.Equal(t, "PASS", o.Tests["TestToolCalling"], tail(o.Output))
	tests := map[string]string{"tool calling": "TestToolCalling", "structured outputs": "TestStructuredOutputs", "API contract": "TestContract",
		"stability": "TestStability", "concurrency": "TestConcurrency", "conversation": "TestConversation"}
	planned := map[string]int{}
	for _, m := range planLine.FindAllStringSubmatch(o.Output, -1) {
		n, _ := strconv.Atoi(m[2])
		planned[tests[m[1]]] = n
	}
	sent := areaRecords(o.Records)
	delete(sent, suite.PaceTest)
	require.Len(t, planned, len(tests), "a plan line per area:\n%s", tail(o.Output))
	assert.Equal(t, planned, sent, "the plan counts what each area sent")

	only := Run(t, env, 2*time.Minute, "-test.timeout", "10m", "-test.run", "TestConversation")
	assert.Contains(t, only.Output, "plan: conversation")
	assert.NotContains(t, only.Output, "plan: tool calling", "-run selects the areas planned")
	assert.Equal(t, planned["TestConversation"], areaRecords(only.Records)["TestConversation"])
}

// fixturesOf copies the named scenario files into a folder of their own,
// so that the plan counts exactly the scenarios run.
func fixturesOf(t *testing.T, names ...string) string {
	dir := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(config.RepoRoot(), "fixtures", n+".yaml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, n+".yaml"), b, 0o644))
	}
	return dir
}

// thinkEnv: thinking on, both transports, one attempt of an auto and a
// required scenario, under a 3 s ACCEPTANCE_REQUEST_TIMEOUT: the seed's
// pace with 300 reasoning tokens needs about 10 s (issue 24's 30 s of
// thinking at 50 tok/s under a 15 s timeout, scaled down).
func thinkEnv(t *testing.T, persona string) map[string]string {
	return map[string]string{
		"ACCEPTANCE_SIMULATOR":        persona,
		"ACCEPTANCE_FIXTURES":         fixturesOf(t, "simple_get_weather", "tool_choice_required_current_weather_vienna"),
		"ACCEPTANCE_THINKING":         "on",
		"ACCEPTANCE_TOOLCALL_REPEATS": "1",
		"ACCEPTANCE_REQUEST_TIMEOUT":  "3s",
	}
}

// A healthy reasoning model that thinks steadily past a short request
// timeout gets the budget code, of the model kind, never a server fault;
// the user is warned before any load that the timeout cannot hold.
func TestThinkingPastShortTimeout(t *testing.T) {
	t.Parallel()
	o := Run(t, thinkEnv(t, "seed_pace"), 3*time.Minute, "-test.timeout", "10m", "-test.run", "TestToolCalling$")
	warn := strings.Index(o.Output, "8,192 thinking tokens (ACCEPTANCE_THINKING_MAX_TOKENS) at ")
	require.GreaterOrEqual(t, warn, 0, "the warning:\n%s", tail(o.Output))
	assert.Contains(t, o.Output, "ACCEPTANCE_REQUEST_TIMEOUT is 3 s")
	assert.Less(t, warn, strings.Index(o.Output, "=== RUN"), "warned before any load")
	require.NotNil(t, o.Metrics)
	require.NotNil(t, o.Metrics.ToolCalling)
	require.Len(t, o.Metrics.ToolCalling.Scenarios, 4, "two scenarios, plain and stream")
	for _, s := range o.Metrics.ToolCalling.Scenarios {
		assert.Equal(t, 0, s.ServerFailures, "%s [%s]: a budget is not a server fault", s.Name, s.Mode)
		var codes []string
		for _, d := range s.Diagnoses {
			codes = append(codes, d.Code)
			if d.Code == string(diagnosis.TimeoutTooShort) {
				assert.Equal(t, string(diagnosis.KindModel), d.Kind)
				if strings.HasSuffix(s.Mode, "stream") {
					assert.Contains(t, d.Example, "ACCEPTANCE_REQUEST_TIMEOUT=3s ended the stream while it was still delivering tokens", "the figures and the knob")
					assert.Regexp(t, `\d+ tokens received at \d+\.\d tok/s`, d.Example)
				} else {
					assert.Contains(t, d.Example, "needs about", "a plain answer: max_tokens at the measured pace")
				}
			}
		}
		assert.Equal(t, []string{string(diagnosis.TimeoutTooShort)}, codes, "%s [%s]", s.Name, s.Mode)
	}
	streamed := 0
	for _, r := range o.Records {
		if r.Test == suite.PaceTest {
			continue
		}
		require.Equal(t, []string{string(diagnosis.TimeoutTooShort)}, r.Diagnoses, "%s: %s", r.Test, r.Error)
		if r.Stream {
			streamed++
			assert.Greater(t, r.TokenChunks, 20, "tokens were still coming")
		}
	}
	assert.Equal(t, 2, streamed)
}

// A server that stops sending tokens mid-stream stays a server timeout:
// the budget code is only for a stream still flowing. (A non-streamed
// answer shows no tokens: its max_tokens needs longer than 3 s at the
// measured pace, so it reads the budget code; its streamed twin is what
// shows the stall, and fails the scenario as a server fault.)
func TestStalledStreamStaysTimeout(t *testing.T) {
	t.Parallel()
	o := Run(t, thinkEnv(t, "seed_pace?stall_after=20"), 3*time.Minute, "-test.timeout", "10m", "-test.run", "TestToolCalling$")
	assert.NotEqual(t, 0, o.ExitCode)
	require.NotNil(t, o.Metrics)
	require.NotNil(t, o.Metrics.ToolCalling)
	for _, s := range o.Metrics.ToolCalling.Scenarios {
		if strings.HasSuffix(s.Mode, "stream") {
			assert.Positive(t, s.ServerFailures, "%s [%s]: a stalled server is a server fault", s.Name, s.Mode)
		}
	}
	streamed := 0
	for _, r := range o.Records {
		if r.Stream && r.Test != suite.PaceTest {
			streamed++
			assert.Equal(t, []string{string(diagnosis.Timeout)}, r.Diagnoses, "%s: %s", r.Test, r.Error)
		}
	}
	assert.Equal(t, 2, streamed)
}
