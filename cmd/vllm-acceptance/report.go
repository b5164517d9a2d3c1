package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var reportCommand = command{
	name:    "report",
	summary: "write report.md, report.html and SVG charts from metrics.json and requests.jsonl",
	help: `Usage: vllm-acceptance report [--out DIR] [--metrics FILE] [--requests FILE] [--baseline PATH [--tolerances FILE]]

Writes DIR/report.md (the summary first: the verdict per area and what
failed with its remedy; then tool calling by category, stability,
concurrency, conversation, capacity, tool calling under load, the roofline,
GPU, /metrics and the run's details), the same report as one self-contained
DIR/report.html (charts inline), and the charts as SVG files: per stability
run stability-RUN-ttft.svg and stability-RUN-latency-cdf.svg, per concurrency run
concurrency-RUN-latency-cdf.svg, capacity.svg (goodput against offered
rate), vram.svg and kv_cache.svg (each only when the run has its data).
When GITHUB_STEP_SUMMARY is set, a short summary is appended to it, linking
to the run's artifacts on GitHub Actions.

With --baseline, the summary also says how the run compares with the
baseline: the promotion gate's verdict (pass, regressed, inconclusive or
refused, as vllm-acceptance compare BASELINE RUN decides it, with the same
tolerances), one line on why, and the figures that regressed, could not be
decided or improved (the first 10; compare lists every figure). The step
summary gets the verdict line only. The baseline does not change the exit
status: the promotion gate is vllm-acceptance compare.

Exit status: 0 written, 1 an output cannot be written (the --out folder,
report.md, report.html or a chart), 2 usage error or an input (the
baseline included) cannot be read.

Example:
  go test -tags live ./acceptance && vllm-acceptance report --out out
  vllm-acceptance report --out out --baseline baselines/runs

`,
	noArgs: true,
	flags:  reportFlags,
}

func reportFlags(fset *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	defOut := os.Getenv("ACCEPTANCE_OUT")
	if defOut == "" {
		defOut = "out"
	}
	out := fset.String("out", defOut, "folder to write report.md and the charts to (default: $ACCEPTANCE_OUT, else out)")
	metrics := fset.String("metrics", "", "metrics.json to read (default: OUT/metrics.json)")
	requests := fset.String("requests", "", "requests.jsonl to read (default: OUT/requests.jsonl; charts from it are skipped when absent)")
	baseline := fset.String("baseline", "", "compare the run with this baseline (a metrics.json, a run folder or a folder of run folders) as compare does, and show what moved in the summary")
	tolFile := fset.String("tolerances", "", "with --baseline: YAML tolerances over the defaults, as compare's --tolerances")
	return func(args []string, stdout, stderr io.Writer) int {
		if *metrics == "" {
			*metrics = filepath.Join(*out, "metrics.json")
		}
		if *requests == "" {
			*requests = filepath.Join(*out, "requests.jsonl")
		}
		// Exit codes (docs/outputs.md): 2 when an input cannot be read, 1 when an
		// output cannot be written.
		m, err := readMetrics(*metrics)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 2
		}
		var changes *report.Changes
		if *baseline != "" {
			c, err := baselineFor(*baseline, *tolFile, *metrics, m)
			if err != nil {
				fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
				return 2
			}
			changes = c
		} else if *tolFile != "" {
			fmt.Fprintf(stderr, "vllm-acceptance report: --tolerances needs --baseline; see vllm-acceptance report --help\n")
			return 2
		}
		opt := report.Options{Changes: changes}
		recs, err := record.ReadFile(*requests)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(stderr, "vllm-acceptance report: no %s; the per-request charts are skipped\n", *requests)
		case err != nil:
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 2
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 1
		}
		mdPath := filepath.Join(*out, "report.md")
		if err := writeFile(mdPath, func(w io.Writer) error { return report.Markdown(w, m, recs, opt) }); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 1
		}
		htmlPath := filepath.Join(*out, "report.html")
		if err := writeFile(htmlPath, func(w io.Writer) error { return report.HTML(w, m, recs, opt) }); err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 1
		}
		charts, err := report.Charts(*out, m, recs)
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s, %s", mdPath, filepath.Base(htmlPath))
		for _, c := range charts {
			fmt.Fprintf(stdout, ", %s", filepath.Base(c))
		}
		fmt.Fprintln(stdout)
		if changes != nil {
			fmt.Fprintf(stdout, "against the baseline %s: %s (the report's exit status does not depend on it)\n", changes.Baseline, changes.Verdict)
		}
		if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
			if err := appendTo(p, func(w io.Writer) error { return report.Summary(w, m, artifactsURL(), opt) }); err != nil {
				// The report itself is written; a summary that cannot be is noted.
				fmt.Fprintf(stderr, "vllm-acceptance report: GITHUB_STEP_SUMMARY: %v\n", err)
			}
		}
		return 0
	}
}

// baselineFor compares the report's run (read from metricsPath) with the
// baseline as `vllm-acceptance compare BASELINE RUN` would, and returns
// what the report shows of it. The error, one line, names what could not
// be read and what to give instead.
func baselineFor(baseline, tolFile, metricsPath string, m *sidecar.Metrics) (*report.Changes, error) {
	tol, err := loadTolerances(tolFile)
	if err != nil {
		return nil, fmt.Errorf("--tolerances: %v", err)
	}
	base, err := sidecar.ReadRuns(baseline)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--baseline %s: no such file or folder; give a baseline run's metrics.json, its run folder or a folder of run folders", baseline)
		}
		if strings.Contains(err.Error(), baseline) {
			return nil, fmt.Errorf("--baseline: %s", oneLine(err)) // it names the path
		}
		return nil, fmt.Errorf("--baseline %s: %s", baseline, oneLine(err))
	}
	name := filepath.Base(filepath.Dir(metricsPath))
	if b := filepath.Base(metricsPath); b != "metrics.json" {
		name = strings.TrimSuffix(b, ".json")
	}
	res := compare.Compare(base, []sidecar.Run{{Name: name, Path: metricsPath, Metrics: m}}, tol, compare.Options{})
	more := fmt.Sprintf("`vllm-acceptance compare %s %s`", baseline, metricsPath)
	return gateChanges(res, baseline, metricsPath, more), nil
}

// appendTo appends what r writes to the file at path, creating it.
func appendTo(path string, r func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := r(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readMetrics reads a metrics.json, or the one inside a folder, through
// the sidecar's own reader (the one compare and rank use).
func readMetrics(path string) (*sidecar.Metrics, error) { return sidecar.Read(path) }

func writeFile(path string, r func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// artifactsURL is where GitHub Actions lists this run's artifacts, from
// the variables every job has; "" elsewhere.
func artifactsURL() string {
	server, repo, id := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID")
	if server == "" || repo == "" || id == "" {
		return ""
	}
	return server + "/" + repo + "/actions/runs/" + id + "#artifacts"
}
