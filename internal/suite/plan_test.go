package suite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/capacity"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// seedPace: the seed report's Qwen3-32B-AWQ card, as the seed_pace persona
// plays it.
var seedPace = Pace{TTFT: 200 * time.Millisecond, TokPerS: 33}

// The whole default plan at the seed's pace, by the estimator alone (no
// request, no sleep): its counts are the areas' (counted here from the
// scenario files and the knobs' documented meaning), and go test's default
// 10 minutes cannot hold it.
func TestDefaultPlanAtSeedPace(t *testing.T) {
	sc, err := fixture.Load(filepath.Join(config.RepoRoot(), "fixtures"))
	require.NoError(t, err)
	so, err := fixture.LoadStructured(filepath.Join(config.RepoRoot(), "fixtures", "structured"))
	require.NoError(t, err)
	cfg := config.Default()
	plan := Plan(cfg, sc, nil, so...)
	byTest := map[string]AreaPlan{}
	var order []string
	for _, a := range plan {
		byTest[a.Test] = a
		order = append(order, a.Test)
	}
	assert.Equal(t, []string{"TestToolCalling", "TestStructuredOutputs", "TestContract", "TestStability", "TestConcurrency", "TestConversation",
		"TestCapacity", "TestToolCallingUnderLoad", "TestStructuredOutputsUnderLoad"}, order, "the gate's order (GateOrder), less the tests that send nothing")
	// Each structured-output scenario in 2 thinking settings × 2
	// transports × ACCEPTANCE_STRUCTURED_REPEATS, a canary before the
	// section and one after each mode.
	assert.Equal(t, len(so)*4*cfg.StructuredRepeats+1+len(so)*4, byTest["TestStructuredOutputs"].Requests())

	steps := 0
	for _, s := range sc {
		steps += len(s.Steps)
	}
	// Every step of every scenario, ACCEPTANCE_TOOLCALL_REPEATS times, in
	// both thinking settings, plain and streamed.
	assert.Equal(t, steps*cfg.ToolCallRepeats*2*2, byTest["TestToolCalling"].Requests())
	assert.Equal(t, byTest["TestToolCalling"].Requests(), byTest["TestToolCallingUnderLoad"].Requests())
	assert.Equal(t, 2*cfg.WarmupWaves+cfg.StabilityRequests, byTest["TestStability"].Requests(), "a warm-up wave is one short and one long")
	assert.Equal(t, cfg.WarmupWaves*cfg.Concurrency+cfg.ConcurrencyRequests+cfg.WarmupWaves*2+cfg.OpenLoopRequests, byTest["TestConcurrency"].Requests())
	assert.Equal(t, cfg.WarmupWaves+cfg.ConversationTurns, byTest["TestConversation"].Requests())
	assert.Equal(t, IdleRequests, byTest["TestCapacity"].Requests(), "the search is sized by time, not counted ahead")
	assert.Equal(t, capacity.TimeBudget(cfg.Capacity),
		Estimate(byTest["TestCapacity"], seedPace)-Batch{Requests: IdleRequests, Tokens: cfg.ShortTokens}.Wall(seedPace), "the search at most")

	// Stability at 33 tok/s: 22 requests of 500 tokens on average, 19
	// pauses of 5 s.
	one := seedPace.Request(500)
	assert.Equal(t, 22*one+19*5*time.Second, Estimate(byTest["TestStability"], seedPace))

	need := Total(plan, seedPace)
	assert.Greater(t, need, 10*time.Minute, "go test's default -timeout cannot hold the default plan at the seed's pace")
	assert.Greater(t, Total(plan, seedPace), Total(plan, Pace{TTFT: seedPace.TTFT, TokPerS: 100}), "a faster server needs less")
	assert.Equal(t, 2*cfg.CapacityWarmup+19*5*time.Second+
		time.Duration(float64(2+cfg.OpenLoopRequests)/cfg.OpenLoopRate*float64(time.Second)), Floor(plan),
		"on any server: the pauses, the open loop's schedule and the two under-load areas' background warm-ups; the search may end sooner than its budget")

	only := Plan(cfg, sc, Selected("TestConversation", ""))
	require.Len(t, only, 1)
	assert.Equal(t, "TestConversation", only[0].Test)

	cfg.Sharding = config.Sharding{Index: 1, Count: 2}
	var shard []string
	for _, a := range Plan(cfg, sc, nil) {
		shard = append(shard, a.Test)
	}
	assert.Equal(t, []string{"TestConcurrency", "TestCapacity"}, shard, "beyond shard 0 only the load areas run")
}

