package compare

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func energyRun(jpg *float64) *sidecar.Metrics {
	return &sidecar.Metrics{Concurrency: &sidecar.Concurrency{Runs: []sidecar.ConcurrencyRun{{Name: "open_loop", Energy: &sidecar.Energy{JPerGoodToken: jpg}}}}}
}

func TestEnergyRowHasAnInterval(t *testing.T) {
	tol := DefaultTolerances().Energy
	// 3 runs a side, the candidate 40 % hungrier per good token.
	base := []*sidecar.Metrics{energyRun(f(1.00)), energyRun(f(1.02)), energyRun(f(0.98))}
	cand := []*sidecar.Metrics{energyRun(f(1.40)), energyRun(f(1.43)), energyRun(f(1.37))}
	rows := energyRows(base, cand, tol)
	require.Len(t, rows, 1)
	r := rows[0]
	assert.Equal(t, "concurrency.runs[open_loop].energy.j_per_good_token", r.Metric)
	require.NotNil(t, r.Interval)
	assert.Greater(t, r.Interval.Low, 1.1, "the interval on the ratio lies beyond the tolerance")
	assert.Equal(t, RowRegressed, r.Verdict)
	assert.True(t, r.Advisory)

	same := energyRows(base, []*sidecar.Metrics{energyRun(f(1.01)), energyRun(f(0.99)), energyRun(f(1.00))}, tol)
	require.Len(t, same, 1)
	assert.Equal(t, RowPass, same[0].Verdict)
}

func TestEnergyRowWithoutNVMLIsNoFigure(t *testing.T) {
	none := []*sidecar.Metrics{energyRun(nil)}
	assert.Empty(t, energyRows(none, none, DefaultTolerances().Energy), "unmeasured on both sides: no row, never a zero")
	rows := energyRows(none, []*sidecar.Metrics{energyRun(f(1))}, DefaultTolerances().Energy)
	require.Len(t, rows, 1)
	assert.Equal(t, RowMissing, rows[0].Verdict)
}

func TestSpecDecodeRow(t *testing.T) {
	sd := func(acc, draft float64) *sidecar.Metrics {
		return &sidecar.Metrics{Concurrency: &sidecar.Concurrency{Runs: []sidecar.ConcurrencyRun{{Name: "closed_8",
			ServerView: &sidecar.ServerView{Available: true, SpecDecode: &sidecar.SpecDecode{Drafts: draft / 3, DraftTokens: draft, AcceptedTokens: acc}}}}}}
	}
	tol := DefaultTolerances().SpecDecode
	rows := specDecodeRows([]*sidecar.Metrics{sd(6000, 10000)}, []*sidecar.Metrics{sd(4000, 10000)}, tol)
	require.Len(t, rows, 1)
	assert.Equal(t, "concurrency.runs[closed_8].server_view.spec_decode.acceptance_rate", rows[0].Metric)
	assert.Equal(t, RowRegressed, rows[0].Verdict, "60 % → 40 % accepted")
	require.NotNil(t, rows[0].Interval)
	assert.Empty(t, specDecodeRows([]*sidecar.Metrics{energyRun(nil)}, []*sidecar.Metrics{energyRun(nil)}, tol), "no speculative decoding: no row")
}
