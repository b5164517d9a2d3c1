package docs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
)

// tolerances writes the Tolerances section: one row per rule of
// compare.ToleranceRules, with the defaults of compare.DefaultTolerances.
func tolerances(b *strings.Builder) {
	b.WriteString(`
## Tolerances

How far ` + "`vllm-acceptance compare`" + ` (the promotion gate) lets a candidate
move from its baseline. Each tolerance bounds a confidence interval (90 %
unless the row says otherwise): a
row **regresses** when its whole interval lies beyond the tolerance,
**passes** when it lies within, and is **inconclusive** otherwise; advisory
rows decide regressions only. In the rules, c is the candidate's figure and
b the baseline's (the geometric mean over its runs for a ratio, the pooled
counts for a rate); ` + "`[r]`" + ` stands for a run's name, ` + "`[s/mode]`" + ` for a
scenario. The defaults are ` + "`tolerances/default.yaml`" + `; ` + "`--tolerances FILE`" + `
overrides the keys it sets. [statistics.md](statistics.md) says how each
interval is formed. Source: ` + "`internal/compare`" + ` (` + "`ToleranceRules`" + `,
` + "`DefaultTolerances`" + `).

| figures | tolerance | default | rule | interval | rows |
| --- | --- | --- | --- | --- | --- |
`)
	keys := compare.DefaultTolerances().Keys()
	for _, r := range compare.ToleranceRules() {
		figs := make([]string, len(r.Figures))
		for i, f := range r.Figures {
			figs[i] = "`" + f + "`"
		}
		key, def := "–", "–"
		if r.Key != "" {
			key, def = "`"+r.Key+"`", toleranceDefault(keys, r.Key)
		}
		rows := "decide"
		if r.Advisory {
			rows = "advisory"
		}
		if len(figs) == 0 {
			figs, rows = []string{"–"}, "–"
		}
		interval := r.Interval
		if interval == "" {
			interval = "–"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", strings.Join(figs, ", "), key, def, cell(r.Rule), cell(interval), rows)
	}
}

// toleranceDefault is the default of a rule's key as the YAML file writes
// it: the value of a setting, or "name: value" for each setting of a group.
func toleranceDefault(keys []compare.ToleranceKey, key string) string {
	var parts []string
	for _, k := range keys {
		v := fmt.Sprint(k.Value)
		if f, ok := k.Value.(float64); ok {
			v = strconv.FormatFloat(f, 'g', -1, 64)
		}
		switch {
		case k.Path == key:
			return "`" + v + "`"
		case strings.HasPrefix(k.Path, key+"."):
			parts = append(parts, "`"+strings.TrimPrefix(k.Path, key+".")+": "+v+"`")
		}
	}
	return strings.Join(parts, ", ")
}
