package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var compareCommand = command{
	name:    "compare",
	summary: "promotion gate: compare a candidate's runs with a baseline's (pass / regressed / inconclusive)",
	help: `Usage: vllm-acceptance compare [--tolerances FILE] [--force] [--json FILE] [--md FILE] [--summary FILE] BASELINE CANDIDATE

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

--summary appends the verdict in one paragraph, for a CI step summary
(GITHUB_STEP_SUMMARY): the figures that regressed, or why the runs were
refused or what would settle an inconclusive verdict, and where the
whole table (--md) is.

Exit status: 0 pass, 1 regressed, 2 usage error or unreadable input, 3
refused (the reasons are printed), 4 inconclusive (the advice says how
many runs would likely settle it).

Example:
  vllm-acceptance compare --json out/compare.json baselines/runs out/runs

`,
	flags: compareFlags,
}

// Exit codes of compare.
const (
	exitRegressed    = 1
	exitUsage        = 2
	exitRefused      = 3
	exitInconclusive = 4
)

func compareFlags(fset *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	tolFile := fset.String("tolerances", "", "YAML tolerances over the defaults (tolerances/default.yaml has every key)")
	force := fset.Bool("force", false, "compare runs that do not match (model, target kind, schema, knobs, incomplete); the reasons are still printed")
	jsonOut := fset.String("json", "", "also write the result as JSON to this file")
	mdOut := fset.String("md", "", "also write the Markdown table to this file")
	sumOut := fset.String("summary", "", "also append a short paragraph (the verdict, why, where every figure is) to this file, e.g. \"$GITHUB_STEP_SUMMARY\"")
	return func(args []string, stdout, stderr io.Writer) int {
		if fset.NArg() != 2 {
			fmt.Fprintf(stderr, "vllm-acceptance compare: want BASELINE and CANDIDATE, got %d argument(s); e.g. vllm-acceptance compare baselines/metrics.json out\n", fset.NArg())
			return exitUsage
		}
		tol, err := loadTolerances(*tolFile)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance compare: %v\n", err)
			return exitUsage
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
		if *sumOut != "" {
			more := ""
			if *mdOut != "" {
				more = filepath.Base(*mdOut)
			}
			c := gateChanges(res, fset.Arg(0), fset.Arg(1), more)
			if err := appendTo(*sumOut, func(w io.Writer) error { return report.GateSummary(w, c, artifactsURL()) }); err != nil {
				fmt.Fprintf(stderr, "vllm-acceptance compare: --summary: %v\n", err)
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
}

// loadTolerances is the default tolerances, overridden by the YAML file at
// path when one is given (compare's and report's --tolerances).
func loadTolerances(path string) (compare.Tolerances, error) {
	if path == "" {
		return compare.DefaultTolerances(), nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return compare.Tolerances{}, err
	}
	defer fh.Close()
	tol, err := compare.LoadTolerances(fh)
	if err != nil {
		return compare.Tolerances{}, fmt.Errorf("%s: %s", path, oneLine(err))
	}
	return tol, nil
}

// oneLine keeps an error on one line, as every CLI error is.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
