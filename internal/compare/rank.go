package compare

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
)

// Ranking orders several configurations on the suite's verdict and figures.
type Ranking struct {
	Rows []RankRow `json:"rows"`
	// By is the figure the rows were ordered by (RankBy), "" for the
	// suite's order.
	By string `json:"by,omitempty"`
}

// RankRow is one configuration's figures (pooled over its runs). Nil
// figures were not measured.
type RankRow struct {
	// Rank is shared by tied configurations: those next to each other in
	// the order whose intervals overlap on every ordering criterion.
	Rank int    `json:"rank"`
	Tied bool   `json:"tied,omitempty"`
	Name string `json:"name"`
	Runs int    `json:"runs"`
	// Provenance, so a grid of configurations reads as a grid.
	Model         string            `json:"model"`
	Kind          string            `json:"kind"`
	ServerVersion string            `json:"server_version,omitempty"`
	MaxModelLen   int               `json:"max_model_len,omitempty"`
	EngineConfig  map[string]string `json:"engine_config,omitempty"`
	// SuitePassed: every run's verdict (sidecar.Metrics.Passed) is pass.
	SuitePassed bool `json:"suite_passed"`
	// Incomplete: a run did not finish, or an area of it did not all run
	// (sidecar.SectionVerdict.NotRun): its figures cover only what ran.
	Incomplete bool `json:"incomplete,omitempty"`
	// ToolCallPassRate is passed / attempts over all scenarios and runs,
	// with its Wilson 90 % interval.
	ToolCallPassRate   *float64        `json:"toolcall_pass_rate"`
	ToolCallPassRateCI *stats.Interval `json:"toolcall_pass_rate_ci,omitempty"`
	// TTFTP90ms is the worst (largest) stability run's ttft_ms.p90
	// (geometric mean over runs), with its 90 % interval: over runs with
	// several, from the run's histogram with one.
	TTFTP90ms   *float64        `json:"ttft_p90_ms"`
	TTFTP90msCI *stats.Interval `json:"ttft_p90_ms_ci,omitempty"`
	// Throughput is the worst (smallest) stability run's
	// output_tokens_per_s.p50, with its interval like TTFTP90ms.
	Throughput   *float64        `json:"output_tokens_per_s"`
	ThroughputCI *stats.Interval `json:"output_tokens_per_s_ci,omitempty"`
	// Capacity is capacity.max_rate_per_s (geometric mean over runs) and
	// its bracket (CapacityCI: the union of the runs' brackets, High 0 for
	// an "at least" capacity); CapacitySLOs the SLOs it was measured
	// under: rows order by capacity only under the same SLOs.
	Capacity     *float64        `json:"capacity_req_per_s,omitempty"`
	CapacityCI   *stats.Interval `json:"capacity_interval,omitempty"`
	CapacitySLOs string          `json:"capacity_slos,omitempty"`
	// ErrorRate is failed / requests over stability runs.
	ErrorRate *float64 `json:"error_rate"`
	// Degradation is the largest degradation value over stability runs.
	Degradation *float64 `json:"degradation"`
	// VRAMMaxMiB is the largest device memory seen; nil without a local GPU.
	VRAMMaxMiB *float64 `json:"vram_max_mib"`
	// CostPerMillionGoodTokens is capacity.cost.per_million_good_tokens
	// (geometric mean over runs): what a million tokens within the SLOs
	// cost at the capacity found; nil without a GPU-hour price.
	CostPerMillionGoodTokens *float64 `json:"cost_per_million_good_tokens,omitempty"`
	// Marks holds "best" or "worst" per column name, where runs differ.
	Marks map[string]string `json:"marks,omitempty"`
}

// Rank ranks single runs, one per configuration (RankConfigs with one run
// each). names[i] labels runs[i]; a missing name becomes "run N".
func Rank(runs []*sidecar.Metrics, names []string) Ranking {
	var cfgs [][]sidecar.Run
	var labels []string
	for i, m := range runs {
		if m == nil {
			continue
		}
		name := fmt.Sprintf("run %d", i+1)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		cfgs = append(cfgs, []sidecar.Run{{Name: name, Metrics: m}})
		labels = append(labels, name)
	}
	return RankConfigs(cfgs, labels)
}

