package selftest

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/redact"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

const (
	canaryPass  = "canarypass-5e1d"
	canaryToken = "canarytoken-93b7"
	canaryKey   = "sk-canary-secrets-0c4f8a2b"
)

// credentialURL puts a password and a query token into a /v1 base URL.
func credentialURL(url string) string {
	return strings.Replace(url, "http://", "http://user:"+canaryPass+"@", 1) + "?api_key=" + canaryToken
}

// assertNoCanary searches the child's output and every file of its output
// folder for the canaries.
func assertNoCanary(t *testing.T, o Outcome, canaries ...string) {
	t.Helper()
	for _, c := range canaries {
		assert.NotContains(t, o.Output, c, "stdout/stderr")
	}
	files := 0
	require.NoError(t, filepath.Walk(o.OutDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, c := range canaries {
			assert.NotContains(t, string(b), c, "output file %s", filepath.Base(p))
		}
		return nil
	}))
	assert.GreaterOrEqual(t, files, 2, "metrics.json and requests.jsonl were searched")
}

// TestSecretsNeverWritten: a base URL with a password and a query token,
// and an API key. The run reaches the server with all of them (the key
// in the header, the token in the query), and none of them appears in the
// test output, metrics.json, requests.jsonl, report.md or report.html; target.base_url
// is written redacted.
func TestSecretsNeverWritten(t *testing.T) {
	t.Parallel()
	var withToken, requests atomic.Int64
	s := sim.New(mustPersona(t, "healthy"), nil, sim.WithAPIKey(canaryKey))
	url := Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			// The /metrics scraper reads the server root, not the API
			// behind the gateway; it sends no token.
			s.ServeHTTP(w, r)
			return
		}
		requests.Add(1)
		if r.URL.Query().Get("api_key") == canaryToken {
			withToken.Add(1)
		} else {
			t.Logf("no token on %s %s", r.Method, r.URL.Path)
		}
		s.ServeHTTP(w, r)
	}))
	dir := t.TempDir()
	o := Run(t, map[string]string{
		"VLLM_BASE_URL": credentialURL(url), "VLLM_API_KEY": canaryKey, "ACCEPTANCE_OUT": dir,
		"ACCEPTANCE_TOOLCALL_REPEATS": "1", "ACCEPTANCE_THINKING": "off",
		"ACCEPTANCE_STABILITY_REQUESTS": "4", "ACCEPTANCE_STABILITY_INTERVAL": "10ms",
		"ACCEPTANCE_SHORT_TOKENS": "20", "ACCEPTANCE_LONG_TOKENS": "40", "ACCEPTANCE_METRICS_INTERVAL": "100ms",
	}, 2*time.Minute, "-test.run", "TestToolCalling/simple_get_weather$|TestStability")
	require.NotNil(t, o.Metrics, tail(o.Output))
	assert.Equal(t, 0, o.ExitCode, "the run passes: the key reached the server, which requires it:\n%s", tail(o.Output))
	assert.Equal(t, requests.Load(), withToken.Load(), "the query token goes on every API request (and /health, /version), as a gateway needs it")
	assert.Contains(t, o.Metrics.Target.BaseURL, redact.Mask, "target.base_url keeps the token's name, masks its value")
	assert.NotContains(t, o.Metrics.Target.BaseURL, "user:", "target.base_url has no userinfo")

	report := exec.Command("go", "run", "./cmd/vllm-acceptance", "report", "--out", dir)
	report.Dir = config.RepoRoot()
	out, err := report.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.FileExists(t, filepath.Join(dir, "report.md"))
	require.FileExists(t, filepath.Join(dir, "report.html"), "searched below with every other output")
	for _, c := range []string{canaryPass, canaryToken, canaryKey} {
		assert.NotContains(t, string(out), c, "report command output")
	}
	assertNoCanary(t, o, canaryPass, canaryToken, canaryKey)
}

// TestSecretsNotEchoed: a server whose 500 (and 401) error bodies echo the
// Authorization header and the request URL must not get them into any
// output.
func TestSecretsNotEchoed(t *testing.T) {
	t.Parallel()
	healthy := sim.New(mustPersona(t, "healthy"), nil, sim.WithAPIKey(canaryKey))
	echo := func(status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/chat/completions" {
				healthy.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"object":"error","message":"rejected %s for %s (Authorization: %s)","type":"InternalServerError","param":null,"code":%d}`,
				r.Method, r.URL.String(), r.Header.Get("Authorization"), status)
		})
	}
	for _, status := range []int{500, 401} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			url := Serve(t, echo(status))
			o := Run(t, map[string]string{
				"VLLM_BASE_URL": credentialURL(url), "VLLM_API_KEY": canaryKey,
				"ACCEPTANCE_TOOLCALL_REPEATS": "1", "ACCEPTANCE_THINKING": "off",
			}, time.Minute, "-test.run", "TestToolCalling/simple_get_weather$")
			assert.Equal(t, "FAIL", o.Tests["TestToolCalling"], tail(o.Output))
			require.NotEmpty(t, o.Records)
			assert.Contains(t, o.Records[0].Error, "Authorization: Bearer "+redact.Mask, "the echo is kept, the key masked")
			assertNoCanary(t, o, canaryPass, canaryToken, canaryKey)
		})
	}
}
