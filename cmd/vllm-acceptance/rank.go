package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var rankCommand = command{
	name:    "rank",
	summary: "rank several runs (one per vLLM configuration) on the suite's verdict and figures",
	help: `Usage: vllm-acceptance rank [--by cost] [--json FILE] RUN...

Ranks vLLM configurations and prints one Markdown table. Each RUN is one
configuration: a metrics.json, a run folder holding one, or a folder of run
folders (several runs of it); it is named by its folder (or file) name.
Order: suite passed first, then tool-call pass rate (higher first), then the
worst TTFT p90 (lower first), then the worst output tokens/s p50 (higher
first), then the name. Neighbours whose 90 % intervals overlap on all three
are tied and share a rank ("="). Provenance columns (server version,
max_model_len, engine config) make a grid of configurations read as a
grid. ▲ marks a column's best value and ▼ its worst. With --by cost, the
configurations are ordered by cost per million good tokens at the capacity
found (runs made with ACCEPTANCE_GPU_HOUR_PRICE), lower first.

Exit status: 0 ranked, 1 the table or the --json file cannot be written,
2 usage error or an input cannot be read, 3 the runs of one folder
disagree (another model, server version, engine config, knobs...).

Example:
  vllm-acceptance rank runs/chunked_only_safe runs/prefix_caching runs/gpu_mem_095
  vllm-acceptance rank --by cost runs/awq runs/fp8 runs/spec_decode

`,
	flags: rankFlags,
}

func rankFlags(fset *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	jsonOut := fset.String("json", "", "also write the ranking as JSON to this file")
	by := fset.String("by", "", "order by one figure instead: cost (per million good tokens at the capacity found, lower first)")
	return func(args []string, stdout, stderr io.Writer) int {
		if fset.NArg() == 0 {
			fmt.Fprintln(stderr, "vllm-acceptance rank: no RUN given; e.g. vllm-acceptance rank runs/a runs/b")
			return 2
		}
		var configs [][]sidecar.Run
		var names []string
		for _, arg := range fset.Args() {
			runs, err := sidecar.ReadRuns(arg)
			if err != nil {
				fmt.Fprintf(stderr, "vllm-acceptance rank: %s\n", oneLine(err))
				return 2
			}
			if refusals := compare.SideRefusals(arg, runs); len(runs) > 1 && len(refusals) > 0 {
				fmt.Fprintf(stderr, "vllm-acceptance rank: %s: %s\n", arg, strings.Join(refusals, "; "))
				return 3
			}
			configs = append(configs, runs)
			name := filepath.Base(filepath.Clean(arg))
			if name == "metrics.json" {
				name = filepath.Base(filepath.Dir(filepath.Clean(arg)))
			}
			names = append(names, name)
		}
		rk, err := compare.RankBy(compare.RankConfigs(configs, names), *by)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance rank: %v\n", err)
			return 2
		}
		if err := compare.WriteRankMarkdown(stdout, rk); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance rank: %v\n", err)
			return 1
		}
		if *jsonOut != "" {
			f, err := os.Create(*jsonOut)
			if err == nil {
				err = writeRankJSON(f, rk)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "vllm-acceptance rank: %v\n", err)
				return 1
			}
		}
		return 0
	}
}

func writeRankJSON(w io.Writer, rk compare.Ranking) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rk)
}
