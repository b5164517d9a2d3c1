package selftest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
)

// TestRankByCostPerGoodToken (issue 28): three simulated configurations
// whose batches fill at different sizes (K = 4, 8, 16: analytic capacities
// of about 8, 17 and 33 req/s, docs/capacity.md) searched for capacity at
// a stated GPU-hour price; each run prices its capacity (cost per million
// good tokens), and `vllm-acceptance rank --by cost` orders them cheapest
// first: the largest batch.
func TestRankByCostPerGoodToken(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ks := []int{4, 8, 16}
	costs := make([]float64, len(ks))
	var wg sync.WaitGroup
	for i, k := range ks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(root, fmt.Sprintf("batch_k%d", k))
			env := capacityEnv(t, fmt.Sprintf("batching?ttft=50ms&itl=10ms&batch_k=%d", k), map[string]string{
				"ACCEPTANCE_MIN_GOODPUT_RATIO": "0.5", "ACCEPTANCE_CAPACITY_START_RATE": "4",
				"ACCEPTANCE_CAPACITY_RESOLUTION": "0.2", "ACCEPTANCE_CAPACITY_MAX_TIME": "60s",
				"ACCEPTANCE_GPU_HOUR_PRICE": "2.50", "ACCEPTANCE_GPU_COUNT": "1", "ACCEPTANCE_OUT": out,
			})
			o := Run(t, env, 3*time.Minute, "-test.run", "^TestCapacity$")
			c := capacitySection(t, o)
			logSteps(t, c)
			if assert.NotNil(t, c.Cost, "a priced capacity") && assert.NotNil(t, c.Cost.PerMillionGoodTokens, "%+v", c.Cost) {
				costs[i] = *c.Cost.PerMillionGoodTokens
				assert.Equal(t, 1, c.Cost.GPUs)
				assert.Equal(t, "ACCEPTANCE_GPU_COUNT", c.Cost.GPUsSource)
				assert.InEpsilon(t, 2.5/(*c.Cost.GoodTokensPerS*3600)*1e6, costs[i], 1e-9)
				t.Logf("K=%d: capacity %.1f req/s, %.0f good tokens/s, %.4g per million good tokens", k, c.MaxRatePerS, *c.Cost.GoodTokensPerS, costs[i])
			}
			for _, st := range c.Steps {
				if assert.NotNil(t, st.Energy, "every step records its tokens") {
					assert.Nil(t, st.Energy.Joules, "no GPU sampled here (ACCEPTANCE_GPU_INTERVAL=0): energy unknown, never zero")
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	assert.Greater(t, costs[0], costs[1], "K=4 costs more per good token than K=8")
	assert.Greater(t, costs[1], costs[2], "K=8 costs more per good token than K=16")

	js := filepath.Join(root, "rank.json")
	cmd := exec.Command(cli(t), "rank", "--by", "cost", "--json", js,
		filepath.Join(root, "batch_k4"), filepath.Join(root, "batch_k16"), filepath.Join(root, "batch_k8"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "cost / M good tokens")
	assert.Contains(t, string(out), "Ordered by cost per million good tokens")
	b, err := os.ReadFile(js)
	require.NoError(t, err)
	var rk compare.Ranking
	require.NoError(t, json.Unmarshal(b, &rk))
	var order []string
	for _, r := range rk.Rows {
		order = append(order, r.Name)
	}
	assert.Equal(t, []string{"batch_k16", "batch_k8", "batch_k4"}, order, "cheapest per good token first")

	bad := exec.Command(cli(t), "rank", "--by", "price", filepath.Join(root, "batch_k4"))
	out, err = bad.CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), `--by "price": want "cost"`)
}
