package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestGPUHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"gpu", "--help"}, &out, &errOut))
	assert.Empty(t, errOut.String(), "help goes to stdout only")
	for _, want := range []string{"Usage: vllm-acceptance gpu", "-duration", "(default 5s)", "-interval", "(default 1s)", "vram_growth", "vram_max"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestGPUBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--duration", "0s"}, {"--interval", "-1s"}, {"extra"}} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, run(append([]string{"gpu"}, args...), &out, &errOut), "%v", args)
		assert.Empty(t, out.String(), "%v", args)
		assert.NotEmpty(t, errOut.String(), "%v", args)
	}
}

// TestGPUPrintsSidecarSection runs the real monitor briefly: with or without
// a GPU here, the output is one JSON sidecar.GPU with both checks.
func TestGPUPrintsSidecarSection(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"gpu", "--duration", "50ms", "--interval", "10ms"}, &out, &errOut), errOut.String())
	var g sidecar.GPU
	require.NoError(t, json.Unmarshal(out.Bytes(), &g), out.String())
	require.Len(t, g.Checks, 2)
	assert.Equal(t, "vram_growth", g.Checks[0].Name)
	assert.Equal(t, "vram_max", g.Checks[1].Name)
	if !g.Available {
		assert.Contains(t, g.Note, "no local GPU: ")
		assert.True(t, g.Checks[0].Skipped && g.Checks[0].Passed)
	}
}
