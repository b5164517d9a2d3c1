package selftest

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

// badInputTimeout is the request timeout of the bad-input matrix: short, so
// a timeout case proves its bound in seconds.
const badInputTimeout = 2 * time.Second

// TestBadInput is the hardening matrix: one row per way a target, a knob or
// a file can be wrong. Every row runs the live suite on one scenario and
// asserts that the case FAILS (never skips, never passes silently), that one
// output line names the diagnosis code and what happened, that the child
// ends within a bound, does not panic, and still writes metrics.json.
func TestBadInput(t *testing.T) {
	t.Parallel()
	type row struct {
		name string
		// env builds the child's environment (VLLM_BASE_URL and friends);
		// the common knobs are added by the runner.
		env func(t *testing.T) map[string]string
		// code is the diagnosis code the failure line carries, e.g.
		// "unreachable"; msg are pieces of that same line.
		code string
		msg  []string
		// bound is how long the whole child may take.
		bound time.Duration
		// pass: the row is a knob that fixes the previous row's failure.
		pass bool
		// check runs extra assertions on the outcome.
		check  func(t *testing.T, o Outcome, ru *syscall.Rusage)
		reason string
	}
	simURL := func(t *testing.T, spec string) string { return Serve(t, sim.New(mustPersona(t, spec), nil)) }
	base := func(url string) map[string]string { return map[string]string{"VLLM_BASE_URL": url} }
	persona := func(spec string) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string { return base(simURL(t, spec)) }
	}
	withEnv := func(f func(t *testing.T) map[string]string, k, v string) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			env := f(t)
			env[k] = v
			return env
		}
	}
	plainOnly := func(spec string) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string {
			env := base(simURL(t, spec))
			env["ACCEPTANCE_TOOLCALL_MODES"] = "plain"
			return env
		}
	}
	tlsSim := func(t *testing.T) *httptest.Server {
		srv := httptest.NewTLSServer(sim.New(mustPersona(t, "healthy"), nil))
		t.Cleanup(srv.Close)
		return srv
	}
	fast := 30 * time.Second     // a failure found at preflight or on the first answer
	timed := 2 * badInputTimeout // one request that runs into the request timeout
	const hugeLimit = 1 << 20    // ACCEPTANCE_MAX_RESPONSE_BYTES for huge_body
	const maxRSS = 200 << 20     // the child's peak memory while a 50 MB body streams in
	oneRequestEach := func(t *testing.T, o Outcome, _ *syscall.Rusage) {
		require.Len(t, o.Records, 2, "one plain and one streamed request: nothing retried")
		for _, r := range o.Records {
			assert.Equal(t, 429, r.Status)
			assert.Equal(t, "2", r.RetryAfter, "Retry-After is recorded as sent")
			assert.Contains(t, r.Diagnoses, "rate_limited")
		}
	}
	rows := []row{
		{name: "01_connection_refused", reason: "nothing listens on the port",
			env:  func(t *testing.T) map[string]string { return base(closedPort(t)) },
			code: "unreachable", msg: []string{"cannot connect", "connection refused", "check VLLM_BASE_URL"}, bound: fast},
		{name: "02_dns", reason: "a name that never resolves (.invalid is reserved)",
			env:  func(*testing.T) map[string]string { return base("http://no-such-host.invalid:5002/v1") },
			code: "unreachable", msg: []string{"DNS lookup", "no-such-host.invalid"}, bound: fast},
		{name: "03a_tls_to_plain_port", reason: "https:// to a server that speaks plain HTTP",
			env: func(t *testing.T) map[string]string {
				return base(strings.Replace(simURL(t, "healthy"), "http://", "https://", 1))
			},
			code: "unreachable", msg: []string{"does not speak TLS", "use http://"}, bound: fast},
		{name: "03b_self_signed", reason: "a lab server with its own certificate, no knob set",
			env:  func(t *testing.T) map[string]string { return base(tlsSim(t).URL + "/v1") },
			code: "unreachable", msg: []string{"TLS certificate not trusted", "VLLM_CA_FILE", "VLLM_INSECURE_SKIP_VERIFY=true"}, bound: fast},
		{name: "03c_self_signed_ca_file", reason: "VLLM_CA_FILE with the server's certificate makes it trusted", pass: true,
			env: func(t *testing.T) map[string]string {
				srv := tlsSim(t)
				ca := filepath.Join(t.TempDir(), "lab-ca.pem")
				require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
				return map[string]string{"VLLM_BASE_URL": srv.URL + "/v1", "VLLM_CA_FILE": ca}
			}, bound: fast},
		{name: "03d_self_signed_insecure", reason: "VLLM_INSECURE_SKIP_VERIFY=true accepts any certificate", pass: true,
			env: func(t *testing.T) map[string]string {
				return map[string]string{"VLLM_BASE_URL": tlsSim(t).URL + "/v1", "VLLM_INSECURE_SKIP_VERIFY": "true"}
			}, bound: fast},
		{name: "04_unauthorized", reason: "vLLM --api-key and no or a wrong key: 401 on every /v1 endpoint",
			env:  persona("unauthorized"),
			code: "auth_failed", msg: []string{"HTTP 401", "VLLM_API_KEY"}, bound: fast},
		{name: "05_model_not_found", reason: "chat completions answer 404 for the model",
			env:  persona("model_not_found"),
			code: "model_not_found", msg: []string{"HTTP 404", "does not exist", "VLLM_MODEL"}, bound: fast},
		{name: "06_rate_limited", reason: "a gateway answers 429 with Retry-After; the suite records it and never retries",
			env:  persona("rate_limited"),
			code: "rate_limited", msg: []string{"HTTP 429", "Retry-After 2"}, bound: fast, check: oneRequestEach},
		{name: "07a_server_error_500", reason: "the engine failed",
			env:  persona("server_error"),
			code: "server_error", msg: []string{"HTTP 500", "server log"}, bound: fast},
		{name: "07b_unavailable_503", reason: "the server is up but not serving (loading, overloaded)",
			env:  persona("unavailable"),
			code: "server_error", msg: []string{"HTTP 503"}, bound: fast},
		{name: "08_html_error", reason: "a proxy's login page with status 200",
			env:  persona("html_error"),
			code: "bad_response", msg: []string{"HTML page", "proxy or login page"}, bound: fast},
		{name: "09_not_json", reason: "a 200 application/json body that is not JSON",
			env:  persona("not_json"),
			code: "bad_response", msg: []string{"not a chat completion", "<<garbage"}, bound: fast},
		{name: "10_wrong_shape", reason: "valid JSON, but choices is empty",
			env:  persona("wrong_shape"),
			code: "bad_response", msg: []string{"no choices"}, bound: fast},
		{name: "11_stream_cut", reason: "the connection closes mid-chunk",
			env:  persona("stream_cut"),
			code: "stream_broken", msg: []string{"cut off"}, bound: fast},
		{name: "12_no_done", reason: "the stream ends without data: [DONE]",
			env:  persona("no_done"),
			code: "stream_broken", msg: []string{"without data: [DONE]"}, bound: fast},
		{name: "13_hang", reason: "the server accepts and never answers",
			env:  plainOnly("hang"),
			code: "timeout", msg: []string{"no answer within 2s", "ACCEPTANCE_REQUEST_TIMEOUT"}, bound: timed},
		{name: "14_slow_drip", reason: "one byte per second: bytes keep coming, the request timeout still ends it",
			env:  plainOnly("slow_drip"),
			code: "timeout", msg: []string{"not finished within 2s", "bytes received"}, bound: timed},
		{name: "15_huge_body", reason: "a 50 MB answer is cut at ACCEPTANCE_MAX_RESPONSE_BYTES, never held in memory",
			env: func(t *testing.T) map[string]string {
				env := plainOnly("huge_body")(t)
				env["ACCEPTANCE_MAX_RESPONSE_BYTES"] = fmt.Sprint(hugeLimit)
				return env
			},
			code: "response_too_large", msg: []string{"passed 1048576 bytes", "ACCEPTANCE_MAX_RESPONSE_BYTES"}, bound: fast,
			check: func(t *testing.T, o Outcome, ru *syscall.Rusage) {
				require.NotNil(t, ru)
				// Linux reports ru_maxrss in KiB.
				t.Logf("child peak RSS %d MiB for a 50 MB body capped at 1 MiB", ru.Maxrss/1024)
				assert.Less(t, ru.Maxrss*1024, int64(maxRSS), "the child's peak RSS stays bounded while 50 MB stream at it")
			}},
		{name: "16_null_function", reason: `tool_calls entries with "function": null`,
			env:  persona("null_function"),
			code: "malformed_tool_call", msg: []string{"function"}, bound: fast},
		{name: "17_double_encoded", reason: "arguments are a JSON string wrapping the JSON object",
			env:  persona("double_encoded"),
			code: "wire_format", msg: []string{"function.arguments is double-encoded"}, bound: fast},
		// Malformed tool calls (issue 10): a failed attempt with a one-line
		// reason naming the field, never a panic.
		{name: "17b_object_arguments", reason: "function.arguments is a JSON object, not a string holding JSON",
			env:  persona("object_arguments"),
			code: "wire_format", msg: []string{"tool_calls[0].function.arguments is a JSON object"}, bound: fast},
		{name: "17c_missing_ids", reason: "tool calls without id",
			env:  persona("missing_ids"),
			code: "wire_format", msg: []string{"tool_calls[0].id is missing"}, bound: fast},
		{name: "17d_wrong_type", reason: `type "tool" instead of "function"`,
			env:  persona("wrong_type"),
			code: "wire_format", msg: []string{`tool_calls[0].type is "tool"`}, bound: fast},
		{name: "17e_stream_no_index", reason: "streamed tool-call deltas without index",
			env:  persona("stream_no_index"),
			code: "wire_format", msg: []string{"delta has no index"}, bound: fast},
		{name: "17f_huge_arguments", reason: "a megabyte inside one argument string: args_mismatch names the parameter, the line stays short (a model finding: with the strict scenario rate, so that two attempts can fail the case)",
			env:  withEnv(persona("huge_arguments"), "ACCEPTANCE_MODEL_SCENARIO_MIN_PASS_RATE", "1"),
			code: "args_mismatch", msg: []string{"location: want Paris, got xxxx", "(1048576 bytes)"}, bound: fast,
			check: func(t *testing.T, o Outcome, _ *syscall.Rusage) {
				for _, l := range failLines(o.Output, "args_mismatch") {
					assert.Less(t, len(l), 1000, "one short line, not the megabyte")
				}
			}},
		{name: "18_malformed_fixture", reason: "a scenario file that is not valid YAML: every case fails naming the file",
			env: func(t *testing.T) map[string]string {
				dir := t.TempDir()
				require.NoError(t, os.WriteFile(filepath.Join(dir, "broken_scenario.yaml"), []byte("name: broken\nmessages: [\n  - role: user\n"), 0o600))
				env := base(simURL(t, "healthy"))
				env["ACCEPTANCE_FIXTURES"] = dir
				return env
			},
			code: "invalid_fixture", msg: []string{"broken_scenario.yaml"}, bound: fast},
		{name: "19_malformed_settings", reason: "ACCEPTANCE_PROFILE names a file that is not valid YAML",
			env: func(t *testing.T) map[string]string {
				p := filepath.Join(t.TempDir(), "broken-settings.yaml")
				require.NoError(t, os.WriteFile(p, []byte("request_timeout: [5s\nstability_requests: {\n"), 0o600))
				env := base(simURL(t, "healthy"))
				env["ACCEPTANCE_PROFILE"] = p
				return env
			},
			code: "invalid_config", msg: []string{"ACCEPTANCE_PROFILE", "broken-settings.yaml"}, bound: fast},
		{name: "20_bad_env_values", reason: "a duration without a unit and a negative rate: each named with an example",
			env: func(t *testing.T) map[string]string {
				env := base(simURL(t, "healthy"))
				env["ACCEPTANCE_STABILITY_INTERVAL"] = "5"
				env["ACCEPTANCE_OPEN_LOOP_RATE"] = "-1"
				return env
			},
			code: "invalid_config", msg: []string{"ACCEPTANCE_STABILITY_INTERVAL=5", "example: ACCEPTANCE_STABILITY_INTERVAL=5s", "ACCEPTANCE_OPEN_LOOP_RATE=-1", "example: ACCEPTANCE_OPEN_LOOP_RATE=2"}, bound: fast},
		{name: "21_bad_trace", reason: "ACCEPTANCE_WORKLOAD names a trace with a negative length on line 2: refused before any request, naming the line and the field",
			env: func(t *testing.T) map[string]string {
				p := filepath.Join(t.TempDir(), "bad-trace.jsonl")
				require.NoError(t, os.WriteFile(p, []byte(`{"timestamp": 0, "input_length": 600, "output_length": 20, "hash_ids": [1, 2]}`+"\n"+
					`{"timestamp": 40, "input_length": -3, "output_length": 20, "hash_ids": []}`+"\n"), 0o600))
				env := base(simURL(t, "healthy"))
				env["ACCEPTANCE_WORKLOAD"] = p
				return env
			},
			code: "invalid_config", msg: []string{"ACCEPTANCE_WORKLOAD=", "bad-trace.jsonl line 2: input_length: -3"}, bound: fast,
			check: func(t *testing.T, o Outcome, _ *syscall.Rusage) {
				assert.Empty(t, o.Records, "no request is sent")
			}},
		{name: "22_fail_unknown_not_a_check", reason: "issue 26: ACCEPTANCE_FAIL_UNKNOWN=no_preemptions (the check is preemptions) would fail nothing; it stops the run at config load with the check names",
			env:  withEnv(persona("healthy"), "ACCEPTANCE_FAIL_UNKNOWN", "no_preemptions"),
			code: "invalid_config", msg: []string{`ACCEPTANCE_FAIL_UNKNOWN=no_preemptions: "no_preemptions" is not a check name`, sidecar.CheckPreemptions + ", " + sidecar.CheckVRAMGrowth}, bound: fast,
			check: func(t *testing.T, o Outcome, _ *syscall.Rusage) {
				assert.Empty(t, o.Records, "no request is sent")
			}},
		{name: "23_unknown_persona", reason: "ACCEPTANCE_SIMULATOR names no persona: refused at config load with the known ones",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"ACCEPTANCE_SIMULATOR": "helthy"}
			},
			code: "invalid_config", msg: []string{`ACCEPTANCE_SIMULATOR=helthy: simulator persona "helthy" is unknown; known personas:`, "healthy"}, bound: fast},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"ACCEPTANCE_TOOLCALL_REPEATS": "1",
				"ACCEPTANCE_THINKING":         "off",
				"ACCEPTANCE_REQUEST_TIMEOUT":  badInputTimeout.String(),
			}
			for k, v := range tc.env(t) {
				env[k] = v
			}
			o, ru := RunMeasured(t, env, 2*time.Minute, "-test.run", "TestToolCalling/simple_get_weather$")
			assert.NotContains(t, o.Output, "panic:", "the suite never panics on bad input")
			assert.FileExists(t, filepath.Join(o.OutDir, "metrics.json"), "metrics.json is written on every path")
			require.NotNil(t, o.Metrics, "metrics.json parses:\n%s", tail(o.Output))
			assert.Less(t, o.Elapsed, tc.bound, "the child ends within its bound (%s)", tc.reason)
			if tc.pass {
				assert.Equal(t, 0, o.ExitCode, "%s:\n%s", tc.reason, tail(o.Output))
				assert.Equal(t, "PASS", o.Tests["TestToolCalling"], tail(o.Output))
				assert.True(t, o.Metrics.Complete)
				return
			}
			assert.NotEqual(t, 0, o.ExitCode, "a bad target must turn the suite red")
			assert.Equal(t, "FAIL", o.Tests["TestToolCalling"], "the case fails rather than skips (%s):\n%s", tc.reason, tail(o.Output))
			lines := failLines(o.Output, tc.code)
			require.NotEmpty(t, lines, "one line names [%s] (%s):\n%s", tc.code, tc.reason, tail(o.Output))
			line := lines[0]
			t.Logf("seen: %s", line)
			for _, m := range tc.msg {
				assert.Contains(t, line, m, "the [%s] line says what happened (%s)", tc.code, tc.reason)
			}
			if tc.check != nil {
				tc.check(t, o, ru)
			}
		})
	}
}

