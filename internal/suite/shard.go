package suite

import (
	"context"
	"strconv"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Sharded runs (docs/scaling-out.md). A shard runs its part of every load
// run (config.Sharding.Split and Rate) from ACCEPTANCE_START_AT on, and
// marks its outputs with its shard and the run's common id; tool calling,
// stability and conversation run on shard 0 only. No coordinator: N
// independent Poisson streams at rate λ/N add up to one at λ, and N closed
// loops of C/N users to one of C users, so `vllm-acceptance merge` adds
// the shards' histograms and counts into the run one process would have
// measured.

// runInfo is the sidecar's run section: a shard's index, count, run id
// and start time; for an unsharded process given ACCEPTANCE_RUN_ID (the
// main Job beside the shards on Kubernetes), the id alone; else nil.
func runInfo(s config.Sharding) *sidecar.RunInfo {
	switch {
	case s.Sharded():
		return &sidecar.RunInfo{ID: s.RunID, Shard: &sidecar.ShardRef{Index: s.Index, Count: s.Count}, Shards: s.Count, StartAt: s.StartAt}
	case s.RunID != "":
		return &sidecar.RunInfo{ID: s.RunID, Shards: 1, StartAt: s.StartAt}
	}
	return nil
}

// OnlyOnFirstShard is why this process skips a part of the suite that runs
// on shard 0 only (tool calling, stability, conversation), or "".
func (r *Run) OnlyOnFirstShard(what string) string {
	s := r.Cfg.Sharding
	if s.First() {
		return ""
	}
	return "shard " + s.String() + ": " + what + " runs on shard 0 only; this shard runs its part of the load runs"
}

// waitStart holds the first load run of the process until
// ACCEPTANCE_START_AT, so that every shard's load overlaps, and records
// when this shard's load really began. Later load runs follow at once.
// It reports false when ctx ended while waiting.
func (r *Run) waitStart(ctx context.Context) bool {
	r.startOnce.Do(func() {
		at := r.Cfg.Sharding.StartAt
		if d := time.Until(at); !at.IsZero() && d > 0 {
			r.Logf("shard %s of run %s: waiting %s for ACCEPTANCE_START_AT=%s", r.Cfg.Sharding, r.Cfg.Sharding.RunID,
				d.Round(time.Millisecond), at.Format(time.RFC3339))
			if !wait.Sleep(ctx, d) {
				return
			}
		}
		started := time.Now().UTC()
		r.Update(func(m *sidecar.Metrics) {
			if m.Run != nil {
				m.Run.LoadStartedAt = started
			}
		})
		if !at.IsZero() && started.Sub(at) > time.Second {
			r.Logf("shard %s: load started %s after ACCEPTANCE_START_AT", r.Cfg.Sharding, started.Sub(at).Round(time.Millisecond))
		}
	})
	return ctx.Err() == nil
}

// loadKnobs are the load knobs recorded in knobs.extra, so that merge and
// compare refuse runs whose loads differ. They are the totals of the whole
// run, the same in every shard.
func loadKnobs(c config.Config) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{
		"concurrency":          strconv.Itoa(c.Concurrency),
		"concurrency_requests": strconv.Itoa(c.ConcurrencyRequests),
		"open_loop_rate":       f(c.OpenLoopRate),
		"open_loop_requests":   strconv.Itoa(c.OpenLoopRequests),
		"short_tokens":         strconv.Itoa(c.ShortTokens),
		"long_tokens":          strconv.Itoa(c.LongTokens),
		"slo_ttft":             c.SLOTTFT.String(),
		"slo_tpot":             c.SLOTPOT.String(),
		"min_goodput_ratio":    f(c.MinGoodputRatio),
		"min_success_rate":     f(c.MinSuccessRate),
		"conversation_turns":   strconv.Itoa(c.ConversationTurns),
	}
}
