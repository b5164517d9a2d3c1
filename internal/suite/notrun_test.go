package suite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// TestNothingPassesWithoutEvidence is issue 24's property: runs of every
// area against a healthy simulated server, each area interrupted at a
// random point (its context cancelled after a random delay, or before it
// starts), then judged. Whatever the point:
//   - every passed tool-calling attempt has a completed request for each
//     of its steps in requests.jsonl, and attempts + not run = planned;
//   - no scenario mode, load run or section with work that did not run
//     reads passed;
//   - nothing the interruption cut reads as failed: the server is
//     healthy, so no tool-calling mode fails, and no load run fails a
//     success, requests, turns or errors check.
func TestNothingPassesWithoutEvidence(t *testing.T) {
	p, err := sim.Lookup("healthy?ttft=2ms&itl=1ms")
	require.NoError(t, err)
	srv := httptest.NewServer(sim.New(p, nil))
	defer srv.Close()
	const repeats = 2
	var seen reached
	for seed := range 6 {
		t.Run(fmt.Sprint("seed_", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 24))
			out := t.TempDir()
			env := map[string]string{
				"VLLM_BASE_URL": srv.URL + "/v1", "ACCEPTANCE_OUT": out,
				"ACCEPTANCE_TOOLCALL_REPEATS": fmt.Sprint(repeats), "ACCEPTANCE_THINKING": "off",
				"ACCEPTANCE_STABILITY_REQUESTS": "6", "ACCEPTANCE_STABILITY_INTERVAL": "5ms",
				"ACCEPTANCE_SHORT_TOKENS": "8", "ACCEPTANCE_LONG_TOKENS": "16",
				"ACCEPTANCE_CONCURRENCY": "2", "ACCEPTANCE_CONCURRENCY_REQUESTS": "8",
				"ACCEPTANCE_OPEN_LOOP_RATE": "100", "ACCEPTANCE_OPEN_LOOP_REQUESTS": "8",
				"ACCEPTANCE_CONVERSATION_TURNS": "4", "ACCEPTANCE_WARMUP_WAVES": "0",
				"ACCEPTANCE_REQUEST_TIMEOUT": "10s", "ACCEPTANCE_CAPACITY": "false",
			}
			r := Start(func(k string) string { return env[k] }, nil)
			require.Empty(t, r.Fatal())
			// Each area gets a context cancelled after a random delay; 0
			// cancels it before the area starts.
			cut := func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				if d := time.Duration(rng.IntN(5)) * time.Duration(rng.IntN(60)) * time.Millisecond; d == 0 {
					cancel()
				} else {
					time.AfterFunc(d, cancel)
				}
				return ctx, cancel
			}
			for _, sc := range r.Scenarios {
				ctx, cancel := cut()
				r.ToolCalling.Scenario(ctx, "TestToolCalling/"+sc.Name, sc)
				cancel()
			}
			for _, n := range r.LoadRuns.StabilityRuns() {
				ctx, cancel := cut()
				r.LoadRuns.Stability(ctx, n)
				cancel()
			}
			for _, n := range r.LoadRuns.ConcurrencyRuns() {
				ctx, cancel := cut()
				r.LoadRuns.Concurrency(ctx, n)
				cancel()
			}
			for _, n := range r.LoadRuns.ConversationRuns() {
				ctx, cancel := cut()
				r.LoadRuns.Conversation(ctx, n)
				cancel()
			}
			require.NoError(t, r.Finish(sidecar.EndInterrupted, "property test"))
			m, err := sidecar.Read(filepath.Join(out, "metrics.json"))
			require.NoError(t, err)
			recs, err := record.ReadFile(filepath.Join(out, "requests.jsonl"))
			require.NoError(t, err)
			seen.add(holds(t, m, recs, repeats))
		})
	}
	// The random points must reach every case, or the property is empty.
	assert.Positive(t, seen.passedModes, "some scenario mode ran to a pass")
	assert.Positive(t, seen.notRunModes, "some scenario mode was cut")
	assert.Positive(t, seen.cutRuns, "some load run was cut")
	assert.Positive(t, seen.fullRuns, "some load run finished")
	t.Logf("reached: %+v", seen)
}

// reached counts what the interruptions hit.
type reached struct{ passedModes, notRunModes, cutRuns, fullRuns int }

func (r *reached) add(o reached) {
	r.passedModes += o.passedModes
	r.notRunModes += o.notRunModes
	r.cutRuns += o.cutRuns
	r.fullRuns += o.fullRuns
}

