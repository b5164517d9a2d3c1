package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sim"
)

func reference(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "config", "config.go"))
	require.NoError(t, err)
	capSrc, err := os.ReadFile(filepath.Join("..", "config", "capacity.go"))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Reference(&b, src, capSrc))
	return b.String()
}

// TestReferenceMatchesCode fails when docs/reference.md and the code
// disagree: a knob, default, code, remedy or persona added, changed or
// removed without regenerating it.
func TestReferenceMatchesCode(t *testing.T) {
	golden.Assert(t, filepath.Join("..", "..", "docs", "reference.md"), []byte(reference(t)))
}

// TestReferenceCoversEverything: every knob, code, persona and tolerance has its row,
// so a generator that skipped some would not pass by matching its own
// output.
func TestReferenceCoversEverything(t *testing.T) {
	ref := reference(t)
	typ := reflect.TypeFor[config.Config]()
	for i := range typ.NumField() {
		env := typ.Field(i).Tag.Get("env")
		if env == "" || env == "-" {
			continue
		}
		assert.Contains(t, ref, "| `"+env+"` |", "knob %s", env)
	}
	for c, info := range diagnosis.Catalog {
		assert.Contains(t, ref, "| `"+string(c)+"` |", "code %s", c)
		if info.Remedy != "" {
			assert.Contains(t, ref, cell(info.Remedy), "remedy of %s", c)
		}
	}
	for _, n := range sim.Names() {
		assert.Contains(t, ref, "| `"+n+"` | "+cell(sim.Describe(n))+" |", "persona %s", n)
	}
	for _, r := range compare.ToleranceRules() {
		if r.Key != "" {
			assert.Contains(t, ref, "| `"+r.Key+"` |", "tolerance %s", r.Key)
		}
	}
	assert.Contains(t, ref, "| `latency.ttft_p50` | `max_increase: 0.1`, `abs_ms: 10` |", "a group of settings shows each default as the YAML file writes it")
	assert.Contains(t, ref, "| `capacity.max_drop` | `0.1` |", "a single setting shows its value")
	assert.Contains(t, ref, "| `ACCEPTANCE_REQUEST_TIMEOUT` | `request_timeout` | `120s` |", "a duration default as a user writes it")
	assert.Contains(t, ref, "| `VLLM_API_KEY` | env only | none |", "the key cannot come from a file")
	assert.Contains(t, ref, "| `schema_violation` | model under auto or none; server under required or a named function |", "a kind that depends on tool_choice says so")
}

func TestKindText(t *testing.T) {
	assert.Equal(t, "server", kindText(diagnosis.AuthFailed), "HTTP faults are the server's under every tool_choice")
	assert.True(t, strings.HasPrefix(kindText(diagnosis.UnexpectedToolCall), "model under auto; server under none"), kindText(diagnosis.UnexpectedToolCall))
}

func TestMeaning(t *testing.T) {
	for _, tc := range []struct{ field, doc, want, reason string }{
		{"Parallel", "Parallel bounds how many run.", "Bounds how many run.", "the Go name means nothing to an operator"},
		{"ToolCallRepeats", "ToolCallRepeats is the attempts per scenario.", "The attempts per scenario.", "X is the Y reads as The Y"},
		{"Simulator", "Simulator, when set, starts it.", "When set, starts it.", "a clause after a comma"},
		{"BaseURL", "BaseURL of the server.", "BaseURL of the server.", "'X of' keeps its subject"},
		{"ShortTokens", "ShortTokens and LongTokens are the budgets.", "ShortTokens and LongTokens are the budgets.", "two fields named together stay named"},
		{"Model", "Model to test; default the first id.", "Model to test; default the first id.", "a name used as a word stays"},
	} {
		assert.Equal(t, tc.want, meaning(tc.field, tc.doc), tc.reason)
	}
}
