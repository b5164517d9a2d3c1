package loadmsg

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestLoadFailure holds the words a failed load run prints (in the live
// test and in merge's junit.xml) to the checks the judge fails.
func TestLoadFailure(t *testing.T) {
	goodput := sidecar.Check{Name: sidecar.CheckGoodputRatio, Value: 0.8, Threshold: 0.9}
	cold := &sidecar.ColdStart{Requests: 8, ExplainsFailure: true,
		Detail: "the first 8 requests were slower: cold start? (TPOT p50 128 ms against 45 ms for the rest, p90 52 ms)"}
	unknown := sidecar.Check{Name: sidecar.CheckPreemptions, Skipped: true, Detail: "preemptions unknown"}
	type testCase struct {
		name, reason string
		judge        sidecar.Judge
		run          sidecar.ConcurrencyRun
		want, not    []string
	}
	run := func(t *testing.T, tc testCase) {
		got := LoadFailure(tc.judge, tc.run)
		for _, w := range tc.want {
			assert.Contains(t, got, w, tc.reason)
		}
		for _, n := range tc.not {
			assert.NotContains(t, got, n, tc.reason)
		}
	}
	for _, tc := range []testCase{
		{name: "goodput", reason: "a goodput failure gives its figures and the sizing remedy",
			run:  sidecar.ConcurrencyRun{Name: "closed_8", Checks: []sidecar.Check{goodput}},
			want: []string{"closed_8: goodput_ratio failed: 80 % (need ≥ 90 %)", "--max-num-seqs"}},
		{name: "cold start explains it", reason: "issue 21: a first wave that alone misses the SLOs is named, and no sizing remedy is printed",
			run:  sidecar.ConcurrencyRun{Name: "closed_8", Checks: []sidecar.Check{goodput}, ColdStart: cold},
			want: []string{"cold start?", "ACCEPTANCE_WARMUP_WAVES"}, not: []string{"--max-num-seqs", "scale the server"}},
		{name: "cold start as a note", reason: "a cold start that does not explain the failure stays a note, the sizing remedy stays",
			run: sidecar.ConcurrencyRun{Name: "closed_8", Checks: []sidecar.Check{goodput},
				ColdStart: &sidecar.ColdStart{Requests: 8, Detail: "the first 8 requests were slower: cold start?"}},
			want: []string{"--max-num-seqs", "closed_8: note: the first 8 requests were slower"}},
		{name: "unknown fails nothing", reason: "issue 18: an unknown check is not a failure line unless the knob names it",
			run:  sidecar.ConcurrencyRun{Name: "open_40", Checks: []sidecar.Check{goodput, unknown}},
			want: []string{"goodput_ratio failed"}, not: []string{"preemptions"}},
		{name: "unknown named by the knob", reason: "ACCEPTANCE_FAIL_UNKNOWN=preemptions makes it a failure line, with no server remedy",
			judge: sidecar.Judge{FailUnknown: []string{sidecar.CheckPreemptions}},
			run:   sidecar.ConcurrencyRun{Name: "open_40", Checks: []sidecar.Check{unknown}},
			want:  []string{"open_40: preemptions unknown, failed by ACCEPTANCE_FAIL_UNKNOWN"}, not: []string{"→"}},
		{name: "no checks", reason: "issue 26: the fallback line gives its reason, never a bare \"<run>: failed\"",
			run:  sidecar.ConcurrencyRun{Name: "open_40", Verdict: sidecar.VerdictFail},
			want: []string{"open_40: failed: it recorded no checks, so nothing was measured"}},
		{name: "checks that disagree with the verdict", reason: "a fail verdict no check explains says so",
			run:  sidecar.ConcurrencyRun{Name: "open_40", Verdict: sidecar.VerdictFail, Checks: []sidecar.Check{{Name: sidecar.CheckSuccessRate, Passed: true}}},
			want: []string{"open_40: failed: its recorded verdict is fail while none of its checks (success_rate) failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestUnknownLine: the log line that makes an unknown check visible in
// JUnit names it, and says nothing when every check was measured.
func TestUnknownLine(t *testing.T) {
	r := sidecar.StabilityRun{Name: "alternating", Checks: []sidecar.Check{
		{Name: sidecar.CheckSuccessRate, Passed: true},
		{Name: sidecar.CheckPreemptions, Skipped: true, Detail: "no /metrics"},
	}}
	assert.Equal(t, "alternating: unknown, not judged: preemptions (no /metrics) (ACCEPTANCE_FAIL_UNKNOWN makes a named unknown check fail)",
		UnknownLine(sidecar.Judge{}, r))
	assert.Empty(t, UnknownLine(sidecar.Judge{FailUnknown: []string{sidecar.FailUnknownAll}}, r), "a failing unknown is a failure line, not this one")
	r.Checks = r.Checks[:1]
	assert.Empty(t, UnknownLine(sidecar.Judge{}, r))
}

// TestUnderLoadFailure holds the failure line of a tool-calling mode under
// load (the live test's and merge's junit.xml's) to its words.
func TestUnderLoadFailure(t *testing.T) {
	m := sidecar.UnderLoadScenario{Name: "weather", Mode: "think_off/stream", Attempts: 3, ServerFailures: 2, IsolatedServerFailures: -1,
		Diagnoses: []sidecar.Diagnosis{{Code: "stream_args_invalid_json", Kind: "server", Count: 2, Message: "arguments do not parse", Example: "{\"city\":", Remedy: "upgrade the parser"}}}
	assert.Equal(t, "weather/think_off/stream: 2 of 3 attempts failed a server check under a background load of 4.5 req/s (TestToolCalling did not run this mode in isolation): "+
		"a parser or stream serializer broken by concurrency, or KV-cache pressure cutting answers\n  stream_args_invalid_json ×2 (arguments do not parse): {\"city\": → fix: upgrade the parser",
		UnderLoadFailure(m, 4.5))
}
