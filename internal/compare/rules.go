package compare

// ToleranceRule says, in words, how one tolerance key is applied: the rows
// it governs, the scale of their interval, the rule, how the interval is
// formed, and whether the rows decide the verdict. ToleranceRules is the
// one place these rules are written: docs/reference.md's table of
// tolerances is generated from it (internal/docs), and
// TestToleranceRulesMatchCompare holds it to what Compare does.
type ToleranceRule struct {
	// Key is the tolerance's YAML path, a setting or a group of them
	// ("latency.ttft_p50" holds max_increase and abs_ms); "" for rows
	// judged without a tolerance.
	Key string
	// Figures are the Row.Metric names it governs; "[r]" stands for a run
	// name, "[s/mode]" for a scenario and its mode. None: the key is
	// accepted and ignored.
	Figures []string
	// On is the scale of the interval: OnRatio, OnDifference, or "" (none).
	On string
	// Rule is the tolerance in the key's own names.
	Rule string
	// Interval is how the interval is formed (docs/statistics.md has the
	// formulas).
	Interval string
	// Advisory rows decide regressions only (Row.Advisory).
	Advisory bool
}

// Interval methods, as the rules name them.
const (
	ratioInterval = "Welch t on per-run logs with 3 runs or more in all, else order statistics over each run's requests"
	rateInterval  = "Newcombe hybrid score on the counts pooled over a side's runs"
)

// ToleranceRules lists every tolerance key with its rule, in the order of
// the rows Compare writes.
func ToleranceRules() []ToleranceRule {
	rules := []ToleranceRule{
		{Figures: []string{"tool_calling.passed", "stability.passed", "concurrency.passed", "conversation.passed"},
			Rule: "every candidate run passes its own checks: in every run → pass, in none → regressed, in some → inconclusive (flaky); " +
				"stability.passed leaves a failed own degradation check to the degradation row",
			Interval: "none: the candidate runs' own verdicts"},
		{Key: "tool_calling.pass_rate_max_drop", Figures: []string{"tool_calling.scenarios[s/mode].pass_rate"}, On: OnDifference,
			Rule:     "c − b ≥ −pass_rate_max_drop, on the model-check rate (compare.ScenarioCounts)",
			Interval: rateInterval, Advisory: true},
		{Key: "tool_calling.pass_rate_max_drop", Figures: []string{"tool_calling.pass_rate"}, On: OnDifference,
			Rule:     "c − b ≥ −pass_rate_max_drop, on the model-check rate of all scenarios pooled",
			Interval: rateInterval},
		{Key: "tool_calling.parse_rate_max_drop", Figures: []string{"tool_calling.parse_success_rate"}, On: OnDifference,
			Rule: "c − b ≥ −parse_rate_max_drop", Interval: rateInterval},
		{Key: "tool_calling.json_valid_rate_max_drop", Figures: []string{"tool_calling.json_valid_rate"}, On: OnDifference,
			Rule: "c − b ≥ −json_valid_rate_max_drop", Interval: rateInterval},
		{Key: "tool_calling.pass_rate_wilson",
			Rule: "accepted and ignored since 0.2.0: every rate has an interval"},
	}
	for _, fg := range latencyFigures(LatencyTolerance{}) {
		rules = append(rules, ToleranceRule{Key: "latency." + fg.key,
			Figures: []string{"stability.runs[r]." + fg.name, "concurrency.runs[r]." + fg.name}, On: OnRatio,
			Rule:     "c / b ≤ 1 + max(max_increase, abs_ms / b)",
			Interval: ratioInterval, Advisory: fg.advisory})
	}
	return append(rules,
		ToleranceRule{Key: "throughput", Figures: []string{"stability.runs[r].output_tokens_per_s.p50", "concurrency.runs[r].output_throughput"}, On: OnRatio,
			Rule:     "c / b ≥ 1 − max(max_drop, abs_tokens_per_s / b)",
			Interval: ratioInterval + " (for output_throughput, the width of the per-request tokens/s median: a proxy, said in the row)"},
		ToleranceRule{Key: "error_rate.max_increase", Figures: []string{"stability.runs[r].error_rate", "concurrency.runs[r].error_rate", "load.error_rate"}, On: OnDifference,
			Rule:     "c − b ≤ max_increase, on (requests − completed) / requests; load.error_rate pools every stability and load run",
			Interval: rateInterval, Advisory: true},
		ToleranceRule{Key: "degradation.max_increase", Figures: []string{"stability.runs[r].degradation"}, On: OnDifference,
			Rule:     "c − b ≤ max_increase, on the degradation value",
			Interval: "98 %: Welch t on per-run values with 3 runs or more in all, else each run's own Theil–Sen interval", Advisory: true},
		ToleranceRule{Key: "vram", Figures: []string{"gpu.mem_used_max_mib"}, On: OnRatio,
			Rule:     "c / b ≤ 1 + max(max_increase, abs_mib / b), on the largest mem_used_max_mib over devices",
			Interval: "Welch t on per-run logs with 3 runs or more in all; with one run per side the point ratio decides (VRAM has no sampling distribution)"},
		ToleranceRule{Key: "capacity.max_drop", Figures: []string{"capacity.max_rate_per_s"}, On: OnRatio,
			Rule:     "c / b ≥ 1 − max_drop",
			Interval: "the searches' brackets: [c passed / b failed, c failed / b passed] (docs/capacity.md)"},
		ToleranceRule{Key: "energy.max_increase", Figures: []string{"concurrency.runs[r].energy.j_per_good_token"}, On: OnRatio,
			Rule:     "c / b ≤ 1 + max_increase, on joules per good token (NVML on the GPU host; a run without it gives no figure)",
			Interval: "Welch t on per-run logs with 3 runs or more in all; with one run per side no interval (inconclusive)", Advisory: true},
		ToleranceRule{Key: "spec_decode.acceptance_rate_max_drop", Figures: []string{"concurrency.runs[r].server_view.spec_decode.acceptance_rate"}, On: OnDifference,
			Rule:     "c − b ≥ −acceptance_rate_max_drop, on accepted / draft tokens from vLLM's vllm:spec_decode_* counters over the run",
			Interval: rateInterval + " (draft tokens are not independent trials: narrower than the truth)", Advisory: true},
	)
}
