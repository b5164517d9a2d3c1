package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchK: each token's delay is × (1 + in-flight/K), in-flight read
// when the token is due, not when the request arrived.
func TestBatchK(t *testing.T) {
	t.Parallel()
	p, err := Lookup("batching?ttft=50ms&itl=10ms&batch_k=16")
	require.NoError(t, err)
	assert.Equal(t, 16, p.BatchK)
	s := New(p, nil)
	l, _ := s.draw(1)
	s.m.running = 16
	assert.Equal(t, 100*time.Millisecond, l.at(l.ttft), "16 in flight of K=16: ×2")
	assert.Equal(t, 20*time.Millisecond, l.at(l.itl))
	s.m.running = 4
	assert.Equal(t, 12500*time.Microsecond, l.at(l.itl), "the batch emptied: ×1.25, read at the token")

	h := New(Persona{TTFT: 50 * time.Millisecond}, nil)
	l, _ = h.draw(1)
	h.m.running = 16
	assert.Equal(t, 50*time.Millisecond, l.at(l.ttft), "no batch_k: unchanged")
}

func TestBreakAboveAndBatchParams(t *testing.T) {
	t.Parallel()
	p, err := Lookup("serializer_under_load")
	require.NoError(t, err)
	assert.Equal(t, 4, p.BreakAbove)
	assert.Equal(t, 16, p.BatchK)
	p, err = Lookup("healthy?break_above=2&batch_k=8")
	require.NoError(t, err)
	assert.Equal(t, 2, p.BreakAbove)
	assert.Equal(t, 8, p.BatchK)
	_, err = Lookup("healthy?batch_k=0")
	assert.ErrorContains(t, err, "positive integer")

	// The serializer breaks only above the threshold.
	s := New(p, nil)
	a := answer{Calls: []call{{ID: "call_1", Name: "get_weather", Args: `{"location": "Paris", "unit": "celsius"}`}}, Finish: "tool_calls"}
	pieces := func(f Fault) int {
		n := 0
		for _, ev := range s.events(a, f) {
			if d, ok := ev.choice["delta"].(map[string]any); ok && d["tool_calls"] != nil {
				n++
			}
		}
		return n
	}
	assert.Equal(t, pieces("")+1, pieces(FaultStreamArgsRepeat), "one arguments piece sent twice")
}
