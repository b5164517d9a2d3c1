package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedNow pins the clock ACCEPTANCE_START_AT is judged by.
func fixedNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

var clock = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestShardingResolves(t *testing.T) {
	fixedNow(t, clock)
	type testCase struct {
		name   string
		env    map[string]string
		want   Sharding
		reason string
	}
	start := "2026-11-30T12:01:00Z"
	at := clock.Add(time.Minute)
	run := func(t *testing.T, tc testCase) {
		c, err := Load(env(tc.env))
		require.NoError(t, err, tc.reason)
		assert.Equal(t, tc.want, c.Sharding, tc.reason)
	}
	for _, tc := range []testCase{
		{"unsharded", nil, Sharding{}, "no knob: one process, no shard"},
		{"explicit", map[string]string{"ACCEPTANCE_SHARD": "1/4", "ACCEPTANCE_START_AT": start},
			Sharding{Index: 1, Count: 4, RunID: "run-20261130T120100Z", StartAt: at}, "the run id defaults to the common start time"},
		{"indexed job", map[string]string{"JOB_COMPLETION_INDEX": "3", "ACCEPTANCE_SHARDS": "4", "ACCEPTANCE_START_AT": start, "ACCEPTANCE_RUN_ID": "nightly-7"},
			Sharding{Index: 3, Count: 4, RunID: "nightly-7", StartAt: at}, "a Kubernetes Indexed Job's pod index"},
		{"shard wins over the job index", map[string]string{"ACCEPTANCE_SHARD": "0/2", "JOB_COMPLETION_INDEX": "1", "ACCEPTANCE_START_AT": start},
			Sharding{Index: 0, Count: 2, RunID: "run-20261130T120100Z", StartAt: at}, "ACCEPTANCE_SHARD is explicit"},
		{"one shard", map[string]string{"ACCEPTANCE_SHARD": "0/1"}, Sharding{Index: 0, Count: 1}, "0/1 is an unsharded run and needs no start time"},
		{"start a little late", map[string]string{"ACCEPTANCE_SHARD": "1/2", "ACCEPTANCE_START_AT": "2026-11-30T11:59:00Z"},
			Sharding{Index: 1, Count: 2, RunID: "run-20261130T115900Z", StartAt: clock.Add(-time.Minute)}, "a pod scheduled a minute late still joins"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestShardingBadInputIsOneClearLine(t *testing.T) {
	fixedNow(t, clock)
	type testCase struct {
		name   string
		env    map[string]string
		want   []string
		reason string
	}
	start := "2026-11-30T12:01:00Z"
	run := func(t *testing.T, tc testCase) {
		_, err := Load(env(tc.env))
		require.Error(t, err, tc.reason)
		assert.NotContains(t, err.Error(), "\n", "one line")
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, tc.reason)
		}
	}
	for _, tc := range []testCase{
		{"index past count", map[string]string{"ACCEPTANCE_SHARD": "3/2", "ACCEPTANCE_START_AT": start},
			[]string{"ACCEPTANCE_SHARD=3/2", "shard index 3 is not below the shard count 2", "numbered 0 to 1"}, "the issue's example"},
		{"not a fraction", map[string]string{"ACCEPTANCE_SHARD": "2"}, []string{"ACCEPTANCE_SHARD=2", "index/count", "example: ACCEPTANCE_SHARD=1/4"}, "a bare number"},
		{"zero shards", map[string]string{"ACCEPTANCE_SHARD": "0/0"}, []string{"at least 1"}, "no shard at all"},
		{"start hours ago", map[string]string{"ACCEPTANCE_SHARD": "1/2", "ACCEPTANCE_START_AT": "2026-11-30T09:00:00Z"},
			[]string{"ACCEPTANCE_START_AT=2026-11-30T09:00:00Z is 3h0m0s in the past", "would not overlap", "example: ACCEPTANCE_START_AT=2026-11-30T12:01:00Z"}, "a start time hours in the past"},
		{"start next week", map[string]string{"ACCEPTANCE_SHARD": "1/2", "ACCEPTANCE_START_AT": "2026-12-07T12:00:00Z"}, []string{"ahead", "time zone"}, "a typo would leave the shards waiting for days"},
		{"start not RFC 3339", map[string]string{"ACCEPTANCE_SHARD": "1/2", "ACCEPTANCE_START_AT": "12:00"}, []string{"ACCEPTANCE_START_AT=12:00", "RFC 3339"}, "a bare clock time"},
		{"no start", map[string]string{"ACCEPTANCE_SHARD": "1/2"}, []string{"needs ACCEPTANCE_START_AT", "overlap"}, "shards without a common start do not overlap"},
		{"job index without count", map[string]string{"JOB_COMPLETION_INDEX": "2", "ACCEPTANCE_START_AT": start}, []string{"JOB_COMPLETION_INDEX=2", "ACCEPTANCE_SHARDS"}, "N must come from somewhere"},
		{"job index past count", map[string]string{"JOB_COMPLETION_INDEX": "4", "ACCEPTANCE_SHARDS": "4", "ACCEPTANCE_START_AT": start}, []string{"JOB_COMPLETION_INDEX=4", "below"}, "completions and ACCEPTANCE_SHARDS disagree"},
		{"count without index", map[string]string{"ACCEPTANCE_SHARDS": "4", "ACCEPTANCE_START_AT": start}, []string{"without a shard index"}, "which shard is this?"},
		{"shard and shards disagree", map[string]string{"ACCEPTANCE_SHARD": "1/2", "ACCEPTANCE_SHARDS": "4", "ACCEPTANCE_START_AT": start}, []string{"disagree"}, "two counts"},
		{"more shards than users", map[string]string{"ACCEPTANCE_SHARD": "0/16", "ACCEPTANCE_START_AT": start}, []string{"ACCEPTANCE_CONCURRENCY=8", "less than the 16 shards"}, "a shard with no user would send nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestSplitAddsUpToTheTotal(t *testing.T) {
	for _, total := range []int{1, 7, 8, 40, 41, 1000} {
		for n := 1; n <= 8 && n <= total; n++ {
			sum, lo, hi := 0, total, 0
			for i := range n {
				p := Sharding{Index: i, Count: n}.Split(total)
				sum += p
				lo, hi = min(lo, p), max(hi, p)
			}
			assert.Equal(t, total, sum, "%d over %d shards", total, n)
			assert.LessOrEqual(t, hi-lo, 1, "the remainder is spread out: %d over %d", total, n)
		}
	}
	assert.InDelta(t, 2.5, Sharding{Index: 3, Count: 4}.Rate(10), 1e-12)
	assert.Equal(t, 10.0, Sharding{}.Rate(10))
	assert.True(t, Sharding{}.First())
	assert.False(t, Sharding{Index: 1, Count: 2}.First())
}

// The shards' parts of a schedule hold every entry once, in order, and as
// many as Split says: merged, they are the schedule one process sends.
func TestTakeIsARoundRobinPartition(t *testing.T) {
	for _, total := range []int{0, 1, 7, 40, 41} {
		all := make([]int, total)
		for i := range all {
			all[i] = i
		}
		for n := 1; n <= 5; n++ {
			seen := make([]int, total)
			for i := range n {
				s := Sharding{Index: i, Count: n}
				part := Take(s, all)
				assert.Len(t, part, s.Split(total), "%d over %d shards, shard %d", total, n, i)
				assert.IsIncreasing(t, append([]int{-1}, part...), "in schedule order")
				for _, x := range part {
					seen[x]++
				}
			}
			for x, c := range seen {
				assert.Equal(t, 1, c, "entry %d of %d over %d shards", x, total, n)
			}
		}
	}
	assert.Equal(t, []int{1, 2, 3}, Take(Sharding{}, []int{1, 2, 3}), "unsharded: the whole schedule")
}