func TestSelected(t *testing.T) {
	all := Selected("", "")
	assert.True(t, all("TestCapacity"))
	tc := Selected("TestToolCalling", "")
	assert.True(t, tc("TestToolCalling"))
	assert.True(t, tc("TestToolCallingUnderLoad"), "go test's -run is unanchored")
	assert.False(t, tc("TestStability"))
	assert.False(t, Selected("TestToolCalling$", "")("TestToolCallingUnderLoad"))
	assert.True(t, Selected("TestToolCalling$/simple", "")("TestToolCalling"), "a subtest pattern selects its top-level test")
	assert.False(t, Selected("", "TestCapacity")("TestCapacity"))
	assert.True(t, Selected("", "TestToolCalling/simple")("TestToolCalling"), "skipping subtests keeps the area")
}

// TestSubtestsNarrowThePlan: -run TestToolCalling/<scenario> plans that
// scenario's requests, not every scenario's, so a narrowed run the
// refusal line itself suggests is not refused on the whole plan.
func TestSubtestsNarrowThePlan(t *testing.T) {
	assert.Nil(t, Subtests(""))
	assert.Nil(t, Subtests("TestToolCalling"), "no subtest element")
	assert.Nil(t, Subtests("Test(A/B)"), "a slash inside parentheses does not split")
	assert.Nil(t, Subtests("TestToolCalling/[x"), "a pattern that does not compile: go test refuses it")
	one := Subtests("TestToolCalling/^simple_get_weather$/think_off")
	require.NotNil(t, one)
	assert.True(t, one("simple_get_weather"))
	assert.False(t, one("simple_get_weather_celsius"))
	assert.Equal(t, []string{"TestX", "[a/b]", "c"}, splitPattern("TestX/[a/b]/c"))
	assert.True(t, Selected("Test(ToolCalling|Stability)/x", "")("TestStability"))

	cfg := config.Default()
	sc, err := fixture.Load(filepath.Join(config.RepoRoot(), "fixtures"))
	require.NoError(t, err)
	require.Greater(t, len(sc), 1)
	var picked []*fixture.Scenario
	for _, s := range sc {
		if one(s.Name) {
			picked = append(picked, s)
		}
	}
	require.Len(t, picked, 1)
	whole := Plan(cfg, sc, Selected("TestToolCalling$", ""))
	narrowed := Plan(cfg, picked, Selected("TestToolCalling$", ""))
	require.Len(t, whole, 1)
	require.Len(t, narrowed, 1)
	assert.Less(t, narrowed[0].Requests()*len(sc)/2, whole[0].Requests(), "one scenario of %d plans a fraction of the requests", len(sc))
}

func TestDurationsAsPeopleSayThem(t *testing.T) {
	assert.Equal(t, "4 min 24 s", Human(264*time.Second))
	assert.Equal(t, "24 min", Human(24*time.Minute+10*time.Second))
	assert.Equal(t, "1 h 6 min", Human(66*time.Minute))
	assert.Equal(t, "45 s", Human(45*time.Second))
	assert.Equal(t, "10m", FlagDuration(10*time.Minute))
	assert.Equal(t, "1h45m", FlagDuration(105*time.Minute))
	assert.Equal(t, "2h", FlagDuration(2*time.Hour))
	assert.Equal(t, 40*time.Minute, SuggestTimeout(24*time.Minute), "half again, up to 5 minutes: the issue's 24 min → 40m")
	assert.Equal(t, "8,192", thousands(8192))
}

