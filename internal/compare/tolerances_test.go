package compare

import (
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestDefaultsEqualDefaultYAML keeps the code's defaults and the shipped file
// in step: a change to one without the other fails here.
func TestDefaultsEqualDefaultYAML(t *testing.T) {
	fh, err := os.Open("../../tolerances/default.yaml")
	require.NoError(t, err)
	defer fh.Close()
	// Decode over zero values, so a key missing from the file shows up too.
	var tol Tolerances
	dec := yaml.NewDecoder(fh)
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&tol))
	assert.Equal(t, DefaultTolerances(), tol)
	require.NoError(t, DefaultTolerances().Validate())
}

func TestLoadTolerances(t *testing.T) {
	type testCase struct {
		name   string
		reason string
		yaml   string
		check  func(t *testing.T, tol Tolerances)
		errMsg string
	}
	run := func(t *testing.T, tc testCase) {
		tol, err := LoadTolerances(strings.NewReader(tc.yaml))
		if tc.errMsg != "" {
			require.Error(t, err, tc.reason)
			assert.Contains(t, err.Error(), tc.errMsg, tc.reason)
			return
		}
		require.NoError(t, err, tc.reason)
		tc.check(t, tol)
	}
	testCases := []testCase{
		{name: "empty file", reason: "no keys keeps every default", yaml: "",
			check: func(t *testing.T, tol Tolerances) { assert.Equal(t, DefaultTolerances(), tol) }},
		{name: "partial override", reason: "a file sets only what it changes",
			yaml: "latency:\n  ttft_p90: {max_increase: 0.25}\n",
			check: func(t *testing.T, tol Tolerances) {
				assert.Equal(t, 0.25, tol.Latency.TTFTP90.MaxIncrease)
				assert.Equal(t, 10.0, tol.Latency.TTFTP90.AbsMs, "keys left out of a mapping keep their default")
				assert.Equal(t, DefaultTolerances().Latency.TTFTP50, tol.Latency.TTFTP50)
			}},
		{name: "unknown key", reason: "a typo must not silently keep the default", yaml: "latency:\n  ttft_p95: {max_increase: 0.1}\n", errMsg: "ttft_p95"},
		{name: "negative", reason: "a negative tolerance would fail equal runs", yaml: "throughput:\n  max_drop: -0.1\n", errMsg: "throughput.max_drop"},
		{name: "drop of 100 %", reason: "a drop of 1 accepts zero throughput", yaml: "throughput:\n  max_drop: 1\n", errMsg: "below 1"},
		{name: "not yaml", reason: "garbage names the file's keys", yaml: "[[[", errMsg: "tolerances/default.yaml"},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

// TestEveryToleranceHasARule: every setting of Tolerances is governed by a
// rule in ToleranceRules, and every rule's key names settings, so a
// tolerance added to the struct cannot be left out of docs/reference.md.
func TestEveryToleranceHasARule(t *testing.T) {
	rules := ToleranceRules()
	keys := DefaultTolerances().Keys()
	under := func(path, key string) bool { return path == key || strings.HasPrefix(path, key+".") }
	for _, k := range keys {
		found := false
		for _, r := range rules {
			found = found || (r.Key != "" && under(k.Path, r.Key))
		}
		assert.True(t, found, "tolerance %s has no rule in ToleranceRules", k.Path)
	}
	for _, r := range rules {
		if r.Key == "" {
			continue
		}
		n := 0
		for _, k := range keys {
			if under(k.Path, r.Key) {
				n++
			}
		}
		assert.Positive(t, n, "rule key %s names no setting of Tolerances", r.Key)
	}
	assert.Equal(t, "latency.ttft_p50.abs_ms", keys[5].Path, "paths follow the yaml tags, in the struct's order")
}

// fullSides are 3 runs per side with every section Compare reads.
func fullSides() (base, cand []sidecar.Run) {
	draw := func(seed uint64) []sidecar.Run {
		runs := side(rand.New(rand.NewPCG(seed, 0)), defaultWorld(), 3)
		for _, r := range runs {
			r.Metrics.GPU = gpu(20800)
			r.Metrics.Conversation = &sidecar.Conversation{Passed: true}
			withCapacity(r.Metrics, 10, 11)
			if c := r.Metrics.Concurrency; c != nil {
				for i := range c.Runs {
					c.Runs[i].Energy = &sidecar.Energy{Available: true, JPerGoodToken: f(1.5 + 0.01*float64(i))}
					if c.Runs[i].ServerView == nil {
						c.Runs[i].ServerView = &sidecar.ServerView{Available: true}
					}
					c.Runs[i].ServerView.SpecDecode = &sidecar.SpecDecode{Drafts: 500, DraftTokens: 1500, AcceptedTokens: 900}
				}
			}
		}
		return runs
	}
	return draw(41), draw(42)
}

// figureRE turns a rule's figure ("stability.runs[r].ttft_ms.p50") into a
// pattern of Row.Metric.
func figureRE(figure string) *regexp.Regexp {
	q := regexp.QuoteMeta(figure)
	for _, ph := range []string{`\[r\]`, `\[s/mode\]`} {
		q = strings.ReplaceAll(q, ph, `\[[^\]]+\]`)
	}
	return regexp.MustCompile("^" + q + "$")
}

// setTolerance sets the float setting at path (a ToleranceKey.Path).
func setTolerance(t *testing.T, tol *Tolerances, path string, v float64) {
	t.Helper()
	cur := reflect.ValueOf(tol).Elem()
walk:
	for _, name := range strings.Split(path, ".") {
		for i := range cur.NumField() {
			if cur.Type().Field(i).Tag.Get("yaml") == name {
				cur = cur.Field(i)
				continue walk
			}
		}
		require.Failf(t, "no setting", "%s", path)
	}
	cur.SetFloat(v)
}

// TestToleranceRulesMatchCompare holds ToleranceRules to Compare: every row
// of a comparison with every section falls under exactly one rule, with
// the rule's scale and advisory flag; every figure a rule names is a row;
// and changing a setting moves the limits of exactly the rows its rules
// name.
func TestToleranceRulesMatchCompare(t *testing.T) {
	base, cand := fullSides()
	res := Compare(base, cand, DefaultTolerances(), Options{})
	require.False(t, res.Refused, res.Refusals)
	rules := ToleranceRules()
	ruleOf := make([]*ToleranceRule, len(res.Rows))
	seen := map[string]bool{}
	for i, row := range res.Rows {
		for j := range rules {
			for _, fig := range rules[j].Figures {
				if figureRE(fig).MatchString(row.Metric) {
					assert.Nil(t, ruleOf[i], "row %s falls under two rules", row.Metric)
					ruleOf[i] = &rules[j]
					seen[fig] = true
				}
			}
		}
		if !assert.NotNil(t, ruleOf[i], "row %s has no rule in ToleranceRules", row.Metric) {
			continue
		}
		assert.Equal(t, ruleOf[i].On, row.On, "scale of %s", row.Metric)
		assert.Equal(t, ruleOf[i].Advisory, row.Advisory, "advisory flag of %s", row.Metric)
	}
	for _, r := range rules {
		for _, fig := range r.Figures {
			assert.True(t, seen[fig], "rule %q names %s, which no row matches", r.Key, fig)
		}
	}
	for _, k := range DefaultTolerances().Keys() {
		if _, ok := k.Value.(float64); !ok {
			continue
		}
		tol := DefaultTolerances()
		v := 1e6 // far beyond any default, so the limit moves whatever the floor
		if strings.HasSuffix(k.Path, "max_drop") {
			v = 0.9
		}
		setTolerance(t, &tol, k.Path, v)
		moved := Compare(base, cand, tol, Options{})
		require.Len(t, moved.Rows, len(res.Rows))
		for i, row := range res.Rows {
			changed := (row.Limit == nil) != (moved.Rows[i].Limit == nil) ||
				(row.Limit != nil && *row.Limit != *moved.Rows[i].Limit)
			governs := ruleOf[i] != nil && ruleOf[i].Key != "" &&
				(k.Path == ruleOf[i].Key || strings.HasPrefix(k.Path, ruleOf[i].Key+"."))
			assert.Equal(t, governs, changed, "setting %s and row %s: the rule says it governs it: %v, the limit moved: %v", k.Path, row.Metric, governs, changed)
		}
	}
}
