package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCapacityKnobs(t *testing.T) {
	env := map[string]string{
		"ACCEPTANCE_CAPACITY_START_RATE": "4", "ACCEPTANCE_CAPACITY_STEP": "2s", "ACCEPTANCE_MIN_CAPACITY": "20",
		"ACCEPTANCE_MODEL_BYTES": "17.7e9", "ACCEPTANCE_GPU_NAME": "NVIDIA H200", "ACCEPTANCE_UNDER_LOAD_FRACTION": "0.5",
	}
	c, err := Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, 4.0, c.CapacityStartRate)
	assert.Equal(t, 20.0, c.MinCapacity)
	assert.Equal(t, 17.7e9, c.ModelBytes)
	assert.Equal(t, "NVIDIA H200", c.GPUName)
	assert.Equal(t, 0.5, c.UnderLoadFraction)
	assert.Equal(t, DefaultCapacity().CapacityMaxRequests, c.CapacityMaxRequests)
	assert.NoError(t, errCapacity(DefaultCapacity()))
}

// TestCapacityKnobsRefused: knobs that make the search impossible stop the
// run at start, one line each, naming the variable.
func TestCapacityKnobsRefused(t *testing.T) {
	env := map[string]string{
		"ACCEPTANCE_CAPACITY_MAX_REQUESTS": "0", "ACCEPTANCE_CAPACITY_MAX_TIME": "0s",
		"ACCEPTANCE_CAPACITY_START_RATE": "2000", "ACCEPTANCE_UNDER_LOAD_FRACTION": "1.5",
	}
	_, err := Load(func(k string) string { return env[k] })
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 4, err.Error())
	for i, v := range []string{"ACCEPTANCE_CAPACITY_MAX_REQUESTS", "ACCEPTANCE_CAPACITY_MAX_TIME", "ACCEPTANCE_CAPACITY_START_RATE", "ACCEPTANCE_UNDER_LOAD_FRACTION"} {
		assert.True(t, strings.HasPrefix(lines[i], v+":"), lines[i])
	}
}

func TestCapacityProfileKeys(t *testing.T) {
	c := Default()
	require.NoError(t, c.applyYAML([]byte("capacity_step: 5s\nmin_capacity: 3\n"), "p.yaml"))
	assert.Equal(t, "5s", c.CapacityStep.String())
	assert.Equal(t, 3.0, c.MinCapacity)
}
