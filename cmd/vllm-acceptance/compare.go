package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func init() {
	register("compare", command{
		summary: "promotion gate: compare a candidate's runs with a baseline's (pass / regressed / inconclusive)",
		run:     runCompare,
	})
}

// Exit codes of compare.
const (
	exitRegressed    = 1
	exitUsage        = 2
	exitRefused      = 3
	exitInconclusive = 4
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("compare", flag.ContinueOnError)
	fset.SetOutput(stderr)
	tolFile := fset.String("tolerances", "", "YAML tolerances over the defaults (tolerances/default.yaml has every key)")
	force := fset.Bool("force", false, "compare runs that do not match (model, target kind, schema, knobs, incomplete); the reasons are still printed")
	jsonOut := fset.String("json", "", "also write the result as JSON to this file")
	mdOut := fset.String("md", "", "also write the Markdown table to this file")
	fset.Usage = func() {}
	printUsage := func(w io.Writer) {
		fset.SetOutput(w)
		fmt.Fprint(w, `Usage: vllm-acceptance compare [--tolerances FILE] [--force] [--json FILE] [--md FILE] BASELINE CANDIDATE

Compares the candidate with the baseline, figure by figure, each with a
90 % confidence interval against the tolerances (tolerances/default.yaml,
or --tolerances), and prints the table as Markdown: a figure regresses
when its whole interval lies beyond the tolerance, passes when it lies
within, and is inconclusive otherwise. docs/statistics.md states every
rule; docs/reference.md lists the tolerances.

BASELINE and CANDIDATE are each a metrics.json, a run folder holding one,
or a folder of run folders (several runs of one configuration, e.g.
ACCEPTANCE_RUNS=3 writes out/runs/1..3). With several runs the intervals
take runs as the unit and so include run-to-run variation; with one run per
side they cover per-request noise only, and the output says so.

Sides whose runs disagree among themselves, or that differ in model, target
kind, schema or suite version, fixtures or knobs, or hold an incomplete run,
are refused unless --force.

Exit status: 0 pass, 1 regressed, 2 usage error or unreadable input, 3
refused (the reasons are printed), 4 inconclusive (the advice says how
many runs would likely settle it).

Example:
  vllm-acceptance compare --json out/compare.json baselines/runs out/runs

Flags:
`)
		fset.PrintDefaults()
	}
	if code, stop := parseFlags(fset, args, printUsage, stdout, stderr); stop {
		return code // 0 for --help, exitUsage for a bad flag
	}
	if fset.NArg() != 2 {
		fmt.Fprintf(stderr, "vllm-acceptance compare: want BASELINE and CANDIDATE, got %d argument(s); e.g. vllm-acceptance compare baselines/metrics.json out\n", fset.NArg())
		return exitUsage
	}
	tol := compare.DefaultTolerances()
	if *tolFile != "" {
		fh, err := os.Open(*tolFile)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance compare: %v\n", err)
			return exitUsage
		}
		tol, err = compare.LoadTolerances(fh)
		fh.Close()
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance compare: %s: %v\n", *tolFile, err)
			return exitUsage
		}
	}
	base, err := sidecar.ReadRuns(fset.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance compare: baseline: %s\n", oneLine(err))
		return exitUsage
	}
	cand, err := sidecar.ReadRuns(fset.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance compare: candidate: %s\n", oneLine(err))
		return exitUsage
	}
	res := compare.Compare(base, cand, tol, compare.Options{Force: *force})

	var md bytes.Buffer
	if err := compare.WriteMarkdown(&md, res); err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance compare: %v\n", err)
		return exitUsage
	}
	stdout.Write(md.Bytes())
	if *mdOut != "" {
		if err := os.WriteFile(*mdOut, md.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance compare: %v\n", err)
			return exitUsage
		}
	}
	if *jsonOut != "" {
		var js bytes.Buffer
		_ = compare.WriteJSON(&js, res)
		if err := os.WriteFile(*jsonOut, js.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance compare: %v\n", err)
			return exitUsage
		}
	}
	switch res.Verdict {
	case compare.VerdictRefused:
		fmt.Fprintf(stderr, "vllm-acceptance compare: refused: %s; rerun one side so they match, or pass --force\n", strings.Join(res.Refusals, "; "))
		return exitRefused
	case compare.VerdictRegressed:
		fmt.Fprintf(stderr, "vllm-acceptance compare: %d figure(s) regressed beyond tolerance\n", res.Regressed)
		return exitRegressed
	case compare.VerdictInconclusive:
		fmt.Fprintf(stderr, "vllm-acceptance compare: %s\n", res.Advice)
		return exitInconclusive
	}
	return 0
}

// oneLine keeps an error on one line, as every CLI error is.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
