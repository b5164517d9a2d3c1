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
// the last arrival plus BarrierLead, so their loads begin together.
func TestBarrierStartsEveryShardTogether(t *testing.T) {
	dir := t.TempDir()
	const n = 3
	starts := make([]time.Time, n)
	errs := make([]error, n)
	arrived := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 150 * time.Millisecond)
			arrived[i] = time.Now()
			starts[i], errs[i] = Barrier(context.Background(), dir, "concurrency-open_2", i, n, 10*time.Second)
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "shard %d", i)
		assert.True(t, starts[i].Equal(starts[0]), "shard %d starts at %v, shard 0 at %v", i, starts[i], starts[0])
	}
	last := arrived[n-1]
	assert.WithinDuration(t, last.Add(BarrierLead), starts[0], 100*time.Millisecond, "the last arrival plus the lead")

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
	began := time.Now()
	_, err := Barrier(ctx, dir, "capacity", 0, 2, time.Minute)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 5*time.Second)
}

// A shard for which this run was its first load run (ACCEPTANCE_START_AT
// started it) only marks its arrival; a shard that meets it there later
// does not wait for it in vain.
func TestBarrierCountsAShardThatStartedAtStartAt(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Arrive(dir, "concurrency-closed_8", 1))
	began := time.Now()
	at, err := Barrier(context.Background(), dir, "concurrency-closed_8", 0, 2, time.Minute)
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 10*time.Second, "both markers were there")
	assert.WithinDuration(t, time.Now().Add(BarrierLead), at, time.Second, "the last arrival (this one) plus the lead")
}
