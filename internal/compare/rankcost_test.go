package compare

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func costRun(cost *float64) []sidecar.Run {
	m := &sidecar.Metrics{Complete: true, Capacity: &sidecar.Capacity{MaxRatePerS: 1, Verdict: "pass"}}
	if cost != nil {
		m.Capacity.Cost = &sidecar.Cost{GPUHourPrice: 2, PerMillionGoodTokens: cost}
	}
	return []sidecar.Run{{Name: "r", Metrics: m}}
}

func TestRankByCost(t *testing.T) {
	rk := RankConfigs([][]sidecar.Run{costRun(f(3)), costRun(nil), costRun(f(1)), costRun(f(2))}, []string{"a", "none", "b", "c"})
	by, err := RankBy(rk, RankByCost)
	require.NoError(t, err)
	var names []string
	for _, r := range by.Rows {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"b", "c", "a", "none"}, names, "cheapest first, unpriced last")
	assert.Equal(t, 4, by.Rows[3].Rank)
	var buf bytes.Buffer
	require.NoError(t, WriteRankMarkdown(&buf, by))
	assert.Contains(t, buf.String(), "| cost / M good tokens |")
	assert.Contains(t, buf.String(), " 1 |\n")
	assert.Contains(t, buf.String(), "Ordered by cost per million good tokens")

	_, err = RankBy(rk, "price")
	assert.ErrorContains(t, err, `want "cost"`)

	plain := RankConfigs([][]sidecar.Run{costRun(nil)}, []string{"x"})
	buf.Reset()
	require.NoError(t, WriteRankMarkdown(&buf, plain))
	assert.NotContains(t, buf.String(), "cost / M", "no price anywhere: the table is unchanged")
}
