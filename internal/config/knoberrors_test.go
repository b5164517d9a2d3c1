package config

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryRefusalHasItsExample: validate's refusals (knobErrors.add)
// take the example from the knob's struct tag, so every knob they name
// must be a knob with an example, or the line would end "example: X=".
func TestEveryRefusalHasItsExample(t *testing.T) {
	examples := map[string]string{}
	for _, k := range knobs() {
		examples[k.env] = k.example
	}
	call := regexp.MustCompile(`bad\("(ACCEPTANCE_[A-Z_]+|VLLM_[A-Z_]+)"`)
	found := 0
	for _, f := range []string{"config.go", "capacity.go"} {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			found++
			assert.NotEmpty(t, examples[m[1]], "%s refuses %s, which has no example in a struct tag", f, m[1])
		}
	}
	assert.Greater(t, found, 20, "the refusals are found")
}
