package wait

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	assert.True(t, Sleep(ctx, time.Millisecond), "a full wait goes on")
	assert.True(t, Sleep(ctx, 0), "no wait, a live context goes on")
	cancel()
	start := time.Now()
	assert.False(t, Sleep(ctx, time.Hour), "a cancelled run stops")
	assert.Less(t, time.Since(start), time.Second, "at once, not after the hour")
	assert.False(t, Sleep(ctx, 0), "no wait, a dead context stops")
}

func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Millisecond, func() {
			if n.Add(1) == 3 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not return after its context ended")
	}
	assert.GreaterOrEqual(t, n.Load(), int32(3))
}

func TestUntil(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	assert.True(t, Until(ctx, time.Now().Add(time.Millisecond)), "a full wait goes on")
	assert.True(t, Until(ctx, time.Now().Add(-time.Hour)), "a time already past does not wait")
	cancel()
	assert.False(t, Until(ctx, time.Now().Add(time.Hour)), "a cancelled run stops")
}
