package diagnosis

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// TestEveryErrorKindHasTheRemedyOfItsKind: each error kind the client
// assigns (record.ErrorKinds) is classified, and the remedy printed for it
// points where that kind of failure is fixed: the server for a 5xx, the
// URL for an unreachable host, nowhere for a request the suite
// interrupted itself (issue 21: a SIGTERM'd request was blamed on server
// 5xx or OOM). A kind added to record.ErrorKinds without a row here fails.
func TestEveryErrorKindHasTheRemedyOfItsKind(t *testing.T) {
	type testCase struct {
		rec     record.Record
		code    Code     // "" when no diagnosis is given at all
		says    []string // words the remedy must hold
		notSays []string // advice that would be wrong for this kind
		reason  string
	}
	server := []string{"server log", "crashed", "out of memory"}
	cases := map[record.ErrorKind]testCase{
		record.ErrTimeout: {rec: record.Record{ErrorKind: record.ErrTimeout, Error: "no answer within 120s"}, code: Timeout,
			says: []string{"ACCEPTANCE_REQUEST_TIMEOUT", "overloaded"}, notSays: []string{"VLLM_BASE_URL"}, reason: "slow or stuck server, or a timeout too short"},
		record.ErrUnreachable: {rec: record.Record{ErrorKind: record.ErrUnreachable, Error: "connection refused"}, code: Unreachable,
			says: []string{"VLLM_BASE_URL", "server is up"}, notSays: server, reason: "nothing answered: the address or the process"},
		record.ErrHTTP: {rec: record.Record{Status: 500, ErrorKind: record.ErrHTTP, Body: `{"error":{"message":"EngineCore encountered an issue."}}`}, code: ServerError,
			says: server, notSays: []string{"VLLM_BASE_URL"}, reason: "a 5xx is the server's"},
		record.ErrDecode: {rec: record.Record{Status: 200, ErrorKind: record.ErrDecode, Body: "<!doctype html>"}, code: BadResponse,
			says: []string{"VLLM_BASE_URL", "proxy"}, notSays: server, reason: "a 200 that is not an OpenAI body comes from something else"},
		record.ErrStream: {rec: record.Record{Status: 200, ErrorKind: record.ErrStream, Error: "no [DONE]"}, code: StreamBroken,
			says: []string{"server log", "proxy"}, reason: "the server or a proxy between"},
		record.ErrTooLarge: {rec: record.Record{Status: 200, ErrorKind: record.ErrTooLarge, Error: "body over 8 MiB"}, code: ResponseTooLarge,
			says: []string{"max_tokens", "ACCEPTANCE_MAX_RESPONSE_BYTES"}, notSays: server, reason: "a runaway answer or a cap set too low"},
		record.ErrInterrupted: {rec: record.Record{ErrorKind: record.ErrInterrupted, Error: "the suite stopped the request: run interrupted"},
			reason: "the suite's own interruption: no diagnosis, no server remedy"},
		record.ErrCanceled: {rec: record.Record{ErrorKind: record.ErrCanceled, Error: "run interrupted"},
			reason: "an older run's name for interrupted"},
	}
	for _, kind := range record.ErrorKinds {
		t.Run(string(kind), func(t *testing.T) {
			tc, ok := cases[kind]
			require.True(t, ok, "error kind %q has no row: say which remedy it gets", kind)
			got := Transport(&tc.rec)
			if tc.code == "" {
				assert.Empty(t, got, tc.reason)
				return
			}
			require.Len(t, got, 1, tc.reason)
			assert.Equal(t, tc.code, got[0].Code, tc.reason)
			info, ok := Catalog[tc.code]
			require.True(t, ok, "%s has a catalogue entry", tc.code)
			for _, w := range tc.says {
				assert.Contains(t, info.Remedy, w, "%s: %s", kind, tc.reason)
			}
			for _, w := range tc.notSays {
				assert.NotContains(t, info.Remedy, w, "%s: %s", kind, tc.reason)
			}
		})
	}
	assert.True(t, record.ErrInterrupted.Interrupted())
	assert.True(t, record.ErrCanceled.Interrupted())
	assert.False(t, record.ErrTimeout.Interrupted(), "a timeout is the server's, not the suite's")
}
