package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func rate(v float64) string {
	return fmt.Sprintf("%.3f", v)
}
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func optRate(v *float64) string {
	if v == nil {
		return "–"
	}
	return rate(*v)
}

func optNum(m map[string]float64, k string) string {
	if v, ok := m[k]; ok {
		return num(v)
	}
	return "–"
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format(time.RFC3339)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "**FAIL**"
}

// sectionWord is a section's verdict in the summary table: PASS,
// **FAIL**, **NOT RUN** (its work did not all run) or UNKNOWN (nothing
// it could measure).
func sectionWord(v sidecar.SectionVerdict) string {
	switch w := v.Word(); w {
	case "FAIL", "NOT RUN":
		return "**" + w + "**"
	default:
		return w
	}
}

func verdictWord(v string) string {
	switch v {
	case sidecar.VerdictPass:
		return "PASS"
	case sidecar.VerdictFail:
		return "**FAIL**"
	case sidecar.VerdictUnknown:
		return "**NOT RUN**"
	case "regressed", "refused":
		return "**" + strings.ToUpper(v) + "**"
	case "":
		return "–"
	}
	return v
}

func errorsText(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func noteOr(note, def string) string {
	if note == "" {
		return def
	}
	return strings.TrimSuffix(oneLine(note), ".")
}

func row2(b *strings.Builder, k, v string) { fmt.Fprintf(b, "| %s | %s |\n", k, cell(v)) }

func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(mdText(s), "|", `\|`)
}

// mdText is s on one line with "<" escaped, so markup quoted in a message
// (<tool_call>, <think>) shows instead of vanishing as an HTML tag.
func mdText(s string) string {
	return strings.ReplaceAll(oneLine(s), "<", "&lt;")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func topTest(test string) string {
	top, _, _ := strings.Cut(test, "/")
	return top
}
