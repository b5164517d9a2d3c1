package toolcheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Costs of the pairing search: a wrong name outweighs any number of argument
// problems, and leaving a call unpaired outweighs a wrong name, so the search
// pairs what it can before it reports calls as missing or extra.
const (
	costWrongName = 1000
	costUnpaired  = 100000
	// maxSearch bounds the exhaustive pairing; beyond it (never in the
	// catalogue) calls pair greedily.
	maxSearch = 8
)

// matchCalls compares the step's expected calls with the returned ones and
// returns one line per problem (empty when they match).
func matchCalls(st fixture.Step, got []ParsedCall) []string {
	exp := st.Calls
	if len(got) == 0 {
		return nil // no_tool_call (or a more specific code) already says it
	}
	multi := len(exp) > 1 || len(got) > 1
	var pairs []int // pairs[i] = index in got for exp[i], -1 for none
	if st.Order == "exact" {
		pairs = make([]int, len(exp))
		for i := range exp {
			pairs[i] = -1
			if i < len(got) {
				pairs[i] = i
			}
		}
	} else {
		pairs = bestPairing(exp, got)
	}
	var out []string
	used := make([]bool, len(got))
	for i, e := range exp {
		j := pairs[i]
		if j < 0 {
			out = append(out, "missing call "+describe(e))
			continue
		}
		used[j] = true
		for _, p := range callProblems(e, got[j]) {
			if multi {
				p = fmt.Sprintf("%s[%d]: %s", got[j].Name, got[j].Index, p)
			}
			out = append(out, p)
		}
	}
	for j, g := range got {
		if !used[j] {
			out = append(out, fmt.Sprintf("unexpected call %s(%s)", g.Name, strings.TrimSpace(g.Arguments)))
		}
	}
	return out
}

// callProblems is argProblems plus the name check.
func callProblems(e fixture.ExpectedCall, g ParsedCall) []string {
	if g.Name != e.Name {
		return []string{fmt.Sprintf("want call %s, got %s", e.Name, g.Name)}
	}
	if g.Args == nil {
		return []string{"arguments are not a JSON object"}
	}
	return argProblems(e, g.Args)
}

func cost(e fixture.ExpectedCall, g ParsedCall) int {
	if g.Name != e.Name {
		return costWrongName
	}
	return len(callProblems(e, g))
}

// bestPairing assigns each expected call a distinct returned call (or none)
// minimising the total problems: an exhaustive search, fine for the handful
// of calls a turn holds.
func bestPairing(exp []fixture.ExpectedCall, got []ParsedCall) []int {
	c := make([][]int, len(exp))
	for i := range exp {
		c[i] = make([]int, len(got))
		for j := range got {
			c[i][j] = cost(exp[i], got[j])
		}
	}
	best := make([]int, len(exp))
	if len(exp) > maxSearch || len(got) > maxSearch {
		return greedy(c, len(got))
	}
	cur := make([]int, len(exp))
	used := make([]bool, len(got))
	bestCost := -1
	var dfs func(i, total int)
	dfs = func(i, total int) {
		if bestCost >= 0 && total >= bestCost {
			return
		}
		if i == len(exp) {
			bestCost = total
			copy(best, cur)
			return
		}
		for j := range got {
			if !used[j] {
				used[j], cur[i] = true, j
				dfs(i+1, total+c[i][j])
				used[j] = false
			}
		}
		cur[i] = -1
		dfs(i+1, total+costUnpaired)
	}
	dfs(0, 0)
	return best
}

func greedy(c [][]int, n int) []int {
	out := make([]int, len(c))
	used := make([]bool, n)
	for i := range c {
		out[i] = -1
		bestJ, bestC := -1, costUnpaired
		for j := 0; j < n; j++ {
			if !used[j] && c[i][j] < bestC {
				bestJ, bestC = j, c[i][j]
			}
		}
		if bestJ >= 0 {
			used[bestJ], out[i] = true, bestJ
		}
	}
	return out
}

// describe writes an expected call as name(param=matcher, ...).
func describe(e fixture.ExpectedCall) string {
	keys := slices.Sorted(maps.Keys(e.Args))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		m := e.Args[k]
		var v string
		switch {
		case m.Equals != nil:
			v = show(m.Equals)
		case m.Exact != nil:
			v = show(m.Exact)
		case m.IEquals != nil:
			v = *m.IEquals
		case m.OneOf != nil:
			v = "one of " + show(m.OneOf)
		case m.Number != nil:
			v = show(*m.Number)
		case m.Regex != "":
			v = "/" + m.Regex + "/"
		case m.Type != "":
			v = "<" + m.Type + ">"
		case m.Absent:
			continue
		}
		parts = append(parts, k+"="+v)
	}
	return e.Name + "(" + strings.Join(parts, ", ") + ")"
}
