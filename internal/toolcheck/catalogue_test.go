package toolcheck

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// exampleOf is a value a matcher accepts, the way a healthy server's answer
// would carry it.
func exampleOf(m fixture.Matcher) (any, bool) {
	switch {
	case m.Absent:
		return nil, false
	case m.Equals != nil:
		return m.Equals, true
	case m.Exact != nil:
		return m.Exact, true
	case m.IEquals != nil:
		return *m.IEquals, true
	case m.OneOf != nil:
		return m.OneOf[0], true
	case m.Number != nil:
		return *m.Number, true
	}
	return m.Example, true
}

// TestCatalogueAnswersPass: every embedded scenario's call steps, answered
// with values their own matchers accept (as the simulator's healthy profile
// does), pass Judge; a checker that fails the catalogue's right answers
// would fail every live run.
func TestCatalogueAnswersPass(t *testing.T) {
	ss, err := fixture.LoadFS(fixtures.FS, ".", "fixtures")
	require.NoError(t, err)
	require.NotEmpty(t, ss)
	for _, s := range ss {
		for k, st := range s.Steps {
			if len(st.Calls) == 0 {
				continue
			}
			rec := record.Record{Status: 200, FinishReason: "tool_calls"}
			for i, c := range st.Calls {
				args := map[string]any{}
				for p, m := range c.Args {
					if v, ok := exampleOf(m); ok {
						args[p] = v
					}
				}
				b, err := json.Marshal(args)
				require.NoError(t, err)
				rec.ToolCalls = append(rec.ToolCalls, record.ToolCall{Index: i, ID: "call", Type: "function", Name: c.Name, Arguments: string(b)})
			}
			res := Evaluate(&rec, s, k)
			assert.True(t, res.Passed, "%s step %d: %v", s.Name, k, res.Findings)
		}
	}
}
