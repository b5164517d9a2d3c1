package suite

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestStepArrivals: a step's arrivals span exactly their count over the
// rate (the (n+1)th arrival at n/rate), keep their seeded order and
// Poisson gaps, and repeat with the seed.
func TestStepArrivals(t *testing.T) {
	for _, seed := range []uint64{1, 6000, 42} {
		offs := stepArrivals(25, 75, seed)
		require.Len(t, offs, 75)
		assert.Zero(t, offs[0])
		assert.Less(t, offs[74], 3*time.Second, "75 arrivals at 25/s end before 3 s")
		for i := 1; i < len(offs); i++ {
			assert.GreaterOrEqual(t, offs[i], offs[i-1])
		}
		assert.Equal(t, offs, stepArrivals(25, 75, seed), "seeded")
	}
}

func TestAutoStartRate(t *testing.T) {
	assert.Equal(t, 1.8, autoStartRate(idle(270), 1000), "half a request in flight at 270 ms: 1.85, two digits down")
	assert.Equal(t, 1.0, autoStartRate(idle(0), 1000), "no idle answer: 1 req/s")
	assert.Equal(t, 0.5, autoStartRate(idle(100), 0.5), "capped by the highest rate")
}

func idle(e2eMs float64) sidecar.IdleProbe {
	if e2eMs == 0 {
		return sidecar.IdleProbe{Requests: 3}
	}
	return sidecar.IdleProbe{Requests: 3, Completed: 3, E2Ems: e2eMs}
}
