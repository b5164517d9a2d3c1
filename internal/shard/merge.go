package shard

import (
	"fmt"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// EndShardsIncomplete is the end reason of a merged run with a shard
// missing or unfinished.
const EndShardsIncomplete = "shards_incomplete"

// Merge folds a Set (from Load) into one run. Load runs are merged by
// name with load.MergeLoadRuns; the parts of the suite that run once
// (tool calling, stability, conversation, preflight, GPU and server
// metrics) come from the main part when the set has one, else from shard 0;
// the shards' capacity searches are merged in lockstep (MergeCapacity).
// The run is complete only when every shard (and the main part) is present and
// finished; otherwise every load run fails its "shards" check, which
// names the shards that are missing or unfinished.
func Merge(set *Set) (*sidecar.Metrics, error) {
	parts, count, missing := set.Shards, set.Count, set.Missing
	sortParts(parts)
	base := parts[0].Metrics
	m := &sidecar.Metrics{
		SchemaVersion: base.SchemaVersion, Suite: base.Suite, Target: base.Target, Knobs: base.Knobs,
		StartedAt: base.StartedAt, FinishedAt: base.FinishedAt,
		Run: &sidecar.RunInfo{ID: base.Run.ID, Shards: count, StartAt: base.Run.StartAt, Merged: indices(parts), Missing: missing},
		// What compare checks for comparability: the shards ran one
		// configuration, so shard 0's (or the main part's, below) stands.
		Provenance: base.Provenance,
	}
	var first *sidecar.Metrics // shard 0, when present
	var problems []string
	for _, i := range missing {
		problems = append(problems, fmt.Sprintf("shard %d/%d is missing", i, count))
	}
	for _, p := range parts {
		pm := p.Metrics
		if p.Index() == 0 {
			first = pm
		}
		if pm.StartedAt.Before(m.StartedAt) {
			m.StartedAt = pm.StartedAt
		}
		if pm.FinishedAt.After(m.FinishedAt) {
			m.FinishedAt = pm.FinishedAt
		}
		if !pm.Complete {
			why := pm.Ending()
			if pm.EndReason == "running" {
				why = "killed before it wrote its final metrics.json (last checkpoint kept)"
			}
			problems = append(problems, fmt.Sprintf("shard %d/%d (%s) did not finish: %s", p.Index(), count, p.Dir, why))
		}
	}
	var mainProblem string
	if g := set.Main; g != nil {
		first = g.Metrics
		if !first.Complete {
			mainProblem = fmt.Sprintf("the main part (%s) did not finish: %s", g.Dir, first.Ending())
		}
		if first.StartedAt.Before(m.StartedAt) {
			m.StartedAt = first.StartedAt
		}
		if first.FinishedAt.After(m.FinishedAt) {
			m.FinishedAt = first.FinishedAt
		}
	}
	if g := set.Main; g != nil {
		// The main part's own go test outcome (cases judged in the test, such
		// as the run-wide model rates); the shards' outcomes judged their
		// shares, which the merge judges again on the whole.
		m.TestsPassed = g.Metrics.TestsPassed
	}
	if first != nil {
		m.Preflight, m.ToolCalling, m.Stability, m.Conversation = first.Preflight, first.ToolCalling, first.Stability, first.Conversation
		m.Capacity, m.ToolCallingUnderLoad, m.Roofline = first.Capacity, first.ToolCallingUnderLoad, first.Roofline
		m.GPU, m.ServerMetrics = first.GPU, first.ServerMetrics
		// Every part checked the same declaration against the same server.
		m.ExpectedConfig = first.ExpectedConfig
		m.StructuredOutputs, m.Contract, m.StructuredUnderLoad = first.StructuredOutputs, first.Contract, first.StructuredUnderLoad
		if first.Provenance != nil {
			m.Provenance = first.Provenance
		}
	}
	// The capacity search: the main part's when it ran one unsharded (at
	// the whole rate), else the shards' searches in lockstep.
	if m.Capacity == nil || m.Capacity.Shards > 0 {
		var caps []*sidecar.Capacity
		for _, p := range parts {
			caps = append(caps, p.Metrics.Capacity)
		}
		if c := MergeCapacity(sidecar.JudgeOf(m), caps); c != nil {
			m.Capacity = c
		}
	}
	// Load runs by name, in the order the first shard that has them ran them.
	var names []string
	byName := map[string][]sidecar.ConcurrencyRun{}
	for _, p := range parts {
		if p.Metrics.Concurrency == nil {
			continue
		}
		for _, lr := range p.Metrics.Concurrency.Runs {
			if _, ok := byName[lr.Name]; !ok {
				names = append(names, lr.Name)
			}
			byName[lr.Name] = append(byName[lr.Name], lr)
		}
	}
	shardsCheck := sidecar.Check{Name: sidecar.CheckShards, Passed: len(problems) == 0, Value: float64(len(parts) - len(incomplete(parts))), Threshold: float64(count),
		Detail: fmt.Sprintf("%d of %d shards merged (%s)", len(parts), count, joinInts(indices(parts)))}
	if len(problems) > 0 {
		shardsCheck.Detail += "; " + strings.Join(problems, "; ")
	}
	if len(names) > 0 {
		m.Concurrency = &sidecar.Concurrency{}
	}
	for _, name := range names {
		runs := byName[name]
		lr, err := load.MergeLoadRuns(runs)
		if err != nil {
			return nil, err
		}
		c := shardsCheck
		if len(runs) < len(parts) {
			c.Passed = false
			c.Detail += fmt.Sprintf("; only %d of the %d shards given ran %s", len(runs), len(parts), name)
		}
		lr.Checks = append(lr.Checks, c)
		lr.Verdict = sidecar.JudgeOf(m).RunVerdict(lr.Checks)
		m.Concurrency.Runs = append(m.Concurrency.Runs, lr)
	}
	if m.Concurrency != nil {
		m.Concurrency.Passed, _ = sidecar.JudgeOf(m).Section(m, sidecar.SectionConcurrency)
	}
	if mainProblem != "" {
		problems = append(problems, mainProblem)
	}
	m.Complete = len(problems) == 0
	m.EndReason = sidecar.EndFinished
	if !m.Complete {
		m.EndReason, m.EndDetail = EndShardsIncomplete, strings.Join(problems, "; ")
	}
	if m.FinishedAt.IsZero() {
		m.FinishedAt = time.Now().UTC()
	}
	return m, nil
}

func incomplete(parts []Part) []int {
	var out []int
	for _, p := range parts {
		if !p.Metrics.Complete {
			out = append(out, p.Index())
		}
	}
	return out
}
