package scrape

import (
	dto "github.com/prometheus/client_model/go"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// The server's own view, extended (issue 28): speculative decoding, KV
// offload and preemptions over a run, where vLLM publishes them.
//
// Speculative decoding: SpecDecodingProm in vllm/v1/spec_decode/metrics.py
// (commit 016a8587) registers the counters vllm:spec_decode_num_drafts,
// vllm:spec_decode_num_draft_tokens and vllm:spec_decode_num_accepted_tokens
// only when a speculative config is set; prometheus_client writes them
// with a _total suffix. KV offload: the offloading connector's
// vllm:kv_offload_total_bytes (labelled by transfer_type) in
// vllm/distributed/kv_transfer/kv_connector/v1/offloading/metrics.py;
// later versions split it into vllm:kv_offload_load_bytes and
// vllm:kv_offload_store_bytes. Both are summed over their labels.
var (
	namesSpecDrafts      = []string{"vllm:spec_decode_num_drafts_total", "vllm:spec_decode_num_drafts"}
	namesSpecDraftTokens = []string{"vllm:spec_decode_num_draft_tokens_total", "vllm:spec_decode_num_draft_tokens"}
	namesSpecAccepted    = []string{"vllm:spec_decode_num_accepted_tokens_total", "vllm:spec_decode_num_accepted_tokens"}
	namesKVOffload       = [][]string{
		{"vllm:kv_offload_total_bytes_total", "vllm:kv_offload_total_bytes"},
		{"vllm:kv_offload_load_bytes_total", "vllm:kv_offload_load_bytes"},
		{"vllm:kv_offload_store_bytes_total", "vllm:kv_offload_store_bytes"},
	}
)

// Keys of the extended series in Snapshot.Found.
const (
	KeySpecDecode = "spec_decode"
	KeyKVOffload  = "kv_offload_bytes"
)

// parseExtended fills the snapshot's speculative-decoding and KV-offload
// figures from the families found.
func parseExtended(fams map[string]*dto.MetricFamily, s *Snapshot) {
	d, t, a := first(fams, namesSpecDrafts), first(fams, namesSpecDraftTokens), first(fams, namesSpecAccepted)
	if d != nil && t != nil && a != nil {
		s.SpecDrafts, s.SpecDraftTokens, s.SpecAccepted = reduce(d, sum), reduce(t, sum), reduce(a, sum)
		s.Found[KeySpecDecode] = true
	}
	for _, names := range namesKVOffload {
		if mf := first(fams, names); mf != nil {
			s.KVOffloadBytes += reduce(mf, sum)
			if s.KVOffloadSeries != "" {
				s.KVOffloadSeries += "+"
			}
			s.KVOffloadSeries += mf.GetName()
			s.Found[KeyKVOffload] = true
		}
	}
}

// extendView adds the run's speculative decoding, KV offload and
// preemptions (after minus before) to v, where both scrapes have them
// and no counter went down (a restart).
func extendView(v *sidecar.ServerView, before, after Snapshot) {
	both := func(k string) bool { return before.Found[k] && after.Found[k] }
	if both(KeyPreemptions) {
		if p := after.Preemptions - before.Preemptions; p >= 0 {
			v.Preemptions = &p
		}
	}
	if both(KeyKVOffload) {
		if b := after.KVOffloadBytes - before.KVOffloadBytes; b >= 0 {
			v.KVOffloadBytes, v.KVOffloadSeries = &b, after.KVOffloadSeries
		}
	}
	if both(KeySpecDecode) {
		sd := &sidecar.SpecDecode{
			Drafts:         after.SpecDrafts - before.SpecDrafts,
			DraftTokens:    after.SpecDraftTokens - before.SpecDraftTokens,
			AcceptedTokens: after.SpecAccepted - before.SpecAccepted,
		}
		if sd.Drafts < 0 || sd.DraftTokens < 0 || sd.AcceptedTokens < 0 {
			return
		}
		if sd.DraftTokens > 0 {
			r := sd.AcceptedTokens / sd.DraftTokens
			sd.AcceptanceRate = &r
		}
		if sd.Drafts > 0 {
			l := 1 + sd.AcceptedTokens/sd.Drafts
			sd.MeanAcceptedLength = &l
		}
		v.SpecDecode = sd
	}
}
