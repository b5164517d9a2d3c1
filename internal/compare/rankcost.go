package compare

import (
	"fmt"
	"math"
	"sort"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// RankByCost is rank's --by value that orders configurations by cost per
// million good tokens at the capacity found (lower first).
const RankByCost = "cost"

// costRank sets a row's cost per million good tokens: the geometric mean
// over its runs of capacity.cost.per_million_good_tokens; nil when no run
// priced its capacity (no ACCEPTANCE_GPU_HOUR_PRICE, no GPU count).
func costRank(r *RankRow, runs []sidecar.Run) {
	sum, n := 0.0, 0
	for _, run := range runs {
		if c := run.Metrics.Capacity; c != nil && c.Cost != nil && c.Cost.PerMillionGoodTokens != nil && *c.Cost.PerMillionGoodTokens > 0 {
			sum += math.Log(*c.Cost.PerMillionGoodTokens)
			n++
		}
	}
	if n > 0 {
		r.CostPerMillionGoodTokens = f(math.Exp(sum / float64(n)))
	}
}

// RankBy reorders a ranking by one figure: "" keeps the suite's order;
// "cost" orders by cost per million good tokens, lower first, configurations
// without a cost last (in the suite's order), and ranks them 1..n again
// (equal costs share a rank).
func RankBy(rk Ranking, by string) (Ranking, error) {
	switch by {
	case "":
		return rk, nil
	case RankByCost:
	default:
		return rk, fmt.Errorf("--by %q: want %q (cost per million good tokens at the capacity found)", by, RankByCost)
	}
	rows := append([]RankRow(nil), rk.Rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		return cmpOpt(rows[i].CostPerMillionGoodTokens, rows[j].CostPerMillionGoodTokens, false) < 0
	})
	for i := range rows {
		rows[i].Rank, rows[i].Tied = i+1, false
		if i > 0 && rows[i].CostPerMillionGoodTokens != nil && rows[i-1].CostPerMillionGoodTokens != nil &&
			*rows[i].CostPerMillionGoodTokens == *rows[i-1].CostPerMillionGoodTokens {
			rows[i].Rank = rows[i-1].Rank
			rows[i].Tied, rows[i-1].Tied = true, true
		}
	}
	return Ranking{Rows: rows, By: by}, nil
}

func hasCost(rk Ranking) bool {
	for _, r := range rk.Rows {
		if r.CostPerMillionGoodTokens != nil {
			return true
		}
	}
	return false
}

func costCell(r *RankRow) string {
	if r.CostPerMillionGoodTokens == nil {
		return "–"
	}
	return fmt.Sprintf("%.4g", *r.CostPerMillionGoodTokens)
}
