package suite

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Three shards reach a run at different times: each gets the same start,
// the last arrival plus BarrierLead, so their loads begin together. The
// arrival times are injected (shard i arrives at base + i·150 ms, the
// middle one last), so the start is exact whatever the machine's load.
func TestBarrierStartsEveryShardTogether(t *testing.T) {
	dir := t.TempDir()
	const n = 3
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	arrival := []time.Duration{0, 300 * time.Millisecond, 150 * time.Millisecond}
	starts := make([]time.Time, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 50 * time.Millisecond) // the first ones wait for the others
			starts[i], errs[i] = barrier(context.Background(), dir, "concurrency-open_2", i, n, 10*time.Second, base.Add(arrival[i]))
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "shard %d", i)
		assert.Equal(t, base.Add(300*time.Millisecond+BarrierLead), starts[i], "shard %d: the last arrival plus the lead", i)
	}

	// Another run in the same folder has markers of its own.
	_, err := Barrier(context.Background(), dir, "capacity", 0, 1, time.Second)
	require.NoError(t, err)
}

// A shard that never comes: the others start without it after the
// timeout, and the error names it.
func TestBarrierNamesTheShardThatDidNotCome(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			_, errs[i] = Barrier(context.Background(), dir, "concurrency-closed_8", i, 3, 300*time.Millisecond)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "shard(s) 2 did not reach concurrency-closed_8")
	}

	// Interrupted while waiting: it returns at once.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Barrier(ctx, dir, "capacity", 0, 2, time.Minute)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the context, not the minute's timeout, ended the wait")
}

// A shard for which this run was its first load run (ACCEPTANCE_START_AT
// started it) only marks its arrival; a shard that meets it there later
// does not wait for it in vain.
func TestBarrierCountsAShardThatStartedAtStartAt(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	require.NoError(t, arrive(dir, "concurrency-closed_8", 1, base))
	// A shard missing would end in an error after the timeout.
	at, err := barrier(context.Background(), dir, "concurrency-closed_8", 0, 2, 5*time.Second, base.Add(time.Second))
	require.NoError(t, err, "both markers were there")
	assert.Equal(t, base.Add(time.Second+BarrierLead), at, "the last arrival (this one) plus the lead")
}
