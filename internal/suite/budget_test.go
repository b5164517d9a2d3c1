package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaxTokens(t *testing.T) {
	type testCase struct {
		name                  string
		scenario, thinkingMax int
		think                 string
		want                  int
		reason                string
	}
	for _, tc := range []testCase{
		{"thinking on raises", 1024, 8192, "on", 8192, "Qwen3 reasons past 1024 tokens"},
		{"thinking off keeps", 1024, 8192, "off", 1024, "no reasoning to make room for"},
		{"default keeps", 1024, 8192, "default", 1024, "nothing sent: a non-reasoning model"},
		{"scenario already larger", 16384, 8192, "on", 16384, "never lowered"},
		{"knob 0 keeps", 1024, 0, "on", 1024, "0 turns the raise off"},
		{"no budget stays none", 0, 8192, "on", 0, "a scenario that sends no max_tokens keeps the server's default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, maxTokens(tc.scenario, tc.think, tc.thinkingMax), tc.reason)
		})
	}
}
