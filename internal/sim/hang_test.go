package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// TestHangEndsWithTheClient: the hang persona holds a request until the
// client goes away (its context ends), then the handler returns and the
// request leaves the running gauge. It runs under testing/synctest's fake
// clock (issue 26: no wall-clock bound): the client's 200 ms timeout ends
// it at exactly 200 ms of the bubble's time, however slow the machine.
func TestHangEndsWithTheClient(t *testing.T) {
	t.Parallel()
	p, err := Lookup("hang")
	require.NoError(t, err)
	b, _ := json.Marshal(body(t, false, nil))
	synctest.Test(t, func(t *testing.T) {
		s := New(p, []*fixture.Scenario{scenario(t)})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/chat/completions", bytes.NewReader(b))
		start := time.Now()
		returned := make(chan time.Duration, 1)
		go func() {
			s.ServeHTTP(httptest.NewRecorder(), req)
			returned <- time.Since(start)
		}()
		synctest.Wait() // the handler is blocked: the request is running
		s.mu.Lock()
		running := s.m.running
		s.mu.Unlock()
		assert.Equal(t, 1, running, "the hung request is in flight")
		assert.Empty(t, returned, "the handler holds the request until the client goes away")

		elapsed := <-returned
		assert.Equal(t, 200*time.Millisecond, elapsed, "the handler returned when the client's context ended, not later")
		s.mu.Lock()
		defer s.mu.Unlock()
		assert.Equal(t, 0, s.m.running, "the handler returned once the client went away")
	})
}
