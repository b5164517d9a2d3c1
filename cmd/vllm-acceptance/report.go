package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/report"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func init() {
	register("report", command{
		summary: "write report.md, report.html and SVG charts from metrics.json and requests.jsonl",
		run:     runReport,
	})
}

func runReport(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("report", flag.ContinueOnError)
	fset.SetOutput(stderr)
	defOut := os.Getenv("ACCEPTANCE_OUT")
	if defOut == "" {
		defOut = "out"
	}
	out := fset.String("out", defOut, "folder to write report.md and the charts to (default: $ACCEPTANCE_OUT, else out)")
	metrics := fset.String("metrics", "", "metrics.json to read (default: OUT/metrics.json)")
	requests := fset.String("requests", "", "requests.jsonl to read (default: OUT/requests.jsonl; charts from it are skipped when absent)")
	fset.Usage = func() {}
	printUsage := func(w io.Writer) {
		fset.SetOutput(w)
		fmt.Fprint(w, `Usage: vllm-acceptance report [--out DIR] [--metrics FILE] [--requests FILE]

Writes DIR/report.md (the summary first: the verdict per area and what
failed with its remedy; then tool calling by category, stability,
concurrency, conversation, GPU, /metrics and the run's details), the same
report as one self-contained DIR/report.html (charts inline), and the charts
as SVG files: per stability run stability-RUN-ttft.svg and
stability-RUN-latency-cdf.svg, per load run concurrency-RUN-latency-cdf.svg,
vram.svg and kv_cache.svg (each only when the run has its data). When
GITHUB_STEP_SUMMARY is set, a short summary is appended to it, linking to
the run's artifacts on GitHub Actions. Exits 0 unless an input cannot be
read.

Example:
  go test -tags live ./acceptance && vllm-acceptance report --out out

Flags:
`)
		fset.PrintDefaults()
	}
	if code, stop := parseNoArgs(fset, args, printUsage, stdout, stderr); stop {
		return code
	}
	if *metrics == "" {
		*metrics = filepath.Join(*out, "metrics.json")
	}
	if *requests == "" {
		*requests = filepath.Join(*out, "requests.jsonl")
	}
	// Exit codes (CONTRACT): 2 when an input cannot be read, 1 when an
	// output cannot be written.
	m, err := readMetrics(*metrics)
	if err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
		return 2
	}
	var recs []record.Record
	fh, err := os.Open(*requests)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stderr, "vllm-acceptance report: no %s; the per-request charts are skipped\n", *requests)
	case err != nil:
		fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
		return 2
	default:
		recs, err = report.ReadRecords(fh)
		fh.Close()
		if err != nil {
			fmt.Fprintf(stderr, "vllm-acceptance report: %s: %v\n", *requests, err)
			return 2
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
		return 1
	}
	mdPath := filepath.Join(*out, "report.md")
	if err := writeFile(mdPath, report.MarkdownReporter(m, recs)); err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance report: %v\n", err)
		return 1
	}
	htmlPath := filepath.Join(*out, "report.html")
	if err := writeFile(htmlPath, report.HTMLReporter(m, recs, report.Options{})); err != nil {
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
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			err = report.Summary(f, m, artifactsURL())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			// The report itself is written; a summary that cannot be is noted.
			fmt.Fprintf(stderr, "vllm-acceptance report: GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
	return 0
}

// readMetrics reads a metrics.json, or the one inside a folder, through
// the sidecar's own reader (the one compare and rank use).
func readMetrics(path string) (*sidecar.Metrics, error) { return sidecar.ReadOne(path) }

func writeFile(path string, r report.Reporter) error {
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
