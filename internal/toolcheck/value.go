package toolcheck

import "github.com/vllm-acceptance/vllm-acceptance/internal/fixture"

// MatchValue is one matcher applied to one decoded JSON value: "" when it
// holds, else one line saying what was wanted and what came ("want
// Paris, got Lyon"). The structured-output checks use the tool-calling
// matchers through it.
func MatchValue(m fixture.Matcher, got any) string { return matchValue(m, got) }
