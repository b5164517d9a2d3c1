package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolverdict"
)

// TestOneVerdictEverywhere is issue 18's property: over the golden
// sidecars and many generated ones (seeded random mixes of pass, fail and
// unknown checks in every section, with and without
// ACCEPTANCE_FAIL_UNKNOWN), every place that shows a run's verdict shows
// the one its judge derives (sidecar.Metrics.Passed and SectionVerdicts):
// the report's heading and area rows, rank's suite_passed, a single
// shard's merge, the JUnit cases merge's events give, and compare's area
// rows; and `compare X X` of a complete run never regresses except on the
// area rows of sections X itself fails. It proves agreement; the judge's
// correctness is held by TestVerdictOracle's hand-written verdicts, which
// go through the same agree.
func TestOneVerdictEverywhere(t *testing.T) {
	t.Parallel()
	var cases []verdictCase
	for _, p := range goldenSidecars(t) {
		m, err := sidecar.Read(p)
		require.NoError(t, err, p)
		cases = append(cases, verdictCase{name: p, m: m, data: mergeable(m)})
	}
	require.GreaterOrEqual(t, len(cases), 5, "golden sidecars found")
	rng := rand.New(rand.NewPCG(18, 2026))
	for i := range 400 {
		cases = append(cases, verdictCase{name: fmt.Sprintf("generated #%d", i), m: generated(rng)})
	}
	passed, failed := 0, 0
	for i, c := range cases {
		agree(t, c, i < 12) // JUnit through gotestsum for the golden ones and a few generated
		if c.m.Passed() {
			passed++
		} else {
			failed++
		}
	}
	// The generator must reach both verdicts, or the property is empty.
	assert.Greater(t, passed, 50)
	assert.Greater(t, failed, 50)
}

type verdictCase struct {
	name string
	m    *sidecar.Metrics
	// data: the run has the measured data (histograms) merge recomputes
	// concurrency checks from; generated ones have checks only.
	data bool
}

// goldenSidecars are the metrics.json files under the packages' testdata.
func goldenSidecars(t *testing.T) []string {
	var out []string
	for _, dir := range []string{"../../internal/report/testdata", "../../internal/compare/testdata", "../../internal/shard/testdata"} {
		require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || strings.Contains(p, "golden") {
				return err
			}
			if _, err := sidecar.Read(p); err == nil { // not every .json there is a sidecar
				out = append(out, p)
			}
			return nil
		}))
	}
	return out
}