// closedPort returns a /v1 URL on a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr + "/v1"
}

// RunMeasured is Run that also returns the child's resource usage (peak
// RSS), for the cases that must stay bounded in memory.
func RunMeasured(t testing.TB, env map[string]string, limit time.Duration, args ...string) (Outcome, *syscall.Rusage) {
	t.Helper()
	cmd, o, buf := childCommand(t, env, args...)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		require.FailNow(t, "the suite did not finish in time (a hang is a defect)", "%s:\n%s", limit, tail(buf.String()))
	}
	o.Elapsed = time.Since(start)
	o.Output = buf.String()
	if ee, ok := err.(*exec.ExitError); ok {
		o.ExitCode = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	collect(t, &o)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return o, ru
}

// childCommand prepares the suite binary as Run does, without starting it:
// for the tests that signal it or measure it.
func childCommand(t testing.TB, env map[string]string, args ...string) (*exec.Cmd, Outcome, *syncBuffer) {
	t.Helper()
	bin := SuiteBinary(t)
	o := Outcome{OutDir: env["ACCEPTANCE_OUT"], Tests: map[string]string{}}
	if o.OutDir == "" {
		o.OutDir = t.TempDir()
	}
	cmd := exec.Command(bin, append([]string{"-test.v", "-test.count=1"}, args...)...)
	cmd.Dir = filepath.Join(config.RepoRoot(), "acceptance")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ACCEPTANCE_OUT=" + o.OutDir}
	for k, v := range env {
		if k != "ACCEPTANCE_OUT" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	buf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	return cmd, o, buf
}

// collect fills the outcome's test results, metrics and records from the
// output and the output folder.
func collect(t testing.TB, o *Outcome) {
	for _, m := range resultLine.FindAllStringSubmatch(o.Output, -1) {
		o.Tests[m[2]] = m[1]
	}
	if m, err := sidecar.Read(filepath.Join(o.OutDir, "metrics.json")); err == nil {
		o.Metrics = m
	}
	o.Records = ReadRecords(t, filepath.Join(o.OutDir, "requests.jsonl"))
}

// syncBuffer is a bytes.Buffer safe to read while the child writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
