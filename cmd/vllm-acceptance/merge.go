package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/shard"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

var mergeCommand = command{
	name:    "merge",
	summary: "merge the shards of a sharded run (ACCEPTANCE_SHARD=i/N) into one run",
	help: `Usage: vllm-acceptance merge --out DIR [--shards N] [--wait DURATION] SHARD...
       vllm-acceptance merge --wait DURATION --wait-only [--shards N] SHARD...

Merges the outputs of a sharded run (each shard one process or pod run with
ACCEPTANCE_SHARD=i/N, or as pod i of a Kubernetes Indexed Job) into the run
one process would have measured, and writes metrics.json, requests.jsonl
and junit.xml to DIR. Each SHARD is a shard's output folder, or a folder
of shard folders; one may be the run's main part (the unsharded process of the
same ACCEPTANCE_RUN_ID that ran tool calling, stability and the
conversation).

The merge adds the HDR histograms, counts and token totals of each load
run (it never averages percentiles), takes the union of the shards' time
windows, and recomputes every check and verdict on the merged data. Tool
calling, stability and the conversation come from the main part, or else from
shard 0. It refuses
shards of different runs, start times, targets or knobs. A missing or
unfinished shard is named, and the merged run is marked incomplete and
fails its "shards" check.

Exit status: 0 the merged run passes, 1 it fails (or is incomplete),
2 usage error, bad input, or the merged files cannot be written.

report and compare read DIR like any other run.

Example:
  vllm-acceptance merge --out out/merged out/shard-0 out/shard-1
  vllm-acceptance report --out out/merged

`,
	flags: mergeFlags,
}

func mergeFlags(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	out := fs.String("out", "", "folder for the merged metrics.json, requests.jsonl and junit.xml (required)")
	shards := fs.Int("shards", 0, "the number of shards `N` expected (default: the count the shards record)")
	wait := fs.Duration("wait", 0, "wait up to this long for every shard to write its final metrics.json (the Kubernetes merge Job)")
	waitOnly := fs.Bool("wait-only", false, "with --wait: only wait (then exit 0), merge nothing: the main Job's init container, so the main part runs after the load")
	return func(args []string, stdout, stderr io.Writer) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "vllm-acceptance merge: "+format+"\n", a...)
			return 2
		}
		if *waitOnly {
			if *wait <= 0 || fs.NArg() == 0 {
				return fail("--wait-only needs --wait DURATION and the SHARD folders to wait for")
			}
			shard.Wait(fs.Args(), *shards, time.Now().Add(*wait), 5*time.Second, func(f string, a ...any) {
				fmt.Fprintf(stderr, "vllm-acceptance merge: "+f+"\n", a...)
			})
			fmt.Fprintln(stdout, "waited for the shards; merging nothing (--wait-only)")
			return 0
		}
		switch {
		case *out == "":
			return fail("--out DIR is required; e.g. vllm-acceptance merge --out out/merged out/shard-0 out/shard-1")
		case fs.NArg() == 0:
			return fail("no SHARD given; e.g. vllm-acceptance merge --out out/merged out/shard-0 out/shard-1")
		case *shards < 0:
			return fail("--shards %d: must be at least 1", *shards)
		}
		if *wait > 0 {
			shard.Wait(fs.Args(), *shards, time.Now().Add(*wait), 5*time.Second, func(f string, a ...any) {
				fmt.Fprintf(stderr, "vllm-acceptance merge: "+f+"\n", a...)
			})
		}
		set, err := shard.Load(fs.Args(), *shards)
		if err != nil {
			return fail("%v", err)
		}
		for _, n := range set.Notes {
			fmt.Fprintf(stderr, "vllm-acceptance merge: %s\n", n)
		}
		m, err := shard.Merge(set)
		if err != nil {
			return fail("%v", err)
		}
		if err := shard.Write(*out, set, m); err != nil {
			return fail("%v", err)
		}
		if err := writeJUnit(filepath.Join(*out, "junit.xml"), shard.Events(m)); err != nil {
			return fail("%v", err)
		}
		if !m.Complete {
			fmt.Fprintf(stderr, "vllm-acceptance merge: the merged run is incomplete: %s\n", m.EndDetail)
		}
		verdict := sidecar.VerdictPass
		if !m.Passed() {
			verdict = sidecar.VerdictFail
		}
		withMain := ""
		if set.Main != nil {
			withMain = " and its main part"
		}
		fmt.Fprintf(stdout, "merged %d of %d shards%s of run %s into %s: %s\n", len(set.Shards), set.Count, withMain, m.Run.ID, *out, verdict)
		if m.Concurrency != nil {
			for _, lr := range m.Concurrency.Runs {
				overlap := ""
				if g := lr.Generator; g != nil && g.Shards > 1 {
					overlap = ", shards together " + units.Percent(g.ShardOverlap) + " of the window"
				}
				fmt.Fprintf(stdout, "  %s: %d/%d completed in %s, %.2f req/s, goodput %s, TTFT p50 %s p99 %s%s: %s\n",
					lr.Name, lr.Completed, lr.Requests, units.Seconds(lr.DurationS), lr.RequestThroughput, units.Percent(lr.GoodputRatio), units.Ms(lr.TTFTms.P50), units.Ms(lr.TTFTms.P99), overlap, lr.Verdict)
			}
		}
		if verdict != sidecar.VerdictPass {
			return 1
		}
		return 0
	}
}
