package compare

import (
	"fmt"
	"io"

	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Ranking orders several runs, one per vLLM configuration, on the gate's
// criteria.
type Ranking struct {
	Rows []RankRow `json:"rows"`
}

// RankRow is one run's figures. Nil figures were not measured.
type RankRow struct {
	Rank  int    `json:"rank"`
	Name  string `json:"name"`
	Model string `json:"model"`
	Kind  string `json:"kind"`
	// GatePassed: the run is complete and every section it has passed.
	GatePassed bool `json:"gate_passed"`
	// ToolCallPassRate is passed / attempts over all scenarios.
	ToolCallPassRate *float64 `json:"toolcall_pass_rate"`
	// TTFTP90ms is the worst (largest) ttft_ms.p90 over stability runs.
	TTFTP90ms *float64 `json:"ttft_p90_ms"`
	// Throughput is the worst (smallest) output_tokens_per_s.p50 over
	// stability runs.
	Throughput *float64 `json:"output_tokens_per_s"`
	// ErrorRate is failed / requests over stability runs.
	ErrorRate *float64 `json:"error_rate"`
	// Degradation is the largest degradation value over stability runs.
	Degradation *float64 `json:"degradation"`
	// VRAMMaxMiB is the largest device memory seen; nil without a local GPU.
	VRAMMaxMiB *float64 `json:"vram_max_mib"`
	// Marks holds "best" or "worst" per column name, where runs differ.
	Marks map[string]string `json:"marks,omitempty"`
}

// Rank turns several sidecars into one table. The order is, first to last
// criterion: gate passed (passing runs first); tool-call pass rate (higher
// first); TTFT p90 (lower first); throughput (higher first); then the name,
// so equal runs keep a stable order. A missing figure sorts after any
// measured one. names[i] labels runs[i]; a missing name becomes "run N".
func Rank(runs []*sidecar.Metrics, names []string) Ranking {
	rows := make([]RankRow, 0, len(runs))
	for i, m := range runs {
		if m == nil {
			continue
		}
		name := fmt.Sprintf("run %d", i+1)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		rows = append(rows, rankRow(name, m))
	}
	sort.SliceStable(rows, func(i, j int) bool { return rankLess(rows[i], rows[j]) })
	for i := range rows {
		rows[i].Rank = i + 1
	}
	markColumns(rows)
	return Ranking{Rows: rows}
}

func rankRow(name string, m *sidecar.Metrics) RankRow {
	r := RankRow{Name: name, Model: m.Target.Model, Kind: m.Target.Kind}
	if t := m.ToolCalling; t != nil {
		att, ok := 0, 0
		for _, s := range t.Scenarios {
			att += s.Attempts
			ok += s.Passed
		}
		if att > 0 {
			r.ToolCallPassRate = f(float64(ok) / float64(att))
		}
	}
	if s := m.Stability; s != nil {
		req, done := 0, 0
		for _, run := range s.Runs {
			req += run.Requests
			done += run.Completed
			if run.TTFTms.N > 0 && (r.TTFTP90ms == nil || run.TTFTms.P90 > *r.TTFTP90ms) {
				r.TTFTP90ms = f(run.TTFTms.P90)
			}
			if run.OutputTokensPerS.N > 0 && (r.Throughput == nil || run.OutputTokensPerS.P50 < *r.Throughput) {
				r.Throughput = f(run.OutputTokensPerS.P50)
			}
			if r.Degradation == nil || run.Degradation.Value > *r.Degradation {
				r.Degradation = f(run.Degradation.Value)
			}
		}
		if req > 0 {
			r.ErrorRate = f(errorRate(req, done))
		}
	}
	r.VRAMMaxMiB = VRAMMax(m.GPU)
	r.GatePassed = m.Passed() // the one verdict report and the exit code use too
	return r
}

// cmpOpt compares two optional figures: -1 when a ranks first. A missing
// figure ranks after a measured one.
func cmpOpt(a, b *float64, higherFirst bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	case *a == *b:
		return 0
	case (*a > *b) == higherFirst:
		return -1
	default:
		return 1
	}
}

