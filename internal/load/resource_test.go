//go:build linux

package load

import (
	"context"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

// TestClosedLoopReleasesResources: a closed loop at concurrency 64 through
// a real client against an in-process simulator leaves no goroutines and no
// file descriptors behind once the client drops its idle connections. The
// bounds a user controls per request: ACCEPTANCE_REQUEST_TIMEOUT (whole
// request), ACCEPTANCE_IDLE_TIMEOUT (silence inside a body),
// ACCEPTANCE_MAX_RESPONSE_BYTES (body size); the suite never retries.
func TestClosedLoopReleasesResources(t *testing.T) {
	p, err := sim.Lookup("healthy?ttft=5ms")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: sim.New(p, nil), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	// Server-side connection goroutines are part of this process too: the
	// baseline is taken with the server up and idle.
	runtime.GC()
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	c, err := client.New(client.Config{BaseURL: "http://" + ln.Addr().String() + "/v1",
		Timeout: 10 * time.Second, IdleTimeout: 5 * time.Second, MaxResponseBytes: 1 << 20})
	require.NoError(t, err)
	plan := func(int) (string, client.Request) {
		return "short", client.Request{Model: sim.DefaultModel, MaxTokens: 16, Stream: true,
			Messages: []fixture.Message{{Role: "user", Content: "Say something short."}}}
	}
	const workers, n = 64, 512
	var ok, peakG int
	for res := range Closed(context.Background(), workers, n, plan, c.ChatAt) {
		if res.Record.OK() {
			ok++
		}
		peakG = max(peakG, runtime.NumGoroutine())
	}
	assert.Equal(t, n, ok, "every request succeeds at concurrency %d", workers)
	peakFD := openFDs(t)
	c.CloseIdle()

	const margin = 4
	var g, fd int
	assert.Eventually(t, func() bool {
		g, fd = runtime.NumGoroutine(), openFDs(t)
		return g <= baseG+margin && fd <= baseFD+margin
	}, 2*time.Second, 20*time.Millisecond, "goroutines %d→%d (peak %d), fds %d→%d (after the run %d)", baseG, g, peakG, baseFD, fd, peakFD)
	t.Logf("goroutines %d → peak %d → %d; fds %d → %d after the run → %d after CloseIdle", baseG, peakG, g, baseFD, peakFD, fd)
}
