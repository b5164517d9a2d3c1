package report

import (
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// writeEngineCounters is the extended server view: per load run, vLLM's
// preemptions, speculative decoding (acceptance rate, mean accepted
// length) and KV offload over the run, where the server publishes them.
// Absent when no run has any.
func writeEngineCounters(b *strings.Builder, runs []viewRun) {
	shown := false
	for _, r := range runs {
		v := r.v
		shown = shown || v.Preemptions != nil || v.SpecDecode != nil || v.KVOffloadBytes != nil
	}
	if !shown {
		return
	}
	b.WriteString("\nEngine counters over each run (vLLM's `vllm:num_preemptions`, `vllm:spec_decode_*`, `vllm:kv_offload_*`; – where the server publishes none):\n\n")
	b.WriteString("| run | preemptions | spec-decode acceptance rate | mean accepted length | drafts | KV offloaded |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range runs {
		v := r.v
		pre, rate, length, drafts, off := "–", "–", "–", "–", "–"
		if v.Preemptions != nil {
			pre = num(*v.Preemptions)
		}
		if sd := v.SpecDecode; sd != nil {
			drafts = num(sd.Drafts)
			if sd.AcceptanceRate != nil {
				rate = units.PercentFixed(*sd.AcceptanceRate)
			}
			if sd.MeanAcceptedLength != nil {
				length = fmt.Sprintf("%.2f", *sd.MeanAcceptedLength)
			}
		}
		if v.KVOffloadBytes != nil {
			off = units.MiB(*v.KVOffloadBytes / (1 << 20))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", cell(r.name), pre, rate, length, drafts, off)
	}
}
