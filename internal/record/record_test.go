package record

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriterAppendsCompleteLinesConcurrently(t *testing.T) {
	p := filepath.Join(t.TempDir(), "requests.jsonl")
	w, err := Create(p)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, w.Write(&Record{Scenario: "s", Attempt: i, ITLms: []float64{1, 2}, Content: "x\ny"}))
		}()
	}
	wg.Wait()
	assert.Equal(t, 50, w.Count())
	// Lines are on disk before Close: a run killed now keeps them.
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var r map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "every line is whole JSON")
		assert.NotContains(t, r, "ITLms", "inter-token gaps stay out of the JSONL")
		n++
	}
	assert.Equal(t, 50, n)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "closing twice is harmless")
	assert.Error(t, w.Write(&Record{}), "writing after close is an error, not a panic")
}

func TestOutputTokensPerS(t *testing.T) {
	r := Record{CompletionTokens: 100, TTFTms: 1000, E2Ems: 3000}
	assert.InDelta(t, 50.0, r.OutputTokensPerS(), 1e-9, "tokens over the time after the first token")
	r = Record{CompletionTokens: 100, E2Ems: 2000}
	assert.InDelta(t, 50.0, r.OutputTokensPerS(), 1e-9, "non-streamed: over the whole request")
	assert.Zero(t, (&Record{}).OutputTokensPerS())
	assert.True(t, (&Record{Status: 200}).OK())
	assert.False(t, (&Record{Status: 200, ErrorKind: ErrStream}).OK())
}