func TestBatchWall(t *testing.T) {
	p := Pace{TTFT: time.Second, TokPerS: 10}
	one := 2 * time.Second // 1 s + 10 tokens at 10 tok/s
	assert.Equal(t, 3*one+2*5*time.Second, Batch{Requests: 3, Tokens: 10, Interval: 5 * time.Second}.Wall(p))
	assert.Equal(t, 2*one, Batch{Requests: 5, Tokens: 10, Workers: 4}.Wall(p))
	assert.Equal(t, 4*time.Second+one, Batch{Requests: 8, Tokens: 10, Rate: 2}.Wall(p))
	assert.Equal(t, time.Minute, Batch{Fixed: time.Minute, Requests: 99}.Wall(p))
	assert.Equal(t, time.Duration(0), Batch{}.Wall(p))
}

// Each request's deadline: from max_tokens at the measured pace with the
// margin, never below the knob's default; the user's knob rules.
func TestRequestBudget(t *testing.T) {
	r := &Run{Cfg: config.Default(), pace: seedPace}
	req := r.budget(client.Request{MaxTokens: 8192})
	need := seedPace.Request(8192)
	assert.Equal(t, time.Duration(BudgetMargin*float64(need)).Round(time.Second), req.Timeout)
	assert.Equal(t, need, req.Need)
	assert.Contains(t, req.TimeoutFrom, "max_tokens=8192 at 33 tok/s")
	assert.Equal(t, r.Cfg.RequestTimeout, r.budget(client.Request{MaxTokens: 100}).Timeout, "a short request keeps the default")
	assert.Zero(t, r.budget(client.Request{}).Timeout, "no max_tokens: the knob")

	r.userTimeout = true
	req = r.budget(client.Request{MaxTokens: 8192})
	assert.Zero(t, req.Timeout, "ACCEPTANCE_REQUEST_TIMEOUT rules")
	assert.Equal(t, need, req.Need, "the pace's need is still recorded for the diagnosis")

	r.Cfg.RequestTimeout = 2 * time.Minute
	w := r.timeoutWarning([]AreaPlan{{Batches: []Batch{{MaxTokens: 8192}}}}, Pace{TokPerS: 31})
	assert.Equal(t, "warning: 8,192 thinking tokens (ACCEPTANCE_THINKING_MAX_TOKENS) at 31 tok/s need 4 min 24 s; ACCEPTANCE_REQUEST_TIMEOUT is 2 min: a request still streaming at its end reads request_timeout_too_short (unset the knob to budget each request from its max_tokens)", w)
	assert.Empty(t, (&Run{Cfg: r.Cfg}).timeoutWarning([]AreaPlan{{Batches: []Batch{{MaxTokens: 8192}}}}, Pace{TokPerS: 31}), "no warning when the suite derives the budget")
}

// With a trace, each concurrency run sends every line once, at the
// trace's pace for the open run.
func TestTraceConcurrencyPlan(t *testing.T) {
	cfg := config.Default()
	tr := &trace.Trace{Name: "t.jsonl", Timed: true, Requests: []trace.Request{
		{Line: 1, OutputLength: 10}, {Line: 2, At: 5 * time.Second, OutputLength: 30}, {Line: 3, At: 10 * time.Second, OutputLength: 20}}}
	a := traceConcurrencyPlan(cfg, tr)
	assert.Equal(t, cfg.WarmupWaves*cfg.Concurrency+3+openWarmup(cfg)+3, a.Requests())
	open := a.Batches[3]
	assert.InDelta(t, 0.3, open.Rate, 1e-9, "3 lines over 10 s")
	assert.Equal(t, 20, open.Tokens)
	assert.Equal(t, 30, open.MaxTokens)
}
