package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The committed demo trace is this program's output with its default
// flags: regenerate it (go run ./scripts/tracegen > traces/demo.jsonl)
// rather than editing it.
func TestDemoTraceIsGenerated(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, generate(&b, 19, 24))
	want, err := os.ReadFile(filepath.Join("..", "..", "traces", "demo.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String(), "traces/demo.jsonl differs from go run ./scripts/tracegen")
}