func agree(t *testing.T, c verdictCase, viaGotestsum bool) {
	t.Helper()
	m := c.m
	want := m.Passed()
	sections := m.SectionOutcomes()
	word := map[bool]string{true: "PASS", false: "FAIL"}[want]
	where := fmt.Sprintf("%s (passed=%v, sections %v, fail_unknown %q)", c.name, want, sections, m.Knobs.FailUnknown)

	// The report: its heading, and one area row per section.
	var md bytes.Buffer
	require.NoError(t, report.Markdown(&md, m, nil, report.Options{}), where)
	head, _, _ := strings.Cut(md.String(), "\n")
	assert.Equal(t, "# vLLM acceptance report: "+word, head, where)
	for s, v := range sections {
		w := v.Word()
		if w == "FAIL" || w == "NOT RUN" {
			w = "**" + w + "**"
		}
		row := fmt.Sprintf("\n| %s | %s |", s, w)
		assert.Contains(t, md.String(), row, where)
	}

	// rank's suite_passed.
	rk := compare.Rank([]*sidecar.Metrics{m}, []string{"x"})
	require.Len(t, rk.Rows, 1)
	assert.Equal(t, want, rk.Rows[0].SuitePassed, "rank: %s", where)

	// merge of a single shard. The load runs' checks are recomputed from
	// their histograms, and a shard's own go test outcome is not the merged
	// run's: a generated run (checks without data) is merged without them.
	in := clone(t, m)
	in.TestsPassed = nil
	if !c.data {
		in.Concurrency = nil
	}
	wantMerged := clone(t, in).Passed()
	in.Run = &sidecar.RunInfo{ID: "property", Shards: 1, Shard: &sidecar.ShardRef{Index: 0, Count: 1}}
	merged, err := shard.Merge(&shard.Set{Shards: []shard.Part{{Dir: "shard0", Metrics: in}}, Count: 1})
	require.NoError(t, err, where)
	assert.Equal(t, wantMerged, merged.Passed(), "merge of one shard: %s", where)

	// The JUnit cases: merge's go test events, one test per section. A
	// hand-written file whose tool_calling.passed contradicts its
	// scenarios' verdicts (compare's testdata/baseline.json) cannot show one
	// verdict at both levels; no suite writes one (toolverdict.Finalize).
	if !contradicts(m.ToolCalling) {
		agreeJUnit(t, m, want, sections, where, viaGotestsum)
	}

	// compare's area rows, and compare X X.
	runs := []sidecar.Run{{Name: "x", Metrics: m}}
	res := compare.Compare(runs, runs, compare.DefaultTolerances(), compare.Options{})
	if !m.Complete {
		assert.Equal(t, compare.VerdictRefused, res.Verdict, where)
		return
	}
	areaOf := map[string]sidecar.Section{"tool_calling.passed": sidecar.SectionToolCalling, "stability.passed": sidecar.SectionStability,
		"concurrency.passed": sidecar.SectionConcurrency, "conversation.passed": sidecar.SectionConversation}
	judge := sidecar.JudgeOf(m).Excluding(sidecar.CheckDegradation)
	for _, r := range res.Rows {
		s, area := areaOf[r.Metric]
		if !area {
			assert.NotEqual(t, compare.RowRegressed, r.Verdict, "compare X X regressed on %s (%s): %s", r.Metric, r.Why, where)
			continue
		}
		ok, has := judge.Section(m, s)
		require.True(t, has, where)
		assert.Equal(t, map[bool]string{true: compare.RowPass, false: compare.RowRegressed}[ok], r.Verdict, "%s: %s", r.Metric, where)
		if !failedOnly(m, s, sidecar.CheckDegradation) {
			assert.Equal(t, sections[s].Passed(), ok, "%s agrees with the section's verdict: %s", r.Metric, where)
		}
	}
	if want {
		assert.NotEqual(t, compare.VerdictRegressed, res.Verdict, "compare X X of a passing run: %s", where)
	}
}

// contradicts: tool calling passed with a scenario that failed.
func contradicts(tc *sidecar.ToolCalling) bool {
	if tc == nil || !tc.Passed {
		return false
	}
	for _, s := range tc.Scenarios {
		if s.Verdict != sidecar.VerdictPass {
			return true
		}
	}
	return false
}

// mergeable: every load run has the histograms merge recomputes from.
func mergeable(m *sidecar.Metrics) bool {
	if m.Concurrency == nil {
		return true
	}
	for _, r := range m.Concurrency.Runs {
		if r.Completed > 0 && len(r.Histograms) == 0 {
			return false
		}
	}
	return true
}

func agreeJUnit(t *testing.T, m *sidecar.Metrics, want bool, sections map[sidecar.Section]sidecar.SectionVerdict, where string, viaGotestsum bool) {
	t.Helper()
	word := word2(want)
	ev := shard.Events(m)
	tests := eventActions(t, ev)
	assert.Equal(t, word, tests[""], "the package's outcome: %s", where)
	junit := map[sidecar.Section][]string{
		sidecar.SectionToolCalling: {"TestToolCalling", "TestToolCallingModelRates"}, sidecar.SectionStability: {"TestStability"},
		sidecar.SectionConcurrency: {"TestConcurrency"}, sidecar.SectionConversation: {"TestConversation"},
		sidecar.SectionCapacity: {"TestCapacity"}, sidecar.SectionToolCallingUnderLoad: {"TestToolCallingUnderLoad"},
	}
	for s, v := range sections {
		// A section with several top-level tests fails when one does; one
		// not run shows a skipped case (go test's SKIP), never a pass
		// alone, and no failure.
		got, ran, skipped := "PASS", false, false
		for _, name := range junit[s] {
			if a, has := tests[name]; has {
				ran = true
				if a == "FAIL" {
					got = "FAIL"
				}
			}
			for n, a := range tests {
				skipped = skipped || (a == "SKIP" && (n == name || strings.HasPrefix(n, name+"/")))
			}
		}
		if !ran {
			continue
		}
		switch {
		case v.Outcome == sidecar.Fail:
			assert.Equal(t, "FAIL", got, "JUnit cases %v: %s", junit[s], where)
		case v.NotRun != "":
			assert.NotEqual(t, "FAIL", got, "JUnit cases %v of a section not run: %s", junit[s], where)
			assert.True(t, skipped, "JUnit cases %v of a section not run are skipped: %s", junit[s], where)
		default:
			assert.Equal(t, "PASS", got, "JUnit cases %v: %s", junit[s], where)
		}
	}
	if viaGotestsum {
		path := filepath.Join(t.TempDir(), "junit.xml")
		require.NoError(t, writeJUnit(path, ev), where)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, !strings.Contains(string(raw), "<failure"), "junit.xml: %s", where)
	}

}

