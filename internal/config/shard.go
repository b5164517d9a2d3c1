package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// now is the clock ACCEPTANCE_START_AT is judged by; tests replace it.
var now = time.Now

// StartGrace is how far in the past ACCEPTANCE_START_AT may be when a
// shard starts (a pod scheduled a little late still joins the run; its
// late start is recorded). Beyond it the shards' loads would not overlap,
// and the run is refused.
const StartGrace = 2 * time.Minute

// StartHorizon is how far ahead ACCEPTANCE_START_AT may be: further is
// almost certainly a typo (a wrong date or time zone) that would leave
// the shards waiting for hours.
const StartHorizon = time.Hour

// Sharding is this process's part of a sharded run (docs/scaling-out.md).
// The zero value, Count 0, is an unsharded run.
type Sharding struct {
	// Index is this shard, 0-based; Count the number of shards.
	Index, Count int
	// RunID is the id every shard of the run shares.
	RunID string
	// StartAt is when every shard starts its load; zero: at once.
	StartAt time.Time
}

// Sharded reports whether this process is one of several shards.
func (s Sharding) Sharded() bool { return s.Count > 1 }

// String is "i/N", or "" unsharded.
func (s Sharding) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Split is this shard's part of total: total/N, plus one for the first
// total%N shards, so the parts of all shards add up to total exactly.
func (s Sharding) Split(total int) int {
	if s.Count <= 1 {
		return total
	}
	n := total / s.Count
	if s.Index < total%s.Count {
		n++
	}
	return n
}

// Rate is this shard's part of an open-loop rate: rate/N. N independent
// Poisson streams at rate/N add up to one Poisson stream at rate.
func (s Sharding) Rate(rate float64) float64 {
	if s.Count <= 1 {
		return rate
	}
	return rate / float64(s.Count)
}

// Take is this shard's part of a schedule of the whole run: the entries
// i with i mod N = index (round robin), so the shards' parts hold every
// entry exactly once, len(Take(x)) = Split(len(x)), and together they send
// exactly the schedule one process would (the union of the shards' parts
// of a Poisson schedule at rate is that Poisson schedule).
func Take[T any](s Sharding, all []T) []T {
	if s.Count <= 1 {
		return all
	}
	out := make([]T, 0, s.Split(len(all)))
	for i := s.Index; i < len(all); i += s.Count {
		out = append(out, all[i])
	}
	return out
}

// First reports whether this process runs the unsharded parts of the
// suite (tool calling, stability, conversation): shard 0, or an unsharded
// run.
func (s Sharding) First() bool { return s.Index == 0 }

// resolveSharding fills c.Sharding from ACCEPTANCE_SHARD, or from
// JOB_COMPLETION_INDEX with ACCEPTANCE_SHARDS, and checks it and
// ACCEPTANCE_START_AT. Every error is one line naming the variable.
func (c *Config) resolveSharding(t time.Time) error {
	s := Sharding{RunID: c.RunID, StartAt: c.StartAt}
	switch {
	case c.Shard != "":
		i, n, err := parseShard(c.Shard)
		if err != nil {
			return fmt.Errorf("ACCEPTANCE_SHARD=%s: %v; example: ACCEPTANCE_SHARD=1/4 (shard 1 of 4, shards numbered 0 to 3)", c.Shard, err)
		}
		if c.Shards != 0 && c.Shards != n {
			return fmt.Errorf("ACCEPTANCE_SHARD=%s but ACCEPTANCE_SHARDS=%d: they disagree on the number of shards; set one of them", c.Shard, c.Shards)
		}
		s.Index, s.Count = i, n
	case c.JobIndex != "":
		i, err := strconv.Atoi(c.JobIndex)
		if err != nil || i < 0 {
			return fmt.Errorf("JOB_COMPLETION_INDEX=%s: not a pod index (0, 1, ...): is this an Indexed Job (completionMode: Indexed)?", c.JobIndex)
		}
		if c.Shards == 0 {
			return fmt.Errorf("JOB_COMPLETION_INDEX=%d is set (a Kubernetes Indexed Job) but ACCEPTANCE_SHARDS is not: set it to the Job's completions; example: ACCEPTANCE_SHARDS=4", i)
		}
		if i >= c.Shards {
			return fmt.Errorf("JOB_COMPLETION_INDEX=%d with ACCEPTANCE_SHARDS=%d: the index must be below the shard count; set ACCEPTANCE_SHARDS to the Job's completions", i, c.Shards)
		}
		s.Index, s.Count = i, c.Shards
	case c.Shards > 1:
		return fmt.Errorf("ACCEPTANCE_SHARDS=%d without a shard index: set ACCEPTANCE_SHARD=i/%d, or run as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)", c.Shards, c.Shards)
	}
	if s.Count > 1 {
		if c.StartAt.IsZero() {
			return fmt.Errorf("ACCEPTANCE_SHARD=%s needs ACCEPTANCE_START_AT, the common time at which every shard starts its load, so that their loads overlap; "+
				"example: ACCEPTANCE_START_AT=%s (a minute ahead)", s, t.Add(time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339))
		}
		var small []string
		for _, k := range []struct {
			env string
			n   int
		}{{"ACCEPTANCE_CONCURRENCY", c.Concurrency}, {"ACCEPTANCE_CONCURRENCY_REQUESTS", c.ConcurrencyRequests}, {"ACCEPTANCE_OPEN_LOOP_REQUESTS", c.OpenLoopRequests}} {
			if k.n < s.Count {
				small = append(small, fmt.Sprintf("%s=%d", k.env, k.n))
			}
		}
		if len(small) > 0 {
			return fmt.Errorf("ACCEPTANCE_SHARD=%s: %s is less than the %d shards: each shard needs at least one user and one request of every load run; raise it or use fewer shards",
				s, strings.Join(small, ", "), s.Count)
		}
	}
	if !c.StartAt.IsZero() {
		at := c.StartAt.Format(time.RFC3339)
		if late := t.Sub(c.StartAt); late > StartGrace {
			return fmt.Errorf("ACCEPTANCE_START_AT=%s is %s in the past (more than %s): this shard would start long after the others and their loads would not overlap; "+
				"set a time a minute or two ahead, the same for every shard; example: ACCEPTANCE_START_AT=%s",
				at, late.Round(time.Second), StartGrace, t.Add(time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339))
		}
		if ahead := c.StartAt.Sub(t); ahead > StartHorizon {
			return fmt.Errorf("ACCEPTANCE_START_AT=%s is %s ahead (more than %s): a wrong date or time zone? Times are RFC 3339, e.g. 2026-11-30T12:00:00Z (UTC) or 2026-11-30T13:00:00+01:00",
				at, ahead.Round(time.Second), StartHorizon)
		}
	}
	if s.RunID == "" && s.Count > 1 {
		s.RunID = "run-" + c.StartAt.UTC().Format("20060102T150405Z")
	}
	c.Sharding = s
	return nil
}

// parseShard reads "i/N".
func parseShard(v string) (i, n int, err error) {
	a, b, ok := strings.Cut(v, "/")
	if !ok {
		return 0, 0, errors.New(`not "index/count"`)
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, errors.New(`not "index/count" with whole numbers`)
	case n < 1:
		return 0, 0, errors.New("the shard count must be at least 1")
	case i < 0 || i >= n:
		return 0, 0, fmt.Errorf("shard index %d is not below the shard count %d (shards are numbered 0 to %d)", i, n, n-1)
	}
	return i, n, nil
}