// RankConfigs turns configurations, each one or more runs, into one table.
// The order is, first to last criterion: suite passed (passing first);
// tool-call pass rate (higher first); TTFT p90 (lower first); throughput
// (higher first); then the name. A missing figure sorts after any measured
// one. Neighbours in that order are tied, and share a rank, when they agree
// on the suite and their intervals overlap on all three figures: their
// order is noise.
func RankConfigs(configs [][]sidecar.Run, names []string) Ranking {
	rows := make([]RankRow, 0, len(configs))
	for i, runs := range configs {
		if len(runs) == 0 {
			continue
		}
		name := fmt.Sprintf("config %d", i+1)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		rows = append(rows, rankRow(name, runs))
	}
	sort.SliceStable(rows, func(i, j int) bool { return rankLess(rows[i], rows[j]) })
	for i := range rows {
		rows[i].Rank = i + 1
		if i > 0 && tied(rows[i-1], rows[i]) {
			rows[i].Rank = rows[i-1].Rank
			rows[i].Tied, rows[i-1].Tied = true, true
		}
	}
	markColumns(rows)
	return Ranking{Rows: rows}
}

// tied: same suite outcome and overlapping intervals (or equal points where
// there is no interval) on every ordering figure.
func tied(a, b RankRow) bool {
	if a.SuitePassed != b.SuitePassed {
		return false
	}
	return capacityOverlap(a, b) &&
		overlap(a.ToolCallPassRate, b.ToolCallPassRate, a.ToolCallPassRateCI, b.ToolCallPassRateCI) &&
		overlap(a.TTFTP90ms, b.TTFTP90ms, a.TTFTP90msCI, b.TTFTP90msCI) &&
		overlap(a.Throughput, b.Throughput, a.ThroughputCI, b.ThroughputCI)
}

func overlap(a, b *float64, ai, bi *stats.Interval) bool {
	switch {
	case a == nil && b == nil:
		return true
	case a == nil || b == nil:
		return false
	}
	ia, ib := stats.Interval{Low: *a, High: *a}, stats.Interval{Low: *b, High: *b}
	if ai != nil {
		ia = *ai
	}
	if bi != nil {
		ib = *bi
	}
	return ia.Low <= ib.High && ib.Low <= ia.High
}

// spread is the geometric mean of per-run values and its 90 % interval:
// over runs (t on logs) with two or more, from the single run's histogram
// (order statistics at quantile q) with one; no interval when neither.
func spread(vals []float64, hists []string, q float64) (*float64, *stats.Interval) {
	if len(vals) == 0 {
		return nil, nil
	}
	ls := make([]float64, len(vals))
	for i, v := range vals {
		ls[i] = math.Log(v)
	}
	mean := 0.0
	for _, l := range ls {
		mean += l
	}
	mean /= float64(len(ls))
	gm := math.Exp(mean)
	if n := float64(len(ls)); n >= 2 {
		ss := 0.0
		for _, l := range ls {
			ss += (l - mean) * (l - mean)
		}
		se := math.Sqrt(ss/(n-1)) / math.Sqrt(n)
		t := stats.TQuantile((1+stats.GateConfidence)/2, n-1)
		return &gm, &stats.Interval{Low: math.Exp(mean - t*se), High: math.Exp(mean + t*se)}
	}
	if h, err := stats.DecodeHistogram(hists[0]); err == nil && h.Count() > 0 {
		iv := h.QuantileInterval(q, stats.ZGate)
		return &gm, &iv
	}
	return &gm, nil
}