// holds checks the property on one interrupted run.
func holds(t *testing.T, m *sidecar.Metrics, recs []record.Record, repeats int) (seen reached) {
	t.Helper()
	type key struct {
		test    string
		attempt int
	}
	completed := map[key]bool{} // every step of the attempt completed
	for _, rec := range recs {
		k := key{rec.Test, rec.Attempt}
		ok, seen := completed[k]
		completed[k] = rec.OK() && (ok || !seen)
	}
	v := m.SectionOutcomes()
	if tc := m.ToolCalling; tc != nil {
		notRun := 0
		for _, s := range tc.Scenarios {
			done := 0
			for n := 1; n <= repeats; n++ {
				if completed[key{s.Test, n}] {
					done++
				}
			}
			assert.LessOrEqual(t, s.Passed, done, "%s: every passed attempt has its completed requests in requests.jsonl", s.Test)
			assert.Equal(t, repeats, s.Attempts+s.NotRun, "%s: attempts run and not run add up to the plan", s.Test)
			assert.NotEqual(t, sidecar.VerdictFail, s.Verdict, "%s: a healthy server's mode never fails for an interruption", s.Test)
			if s.Verdict == sidecar.VerdictPass {
				seen.passedModes++
			}
			if s.NotRun > 0 {
				seen.notRunModes++
				assert.Equal(t, sidecar.VerdictUnknown, s.Verdict, "%s: a mode with unrun attempts reads not run", s.Test)
				assert.NotEmpty(t, s.NotRunReason, s.Test)
			}
			notRun += s.NotRun
		}
		if notRun > 0 {
			assert.False(t, v[sidecar.SectionToolCalling].Passed(), "tool calling with %d attempts not run does not pass", notRun)
			assert.NotEmpty(t, v[sidecar.SectionToolCalling].NotRun)
		}
	}
	j := sidecar.JudgeOf(m)
	cut := func(section sidecar.Section, name, verdict string, cs []sidecar.Check) {
		reason := sidecar.NotRunReason(cs)
		for _, c := range j.Failed(cs) {
			switch c.Name {
			case sidecar.CheckSuccessRate, sidecar.CheckRequests, sidecar.CheckTurns, sidecar.CheckErrors:
				t.Errorf("%s %s: the interruption failed %s against a healthy server: %s", section, name, c.Name, c.Detail)
			}
		}
		if reason == "" {
			seen.fullRuns++
		} else {
			seen.cutRuns++
			assert.NotEqual(t, sidecar.VerdictPass, verdict, "%s %s was cut (%s) and does not pass", section, name, reason)
			assert.False(t, v[section].Passed(), "%s with a run cut short does not pass", section)
		}
	}
	if s := m.Stability; s != nil {
		for _, r := range s.Runs {
			cut(sidecar.SectionStability, r.Name, r.Verdict, r.Checks)
		}
	}
	if c := m.Concurrency; c != nil {
		for _, r := range c.Runs {
			cut(sidecar.SectionConcurrency, r.Name, r.Verdict, r.Checks)
		}
	}
	if c := m.Conversation; c != nil {
		for _, r := range c.Runs {
			cut(sidecar.SectionConversation, r.Name, r.Verdict, r.Checks)
		}
	}
	assert.False(t, m.Passed(), "an interrupted run never passes")
	return seen
}

// TestUnknownRunNamesFailByTheJudge: a load run the runner does not know
// (a name the test asked for by mistake) is a failed check, and its
// verdict comes from the judge, not a constant.
func TestUnknownRunNamesFailByTheJudge(t *testing.T) {
	r := Start(func(k string) string {
		return map[string]string{"ACCEPTANCE_SIMULATOR": "healthy", "ACCEPTANCE_OUT": t.TempDir(), "ACCEPTANCE_CAPACITY": "false"}[k]
	}, nil)
	require.Empty(t, r.Fatal())
	defer func() { _ = r.Finish(sidecar.EndFinished, "") }()
	ctx := context.Background()
	st := r.LoadRuns.Stability(ctx, "nope")
	cr := r.LoadRuns.Concurrency(ctx, "nope")
	cv := r.LoadRuns.Conversation(ctx, "nope")
	for _, v := range []struct {
		verdict string
		checks  []sidecar.Check
	}{{st.Verdict, st.Checks}, {cr.Verdict, cr.Checks}, {cv.Verdict, cv.Checks}} {
		require.Len(t, v.checks, 1)
		assert.Equal(t, sidecar.CheckRun, v.checks[0].Name)
		assert.Contains(t, v.checks[0].Detail, `"nope"`)
		assert.Equal(t, sidecar.VerdictFail, v.verdict)
		assert.Equal(t, sidecar.Fail, r.Judge().RunOutcome(v.checks, ""), "the judge fails it from the check alone")
	}
	m := r.Metrics()
	require.NotNil(t, m.Concurrency, "the refused concurrency run is recorded")
	assert.False(t, m.Concurrency.Passed)
}
