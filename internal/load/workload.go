package load

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/trace"
)

// Histogram names of a trace replay's lengths (sidecar.Workload).
const (
	HistTraceInput  = "trace_input"
	HistInput       = "input"
	HistTraceOutput = "trace_output"
	HistOutput      = "output"
	// TTFT (ms) of the lines that shared a prefix with an earlier line,
	// and of those that did not.
	HistSharedPrefixTTFT = "ttft_shared_prefix"
	HistNewPrefixTTFT    = "ttft_new_prefix"
)

// Replay folds a trace replay's requests: the lengths each trace line
// asked for against those the server counted (usage.prompt_tokens and
// completion_tokens) of the completed requests. Not safe for concurrent
// use (one consumer per run, as Agg).
type Replay struct {
	w     sidecar.Workload
	hists map[string]*stats.Histogram
}

// NewReplay starts the replay record of trace t; b built its prompts
// (nil for chat traces, sent as written).
func NewReplay(t *trace.Trace, b *trace.Builder, speedup float64) *Replay {
	w := sidecar.Workload{Trace: t.Name, SHA256: t.SHA256, Format: string(t.Format), Speedup: speedup}
	if b != nil {
		cal := b.Calibration()
		w.Calibration = &sidecar.Calibration{TokensPerWord: cal.TokensPerWord, Overhead: cal.Overhead, Source: cal.Source}
	}
	return &Replay{w: w, hists: newReplayHists()}
}

func newReplayHists() map[string]*stats.Histogram {
	return map[string]*stats.Histogram{HistTraceInput: stats.NewHistogram(), HistInput: stats.NewHistogram(),
		HistTraceOutput: stats.NewHistogram(), HistOutput: stats.NewHistogram(),
		HistSharedPrefixTTFT: stats.NewHistogram(), HistNewPrefixTTFT: stats.NewHistogram()}
}

// Add folds in the record of trace line req, whose first shared prompt
// tokens an earlier line of the run had sent (trace.SharedPrefix). A line
// counts as sharing its prefix when at least half its prompt was sent
// before (SharedPrefixed): then most of its prefill can come from a
// prefix cache.
func (p *Replay) Add(req trace.Request, shared int, r *record.Record) {
	p.w.Lines++
	cached := SharedPrefixed(req, shared)
	if cached {
		p.w.SharedPrefixLines++
	}
	if !r.OK() {
		return
	}
	if r.TTFTms > 0 {
		h := HistNewPrefixTTFT
		if cached {
			h = HistSharedPrefixTTFT
		}
		p.hists[h].Add(r.TTFTms)
	}
	if req.InputLength > 0 {
		p.w.TraceInputTokens += int64(req.InputLength)
		p.w.InputTokens += int64(r.PromptTokens)
		p.w.InputAbsDiff += abs64(int64(r.PromptTokens - req.InputLength))
		p.hists[HistTraceInput].Add(float64(req.InputLength))
	}
	p.hists[HistInput].Add(float64(r.PromptTokens))
	p.w.TraceOutputTokens += int64(req.OutputLength)
	p.w.OutputTokens += int64(r.CompletionTokens)
	p.w.OutputAbsDiff += abs64(int64(r.CompletionTokens - req.OutputLength))
	p.hists[HistTraceOutput].Add(float64(req.OutputLength))
	p.hists[HistOutput].Add(float64(r.CompletionTokens))
}

// SharedPrefixed reports whether at least half of req's prompt (and some
// of it) was sent before it: shared tokens of trace.SharedPrefix.
func SharedPrefixed(req trace.Request, shared int) bool {
	return shared > 0 && 2*shared >= req.InputLength
}

// Workload is the run's sidecar section as it stands.
func (p *Replay) Workload() *sidecar.Workload {
	w := p.w
	finishWorkload(&w, p.hists)
	return &w
}

func finishWorkload(w *sidecar.Workload, h map[string]*stats.Histogram) {
	w.InputError, w.OutputError = 0, 0
	if w.TraceInputTokens > 0 {
		w.InputError = float64(w.InputAbsDiff) / float64(w.TraceInputTokens)
	}
	if w.TraceOutputTokens > 0 {
		w.OutputError = float64(w.OutputAbsDiff) / float64(w.TraceOutputTokens)
	}
	w.TraceInput, w.Input = h[HistTraceInput].Summary(), h[HistInput].Summary()
	w.TraceOutput, w.Output = h[HistTraceOutput].Summary(), h[HistOutput].Summary()
	w.SharedPrefixTTFTms, w.NewPrefixTTFTms = h[HistSharedPrefixTTFT].Summary(), h[HistNewPrefixTTFT].Summary()
	// Encoding the suite's own histograms cannot fail; if it did, the
	// run keeps its summaries and only merge loses the distributions.
	w.Histograms, _ = stats.EncodeAll(h)
}

// MergeWorkloads folds the shards' parts of one replay: lines and token
// sums add, the length histograms add bucket by bucket. Parts must have
// replayed the same trace (same digest).
func MergeWorkloads(parts []*sidecar.Workload) (*sidecar.Workload, error) {
	var out *sidecar.Workload
	h := newReplayHists()
	for i, p := range parts {
		if p == nil {
			continue
		}
		if out == nil {
			w := *p
			w.Lines, w.SharedPrefixLines, w.TraceInputTokens, w.InputTokens, w.InputAbsDiff = 0, 0, 0, 0, 0
			w.TraceOutputTokens, w.OutputTokens, w.OutputAbsDiff = 0, 0, 0
			out = &w
		} else if p.SHA256 != out.SHA256 {
			return nil, fmt.Errorf("part %d replayed %s (sha256 %.12s), another part %s (%.12s): every shard must replay the same trace", i, p.Trace, p.SHA256, out.Trace, out.SHA256)
		}
		out.Lines += p.Lines
		out.SharedPrefixLines += p.SharedPrefixLines
		out.TraceInputTokens += p.TraceInputTokens
		out.InputTokens += p.InputTokens
		out.InputAbsDiff += p.InputAbsDiff
		out.TraceOutputTokens += p.TraceOutputTokens
		out.OutputTokens += p.OutputTokens
		out.OutputAbsDiff += p.OutputAbsDiff
		for _, name := range slices.Sorted(maps.Keys(p.Histograms)) {
			dst, ok := h[name]
			if !ok {
				continue
			}
			d, err := stats.DecodeHistogram(p.Histograms[name])
			if err != nil {
				return nil, fmt.Errorf("part %d: workload %s: %w", i, name, err)
			}
			dst.Merge(d)
		}
	}
	if out != nil {
		finishWorkload(out, h)
	}
	return out, nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
