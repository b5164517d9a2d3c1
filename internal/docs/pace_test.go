package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/golden"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// seedPace is the seed report's card (Qwen3-32B-AWQ): TTFT about 200 ms,
// about 33 tok/s for one stream (the seed_pace persona).
var seedPace = suite.Pace{TTFT: 200 * time.Millisecond, TokPerS: 33}

// planTableRates are the decode rates README's plan table shows.
var planTableRates = []float64{20, 35, 100}

const (
	planTableStart = "<!-- plan table: generated from the plan's estimator (internal/suite/plan.go); go test ./internal/docs -update rewrites it -->"
	planTableEnd   = "<!-- end of plan table -->"
)

// defaultPlan is the default plan (every area, default knobs, the
// repository's scenarios): what README's bare command runs.
func defaultPlan(t *testing.T) []suite.AreaPlan {
	sc, err := fixture.Load(filepath.Join(root, "fixtures"))
	require.NoError(t, err)
	so, err := fixture.LoadStructured(filepath.Join(root, "fixtures", "structured"))
	require.NoError(t, err)
	return suite.Plan(config.Default(), sc, nil, so...)
}

// planTable is README's table of how long the default suite takes.
func planTable(plan []suite.AreaPlan) string {
	var b strings.Builder
	b.WriteString("| decode rate (one stream, TTFT 200 ms) | the default plan needs about | run with |\n| --- | --- | --- |\n")
	for _, r := range planTableRates {
		need := suite.Total(plan, suite.Pace{TTFT: seedPace.TTFT, TokPerS: r})
		fmt.Fprintf(&b, "| %g tok/s | %s | `-timeout %s` |\n", r, suite.Human(need), suite.FlagDuration(suite.SuggestTimeout(need)))
	}
	return b.String()
}

// TestReadmePlan keeps README's live command and its plan table in step
// with the estimator: the first `go test -tags live` command carries the
// -timeout the default plan needs at the seed's pace, and the table is
// the estimator's (go test ./internal/docs -update rewrites it).
func TestReadmePlan(t *testing.T) {
	path := filepath.Join(root, "README.md")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	plan := defaultPlan(t)
	want := suite.FlagDuration(suite.SuggestTimeout(suite.Total(plan, seedPace)))

	cmd := regexp.MustCompile("(?m)^go test -tags live -timeout (\\S+) ./acceptance").FindStringSubmatchIndex(readme)
	start, end := strings.Index(readme, planTableStart), strings.Index(readme, planTableEnd)
	require.True(t, start >= 0 && end > start, "README.md holds the plan table between %q and %q", planTableStart, planTableEnd)
	table := planTable(plan)
	if golden.Update() {
		readme = readme[:start+len(planTableStart)] + "\n" + table + readme[end:]
		if cmd != nil {
			readme = readme[:cmd[2]] + want + readme[cmd[3]:]
		}
		require.NoError(t, os.WriteFile(path, []byte(readme), 0o644))
		return
	}
	require.NotNil(t, cmd, "README.md's first live command is `go test -tags live -timeout <d> ./acceptance`")
	assert.Equal(t, want, readme[cmd[2]:cmd[3]], "README's -timeout fits the default plan at the seed's pace (go test ./internal/docs -update)")
	assert.Equal(t, table, readme[start+len(planTableStart)+1:end], "README's plan table is the estimator's (go test ./internal/docs -update)")
}
