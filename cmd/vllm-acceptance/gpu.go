package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
)

func init() {
	register("gpu", command{
		summary: "sample the local NVIDIA GPUs through NVML and print the sidecar's gpu section as JSON",
		run:     runGPU,
	})
}

func runGPU(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gpu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 5*time.Second, "how long to sample")
	interval := fs.Duration("interval", time.Second, "time between samples")
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, `Usage: vllm-acceptance gpu [--duration 5s] [--interval 1s]

Samples every local NVIDIA GPU (memory used/total, utilisation, temperature,
power) through NVML, then prints the metrics.json "gpu" section to stdout:
devices, samples and the vram_growth and vram_max checks. Without a local GPU
or driver it prints "available": false with the reason, and exits 0.
Ctrl-C ends sampling early and still prints.

Flags:
`)
		fs.PrintDefaults()
	}
	// flag prints a parse error itself; the full text goes to stdout on
	// --help only.
	fs.Usage = func() {}
	if code, stop := parseNoArgs(fs, args, printUsage, stdout, stderr); stop {
		return code
	}
	if *duration <= 0 || *interval <= 0 {
		fmt.Fprintln(stderr, "vllm-acceptance gpu: --duration and --interval must be positive, e.g. --duration 30s --interval 1s")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := gpu.Start(ctx, *interval)
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	g := m.Stop()

	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		fmt.Fprintf(stderr, "vllm-acceptance gpu: write JSON: %v\n", err)
		return 1
	}
	return 0
}