func rankRow(name string, runs []sidecar.Run) RankRow {
	m0 := runs[0].Metrics
	r := RankRow{Name: name, Runs: len(runs), Model: m0.Target.Model, Kind: m0.Target.Kind, ServerVersion: m0.Target.ServerVersion}
	if p := m0.Provenance; p != nil {
		r.MaxModelLen, r.EngineConfig = p.MaxModelLen, p.EngineConfig
	}
	passed := true
	att, ok, req, done := 0, 0, 0, 0
	type perName struct {
		ttft, tok         []float64
		ttftHist, tokHist []string
	}
	byName := map[string]*perName{}
	for _, run := range runs {
		m := run.Metrics
		// One verdict: report and the exit code use metrics.json's too.
		passed = passed && m.Passed()
		if !m.Complete {
			r.Incomplete = true
		}
		for _, v := range m.SectionOutcomes() {
			r.Incomplete = r.Incomplete || v.NotRun != ""
		}
		if t := m.ToolCalling; t != nil {
			for i := range t.Scenarios {
				k, n := ScenarioCounts(&t.Scenarios[i])
				ok += k
				att += n
			}
		}
		if s := m.Stability; s != nil {
			for _, sr := range s.Runs {
				req += sr.Requests
				done += sr.Completed
				p := byName[sr.Name]
				if p == nil {
					p = &perName{}
					byName[sr.Name] = p
				}
				if sr.TTFTms.N > 0 && sr.TTFTms.P90 > 0 {
					p.ttft, p.ttftHist = append(p.ttft, sr.TTFTms.P90), append(p.ttftHist, sr.Histograms[sidecar.HistTTFT])
				}
				if sr.OutputTokensPerS.N > 0 && sr.OutputTokensPerS.P50 > 0 {
					p.tok, p.tokHist = append(p.tok, sr.OutputTokensPerS.P50), append(p.tokHist, sr.Histograms[sidecar.HistTokS])
				}
				if r.Degradation == nil || sr.Degradation.Value > *r.Degradation {
					r.Degradation = f(sr.Degradation.Value)
				}
			}
		}
		if v := VRAMMax(m.GPU); v != nil && (r.VRAMMaxMiB == nil || *v > *r.VRAMMaxMiB) {
			r.VRAMMaxMiB = v
		}
	}
	if att > 0 {
		r.ToolCallPassRate = f(float64(ok) / float64(att))
		iv := stats.WilsonZ(ok, att, stats.ZGate)
		r.ToolCallPassRateCI = &iv
	}
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		p := byName[n]
		if v, iv := spread(p.ttft, p.ttftHist, 0.9); v != nil && (r.TTFTP90ms == nil || *v > *r.TTFTP90ms) {
			r.TTFTP90ms, r.TTFTP90msCI = v, iv
		}
		if v, iv := spread(p.tok, p.tokHist, 0.5); v != nil && (r.Throughput == nil || *v < *r.Throughput) {
			r.Throughput, r.ThroughputCI = v, iv
		}
	}
	if req > 0 {
		r.ErrorRate = f(float64(req-done) / float64(req))
	}
	r.SuitePassed = passed
	capacityRank(&r, runs)
	costRank(&r, runs)
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
	if a.SuitePassed != b.SuitePassed {
		return a.SuitePassed
	}
	for _, c := range []int{
		capacityCmp(a, b),
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
	{"capacity", UnitReqPerS, true, func(r *RankRow) *float64 { return r.Capacity }},
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
// best value of a column and "▼" the worst, "=" a rank shared by tied
// configurations, and the provenance columns show what each one ran.
func WriteRankMarkdown(w io.Writer, rk Ranking) error {
	var b strings.Builder
	b.WriteString("## Ranking of configurations\n\n")
	if len(rk.Rows) == 0 {
		b.WriteString("No runs to rank.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	cost := hasCost(rk)
	b.WriteString("| rank | config | runs | model | server version | max_model_len | engine config | suite | capacity | tool-call pass rate | TTFT p90 (worst run) | output tok/s p50 (worst run) | error rate | degradation (worst) | VRAM max |")
	if cost {
		b.WriteString(" cost / M good tokens |")
	}
	b.WriteString("\n| ---: | --- | ---: | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	if cost {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for i := range rk.Rows {
		r := &rk.Rows[i]
		suite := "FAIL"
		switch {
		case r.SuitePassed:
			suite = "PASS"
		case r.Incomplete:
			suite = "FAIL (incomplete)"
		}
		rank := fmt.Sprint(r.Rank)
		if r.Tied {
			rank += "="
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s |", rank, cell(r.Name), r.Runs, cell(r.Model), cell(r.ServerVersion),
			cell(intOrEmpty(r.MaxModelLen)), cell(engineConfigString(r.EngineConfig)), suite)
		cis := map[string]*stats.Interval{"capacity": r.CapacityCI, "toolcall_pass_rate": r.ToolCallPassRateCI, "ttft_p90_ms": r.TTFTP90msCI, "output_tokens_per_s": r.ThroughputCI}
		for _, col := range rankColumns {
			v := col.get(r)
			s := value(v, col.unit)
			if iv := cis[col.name]; iv != nil && v != nil {
				hi := trimUnit(fmtNum(iv.High, col.unit)) + "]"
				if col.name == "capacity" && iv.High == 0 {
					hi = "∞)" // "at least": no rate failed
				}
				s += fmt.Sprintf(" [%s, %s", trimUnit(fmtNum(iv.Low, col.unit)), hi)
			}
			switch r.Marks[col.name] {
			case "best":
				s += " ▲"
			case "worst":
				s += " ▼"
			}
			fmt.Fprintf(&b, " %s |", s)
		}
		if cost {
			fmt.Fprintf(&b, " %s |", costCell(r))
		}
		b.WriteString("\n")
	}
	if rk.By == RankByCost {
		b.WriteString("\nOrdered by cost per million good tokens at the capacity found (lower first; capacity.cost, from ACCEPTANCE_GPU_HOUR_PRICE), configurations without one last.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\nOrder: suite passed first, then capacity within the SLOs (higher first; only between configurations searched under the same SLOs, its bracket in brackets, an open end for \"at least\"), then tool-call pass rate (higher first), then TTFT p90 (lower first), then output tokens/s (higher first), then name. " +
		"Neighbours whose intervals (in brackets) overlap on every figure are tied and share a rank (\"=\"): their order is noise. ▲ best, ▼ worst in a column; – not measured.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// trimUnit drops the unit after a number ("300.0 ms" → "300.0").
func trimUnit(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}