func word2(ok bool) string { return map[bool]string{true: "PASS", false: "FAIL"}[ok] }

// failedOnly reports whether the named check failed in one of section s's
// runs (what compare's area rows leave to their own row).
func failedOnly(m *sidecar.Metrics, s sidecar.Section, name string) bool {
	var cs []sidecar.Check
	switch {
	case s == sidecar.SectionStability && m.Stability != nil:
		for _, r := range m.Stability.Runs {
			cs = append(cs, r.Checks...)
		}
	case s == sidecar.SectionConcurrency && m.Concurrency != nil:
		for _, r := range m.Concurrency.Runs {
			cs = append(cs, r.Checks...)
		}
	case s == sidecar.SectionConversation && m.Conversation != nil:
		for _, r := range m.Conversation.Runs {
			cs = append(cs, r.Checks...)
		}
	}
	for _, c := range sidecar.JudgeOf(m).Failed(cs) {
		if c.Name == name {
			return true
		}
	}
	return false
}

// eventActions is the outcome of each test in go test -json events
// ("" for the package): "PASS", "FAIL" or "SKIP".
func eventActions(t *testing.T, ev []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(ev))
	for sc.Scan() {
		var e struct{ Action, Test string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			out[e.Test] = strings.ToUpper(e.Action)
		}
	}
	return out
}

func clone(t *testing.T, m *sidecar.Metrics) *sidecar.Metrics {
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var c sidecar.Metrics
	require.NoError(t, json.Unmarshal(b, &c))
	return &c
}

