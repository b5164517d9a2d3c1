package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Sharded runs (docs/scaling-out.md). A shard runs its part of every load
// run (config.Sharding.Split, Rate and Take) from ACCEPTANCE_START_AT on,
// and marks its outputs with its shard and the run's common id; tool
// calling, stability and conversation run on shard 0 only. No coordinator:
// the shards deal one seeded arrival schedule round robin, so together
// they send the schedule one process would, and N closed loops of C/N
// users add up to one of C users, so `vllm-acceptance merge` adds
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

// syncStart holds a load run that every shard runs (a concurrency run, the
// capacity search) until it can start in every shard at once. The first
// load run of the process waits for ACCEPTANCE_START_AT (waitStart); a
// later one, when ACCEPTANCE_SHARD_BARRIER names a folder the shards
// share, meets the other shards there (Barrier). Without the folder it
// starts at once, and merge's shard_overlap shows the drift. It reports
// false when ctx ended while waiting.
func (r *Run) syncStart(ctx context.Context, run string) bool {
	first := r.loadStarts.Add(1) == 1
	if !r.waitStart(ctx) {
		return false
	}
	s := r.Cfg.Sharding
	if !s.Sharded() || r.Cfg.ShardBarrier == "" {
		return true
	}
	dir := filepath.Join(r.Cfg.ShardBarrier, s.RunID)
	if first {
		// ACCEPTANCE_START_AT started it; the marker still says this
		// shard was here, so a shard whose first load run this is not
		// (another -test.run) does not wait for it in vain.
		if err := Arrive(dir, run, s.Index); err != nil {
			r.Logf("shard %s: %v", s, err)
		}
		return true
	}
	at, err := Barrier(ctx, dir, run, s.Index, s.Count, BarrierTimeout)
	if err != nil {
		r.Logf("shard %s: %s starts without the other shards: %v", s, run, err)
		return ctx.Err() == nil
	}
	r.Logf("shard %s: every shard reached %s; starting together at %s", s, run, at.Format("15:04:05.000"))
	return wait.Sleep(ctx, time.Until(at))
}

// BarrierLead is how long after the last shard arrives every shard starts:
// time for the last marker to show in a shared folder (NFS caches
// attributes for a second or more).
const BarrierLead = 2 * time.Second

// BarrierTimeout bounds the wait for a shard that does not come (it
// failed, or its previous run is far longer); the run then starts without
// it, and merge names what is missing.
const BarrierTimeout = 10 * time.Minute

// Arrive writes this shard's marker for run in dir (its arrival time),
// atomically, so a reader never sees half of one.
func Arrive(dir, run string, index int) error { return arrive(dir, run, index, time.Now()) }

// arrive is Arrive with the arrival time given (tests inject it).
func arrive(dir, run string, index int, at time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ACCEPTANCE_SHARD_BARRIER: %w", err)
	}
	tmp := marker(dir, run, index) + ".tmp"
	if err := os.WriteFile(tmp, []byte(at.UTC().Format(time.RFC3339Nano)), 0o644); err != nil {
		return fmt.Errorf("ACCEPTANCE_SHARD_BARRIER: %w", err)
	}
	if err := os.Rename(tmp, marker(dir, run, index)); err != nil {
		return fmt.Errorf("ACCEPTANCE_SHARD_BARRIER: %w", err)
	}
	return nil
}

func marker(dir, run string, index int) string {
	return filepath.Join(dir, fmt.Sprintf("%s.%d", run, index))
}

// Barrier is one shard's arrival at run in dir, a folder every shard
// writes: it writes its marker (its arrival time) and waits until all count
// shards' markers are there, then returns the start every shard computes
// from the same markers: the last arrival plus BarrierLead. Clocks must
// agree as they must for ACCEPTANCE_START_AT.
func Barrier(ctx context.Context, dir, run string, index, count int, timeout time.Duration) (time.Time, error) {
	return barrier(ctx, dir, run, index, count, timeout, time.Now())
}

// barrier is Barrier with this shard's arrival time given (tests inject
// it, so the start they assert is exact); the timeout runs on the real clock.
func barrier(ctx context.Context, dir, run string, index, count int, timeout time.Duration, arrived time.Time) (time.Time, error) {
	if err := arrive(dir, run, index, arrived); err != nil {
		return time.Time{}, err
	}
	name := func(i int) string { return marker(dir, run, i) }
	deadline := time.Now().Add(timeout)
	for {
		var last time.Time
		var missing []string
		for i := range count {
			b, err := os.ReadFile(name(i))
			if err != nil {
				missing = append(missing, strconv.Itoa(i))
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, string(b))
			if err != nil {
				return time.Time{}, fmt.Errorf("ACCEPTANCE_SHARD_BARRIER: %s: %w", name(i), err)
			}
			if t.After(last) {
				last = t
			}
		}
		if len(missing) == 0 {
			return last.Add(BarrierLead), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("shard(s) %s did not reach %s within %s", strings.Join(missing, ", "), run, timeout)
		}
		if !wait.Sleep(ctx, 50*time.Millisecond) {
			return time.Time{}, ctx.Err()
		}
	}
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
		"workload":             c.Workload,
		"trace_speedup":        f(c.TraceSpeedup),
		"warmup_waves":         strconv.Itoa(c.WarmupWaves),
	}
}
