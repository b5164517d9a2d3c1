package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
)

func init() {
	register("compare", command{
		summary: "promotion gate: compare a candidate run's metrics.json with a baseline's",
		run:     runCompare,
	})
}

// Exit codes of compare.
const (
	exitRegressed = 1
	exitUsage     = 2
	exitRefused   = 3
)

func runCompare(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("compare", flag.ContinueOnError)
	fset.SetOutput(stderr)
	tolFile := fset.String("tolerances", "", "YAML tolerances over the defaults (profiles/gate.yaml has every key)")
	force := fset.Bool("force", false, "compare runs that do not match (model, target kind, schema, knobs, incomplete); the reasons are still printed")
	jsonOut := fset.String("json", "", "also write the result as JSON to this file")
	mdOut := fset.String("md", "", "also write the Markdown table to this file")
	fset.Usage = func() {}
	printUsage := func(w io.Writer) {
		fset.SetOutput(w)
		fmt.Fprint(w, `Usage: vllm-acceptance compare [--tolerances FILE] [--force] [--json FILE] [--md FILE] BASELINE CANDIDATE

Compares the candidate run with the baseline, figure by figure, within the
tolerances of profiles/gate.yaml (or --tolerances), and prints the table as
Markdown. BASELINE and CANDIDATE are each a metrics.json or a folder holding
one. Runs that do not match (other model, simulator against a real server,
another schema_version, an incomplete run, other tool-call repeats/modes or
stability requests) are refused unless --force.

Exit status: 0 no regression, 1 regression, 2 usage error or unreadable
input, 3 refused (the reasons are printed).

Example:
  vllm-acceptance compare --json out/compare.json baselines/metrics.json out

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
	base, err := readMetrics(fset.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance compare: baseline: %v\n", err)
		return exitUsage
	}
	cand, err := readMetrics(fset.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance compare: candidate: %v\n", err)
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
	}
	return 0
}
