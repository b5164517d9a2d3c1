package selftest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPreflightFailsEveryCaseAtOnce: when the target cannot be tested at
// all, every live case fails at once with one line naming the diagnosis and
// what to do, instead of sitting through N request timeouts; and the sidecar
// is still written, marked incomplete.
func TestPreflightFailsEveryCaseAtOnce(t *testing.T) {
	t.Parallel()
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/v1"
	}
	models := `{"object":"list","data":[{"id":"Qwen/Qwen3-32B-AWQ","object":"model","owned_by":"vllm"}]}`
	type testCase struct {
		name   string
		env    func() map[string]string
		want   []string
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		o := Run(t, tc.env(), 60*time.Second, "-test.run", "TestToolCalling", "-test.timeout", "2m")
		assert.NotEqual(t, 0, o.ExitCode, "a suite that cannot test must be red")
		assert.Equal(t, "FAIL", o.Tests["TestToolCalling"], "the case fails rather than skips:\n%s", tail(o.Output))
		for _, w := range tc.want {
			assert.Contains(t, o.Output, w, tc.reason)
		}
		assert.Less(t, o.Elapsed, 30*time.Second, "fails at once, not after N timeouts")
		require.NotNil(t, o.Metrics, "metrics.json is written even when nothing could run")
		assert.False(t, o.Metrics.Complete)
		assert.Equal(t, "preflight_failed", o.Metrics.EndReason)
	}
	for _, tc := range []testCase{
		{"no target", func() map[string]string { return map[string]string{} },
			[]string{"set VLLM_BASE_URL"}, "docs/outputs.md: with no target every case fails with one line saying what to set"},
		{"connection refused", func() map[string]string {
			return map[string]string{"VLLM_BASE_URL": closed(), "ACCEPTANCE_REQUEST_TIMEOUT": "5s"}
		}, []string{"[unreachable]", "check VLLM_BASE_URL"}, "nothing listens on the port"},
		{"dns", func() map[string]string {
			return map[string]string{"VLLM_BASE_URL": "http://no-such-host.invalid:5002/v1", "ACCEPTANCE_REQUEST_TIMEOUT": "10s"}
		}, []string{"[unreachable]", "DNS"}, "a name that does not resolve (.invalid never does)"},
		{"wrong key", func() map[string]string {
			url := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"error":"Unauthorized"}`)
			}))
			return map[string]string{"VLLM_BASE_URL": url, "VLLM_API_KEY": "wrong-key-123"}
		}, []string{"[auth_failed]", "VLLM_API_KEY"}, "vLLM's 401"},
		{"model not served", func() map[string]string {
			url := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, models)
			}))
			return map[string]string{"VLLM_BASE_URL": url, "VLLM_MODEL": "Qwen/Qwen3-8B"}
		}, []string{"[model_not_found]", "Qwen/Qwen3-32B-AWQ"}, "VLLM_MODEL not in /v1/models; the message lists what is"},
		{"html from a proxy", func() map[string]string {
			url := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Sign in</title></head><body>SSO</body></html>")
			}))
			return map[string]string{"VLLM_BASE_URL": url}
		}, []string{"[bad_response]", "not a proxy or login page"}, "a proxy's login page instead of the API"},
		{"bad knob", func() map[string]string {
			return map[string]string{"VLLM_BASE_URL": "http://127.0.0.1:9/v1", "ACCEPTANCE_STABILITY_INTERVAL": "5"}
		}, []string{"ACCEPTANCE_STABILITY_INTERVAL=5", "example: ACCEPTANCE_STABILITY_INTERVAL=5s"}, "a bad environment value is rejected at start with its name and an example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, tc)
		})
	}
}

// failLines returns the output lines that carry a diagnosis code.
func failLines(out, code string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "["+code+"]") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}
