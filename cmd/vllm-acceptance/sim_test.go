package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// lockedBuffer is a bytes.Buffer safe to read while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSimServesUntilCancelled(t *testing.T) {
	const key = "sk-sim-test-5c1d"
	t.Setenv("SIM_TEST_KEY", key)
	ctx, cancel := context.WithCancel(context.Background())
	prev := simContext
	simContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { simContext = prev })

	var out, errOut lockedBuffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"sim", "--persona", "hermes_leak?seed=3", "--addr", "127.0.0.1:0",
			"--fixtures", "../../fixtures", "--api-key-env", "SIM_TEST_KEY", "--model", "m/x"}, &out, &errOut)
	}()
	line := regexp.MustCompile(`^simulator hermes_leak\?seed=3 listening on (http://127\.0\.0\.1:\d+/v1)\n$`)
	var base string
	require.Eventually(t, func() bool {
		m := line.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond, "the listening line: %q %q", out.String(), errOut.String())

	get := func(path, auth string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(base, "/v1")+path, nil)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get("/v1/models", key)
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"id":"m/x"`)
	status, _ = get("/v1/models", "")
	assert.Equal(t, 401, status, "the key from --api-key-env is required")
	_, body = get("/version", "")
	assert.Contains(t, body, sim.Version)

	cancel()
	select {
	case c := <-code:
		assert.Equal(t, 0, c, errOut.String())
	case <-time.After(5 * time.Second):
		t.Fatal("sim did not stop on cancellation")
	}
	assert.NotContains(t, out.String()+errOut.String(), key, "the key is never printed")
}

func TestSimFlags(t *testing.T) {
	type testCase struct {
		name string
		args []string
		code int
		out  string
		err  string
	}
	run1 := func(t *testing.T, tc testCase) {
		var out, errOut bytes.Buffer
		assert.Equal(t, tc.code, run(append([]string{"sim"}, tc.args...), &out, &errOut), errOut.String())
		if tc.out != "" {
			assert.Contains(t, out.String(), tc.out)
		}
		if tc.err != "" {
			assert.Contains(t, errOut.String(), tc.err)
		}
	}
	for _, tc := range []testCase{
		{name: "list", args: []string{"--list"}, out: "hermes_leak ", code: 0},
		{name: "help", args: []string{"--help"}, out: "Example:\n  vllm-acceptance sim --persona", code: 0},
		{name: "unknown persona", args: []string{"--persona", "nope"}, err: "known personas:", code: 2},
		{name: "deprecated --profile still works", args: []string{"--profile", "nope"}, err: "--profile is deprecated", code: 2},
		{name: "bad parameter", args: []string{"--persona", "healthy?ttft=soon"}, err: "ttft=20ms", code: 2},
		{name: "remote refused", args: []string{"--addr", "0.0.0.0:8000"}, err: "--allow-remote", code: 2},
		{name: "all interfaces refused", args: []string{"--addr", ":8000"}, err: "--allow-remote", code: 2},
		{name: "empty key variable", args: []string{"--addr", "127.0.0.1:0", "--api-key-env", "SIM_TEST_UNSET_VARIABLE"}, err: "SIM_TEST_UNSET_VARIABLE", code: 2},
		{name: "missing explicit fixtures", args: []string{"--addr", "127.0.0.1:0", "--fixtures", "/no/such/dir"}, err: "--fixtures /no/such/dir", code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) { run1(t, tc) })
	}
	var out bytes.Buffer
	require.Equal(t, 0, run([]string{"sim", "--list"}, &out, io.Discard))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Len(t, lines, len(sim.Names()), "one line per persona")
}