func rankLess(a, b RankRow) bool {
	if a.GatePassed != b.GatePassed {
		return a.GatePassed
	}
	for _, c := range []int{
		cmpOpt(a.ToolCallPassRate, b.ToolCallPassRate, true),
		cmpOpt(a.TTFTP90ms, b.TTFTP90ms, false),
		cmpOpt(a.Throughput, b.Throughput, true),
	} {
		if c != 0 {
			return c < 0
		}
	}
	return a.Name < b.Name
}

type rankColumn struct {
	name        string
	unit        string
	higherFirst bool
	get         func(*RankRow) *float64
}

var rankColumns = []rankColumn{
	{"toolcall_pass_rate", UnitRate, true, func(r *RankRow) *float64 { return r.ToolCallPassRate }},
	{"ttft_p90_ms", UnitMs, false, func(r *RankRow) *float64 { return r.TTFTP90ms }},
	{"output_tokens_per_s", UnitTokPerS, true, func(r *RankRow) *float64 { return r.Throughput }},
	{"error_rate", UnitRate, false, func(r *RankRow) *float64 { return r.ErrorRate }},
	{"degradation", UnitFraction, false, func(r *RankRow) *float64 { return r.Degradation }},
	{"vram_max_mib", UnitMiB, false, func(r *RankRow) *float64 { return r.VRAMMaxMiB }},
}

// markColumns marks the best and worst value of each column, where at least
// two runs have the figure and they differ. Ties share the mark.
func markColumns(rows []RankRow) {
	for _, col := range rankColumns {
		var lo, hi *float64
		for i := range rows {
			v := col.get(&rows[i])
			if v == nil {
				continue
			}
			if lo == nil || *v < *lo {
				lo = f(*v)
			}
			if hi == nil || *v > *hi {
				hi = f(*v)
			}
		}
		if lo == nil || *lo == *hi {
			continue
		}
		best, worst := *lo, *hi
		if col.higherFirst {
			best, worst = *hi, *lo
		}
		for i := range rows {
			v := col.get(&rows[i])
			if v == nil {
				continue
			}
			mark := ""
			switch *v {
			case best:
				mark = "best"
			case worst:
				mark = "worst"
			}
			if mark != "" {
				if rows[i].Marks == nil {
					rows[i].Marks = map[string]string{}
				}
				rows[i].Marks[col.name] = mark
			}
		}
	}
}

// WriteRankMarkdown writes the ranking as a Markdown table; "▲" marks the
// best value of a column and "▼" the worst.
func WriteRankMarkdown(w io.Writer, rk Ranking) error {
	var b strings.Builder
	b.WriteString("## Ranking of configurations\n\n")
	if len(rk.Rows) == 0 {
		b.WriteString("No runs to rank.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("| rank | run | model | kind | gate | tool-call pass rate | TTFT p90 (worst run) | output tok/s p50 (worst run) | error rate | degradation (worst) | VRAM max |\n")
	b.WriteString("| ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for i := range rk.Rows {
		r := &rk.Rows[i]
		gate := "FAIL"
		if r.GatePassed {
			gate = "PASS"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |", r.Rank, cell(r.Name), cell(r.Model), cell(r.Kind), gate)
		for _, col := range rankColumns {
			v := col.get(r)
			s := value(v, col.unit)
			switch r.Marks[col.name] {
			case "best":
				s += " ▲"
			case "worst":
				s += " ▼"
			}
			fmt.Fprintf(&b, " %s |", s)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nOrder: gate passed first, then tool-call pass rate (higher first), then TTFT p90 (lower first), then output tokens/s (higher first), then name. ▲ best, ▼ worst in a column; – not measured.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