// generated is a run with a random mix of outcomes in every section it
// has. Its recorded verdicts are written the way the suite writes them
// (through the judge and toolverdict.Finalize), so the property is about the
// readers, not about a file no suite writes.
func generated(rng *rand.Rand) *sidecar.Metrics {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	m := &sidecar.Metrics{SchemaVersion: sidecar.SchemaVersion, Complete: rng.IntN(10) > 0, EndReason: sidecar.EndFinished,
		StartedAt: now.Add(-time.Hour), FinishedAt: now}
	m.Target.Model = "model"
	if !m.Complete {
		m.EndReason = "interrupted"
	}
	switch rng.IntN(5) {
	case 0:
		m.Knobs.FailUnknown = sidecar.CheckPreemptions
	case 1:
		m.Knobs.FailUnknown = sidecar.FailUnknownAll
	}
	if rng.IntN(6) == 0 {
		ok := rng.IntN(2) == 0
		m.TestsPassed = &ok
	}
	j := sidecar.JudgeOf(m)
	// Mostly passing checks, so that whole runs pass often enough.
	check := func(name string) sidecar.Check {
		c := sidecar.Check{Name: name, Value: 1, Threshold: 1}
		switch n := rng.IntN(20); {
		case n < 2:
			c.Detail = "failed"
		case n < 6:
			c.Passed, c.Skipped, c.Detail = n%2 == 0, true, name+" unknown"
		default:
			c.Passed = true
		}
		return c
	}
	checks := func(names ...string) []sidecar.Check {
		var cs []sidecar.Check
		for _, n := range names {
			if rng.IntN(4) > 0 {
				cs = append(cs, check(n))
			}
		}
		if !m.Complete && rng.IntN(2) == 0 {
			cs = append(cs, sidecar.NotRunCheck(sidecar.CheckRequests, 3, 10, sidecar.NotRunPrefix+"only 3 of 10 requests finished: interrupted"))
		}
		return cs
	}
	present := func() bool { return rng.IntN(3) > 0 }
	if present() {
		tc := &sidecar.ToolCalling{}
		for i := range 1 + rng.IntN(3) {
			att := 4
			ok := att - rng.IntN(2)*rng.IntN(att+1)
			s := sidecar.Scenario{Name: fmt.Sprintf("s%d", i), Mode: "think_off/stream", Category: []string{"single", "multi"}[i%2],
				Attempts: att, Passed: ok, Model: toolverdict.ModelRate(ok, att, 0.5)}
			s.ScenarioModel = s.Model
			s.Verdict = s.Model.Verdict
			if !m.Complete && rng.IntN(2) == 0 {
				// Cut by the suite's own stop: the rest did not run.
				s.NotRun, s.NotRunReason = 1+rng.IntN(3), sidecar.NotRunPrefix+"interrupted"
				if s.Verdict != sidecar.VerdictFail {
					s.Verdict = sidecar.VerdictUnknown
				}
			}
			tc.Scenarios = append(tc.Scenarios, s)
		}
		toolverdict.Finalize(tc, toolverdict.Thresholds{Scenario: 0.5, Rate: 0.8})
		m.ToolCalling = tc
	}
	if present() {
		st := &sidecar.Stability{}
		for _, n := range []string{"alternating", "long"}[:1+rng.IntN(2)] {
			cs := checks(sidecar.CheckSuccessRate, sidecar.CheckDegradation, sidecar.CheckLoadGenerator, sidecar.CheckPreemptions, sidecar.CheckVRAMGrowth)
			st.Runs = append(st.Runs, sidecar.StabilityRun{Name: n, Requests: 10, Completed: 10, Checks: cs, Verdict: j.RunVerdict(cs)})
		}
		st.Passed, _ = j.Section(m, sidecar.SectionStability)
		m.Stability = st
	}
	if present() {
		cc := &sidecar.Concurrency{}
		for _, n := range []string{"closed", "open"}[:1+rng.IntN(2)] {
			cs := checks(sidecar.CheckSuccessRate, sidecar.CheckGoodputRatio, sidecar.CheckLoadGenerator, sidecar.CheckPreemptions)
			cc.Runs = append(cc.Runs, sidecar.ConcurrencyRun{Name: n, Mode: n, Checks: cs, Verdict: j.RunVerdict(cs)})
		}
		cc.Passed, _ = j.Section(m, sidecar.SectionConcurrency)
		m.Concurrency = cc
	}
	if present() {
		cs := checks(sidecar.CheckErrors, sidecar.CheckLatencyGrowth)
		m.Conversation = &sidecar.Conversation{Runs: []sidecar.ConversationRun{{Name: "agentic", Checks: cs, Verdict: j.RunVerdict(cs)}}}
		m.Conversation.Passed, _ = j.Section(m, sidecar.SectionConversation)
	}
	if present() {
		g := &sidecar.GPU{Available: rng.IntN(2) == 0}
		g.Checks = checks(sidecar.CheckVRAMMax, sidecar.CheckVRAMGrowth)
		if !g.Available {
			for i := range g.Checks {
				g.Checks[i].Passed, g.Checks[i].Skipped = true, true
			}
			g.Note = "no local GPU"
		}
		m.GPU = g
	}
	if present() {
		cs := checks(sidecar.CheckCapacity, sidecar.CheckMinCapacity, sidecar.CheckSearch)
		m.Capacity = &sidecar.Capacity{Checks: cs, Verdict: j.RunVerdict(cs)}
	}
	if present() {
		// Advice unless ACCEPTANCE_ROOFLINE_BELOW_FAILS (below_fails) or
		// ACCEPTANCE_FAIL_UNKNOWN makes it a judged section.
		verdicts := []string{sidecar.RooflineOK, sidecar.RooflineAbove, sidecar.RooflineBelow, sidecar.RooflineUnknown}
		m.Roofline = &sidecar.Roofline{Verdict: verdicts[rng.IntN(len(verdicts))], BelowFails: rng.IntN(2) == 0, Fraction: 0.3, MinFraction: 0.5}
	}
	if present() {
		u := &sidecar.ToolCallingUnderLoad{}
		for i := range rng.IntN(3) {
			s := sidecar.UnderLoadScenario{Name: fmt.Sprintf("s%d", i), Mode: "think_off/stream", Attempts: 2,
				ServerFailures: rng.IntN(4) / 3, IsolatedServerFailures: rng.IntN(3) - 1}
			if !m.Complete && rng.IntN(2) == 0 {
				s.NotRun = 1
			}
			s.NewServerFailure = sidecar.UnderLoadModeFailed(s)
			if s.NewServerFailure {
				u.NewServerFailures++
			}
			u.Scenarios = append(u.Scenarios, s)
		}
		u.Passed = sidecar.UnderLoadVerdict(u).Passed()
		m.ToolCallingUnderLoad = u
	}
	return m
}
