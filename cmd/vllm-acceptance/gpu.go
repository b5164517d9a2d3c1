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

var gpuCommand = command{
	name:    "gpu",
	summary: "sample the local NVIDIA GPUs through NVML and print the sidecar's gpu section as JSON",
	help: `Usage: vllm-acceptance gpu [--duration 5s] [--interval 1s]

Samples every local NVIDIA GPU (memory used/total, utilisation, temperature,
power) through NVML, then prints the metrics.json "gpu" section to stdout:
devices, samples and the vram_growth and vram_max checks. Without a local GPU
or driver it prints "available": false with the reason.
Ctrl-C ends sampling early and still prints.

Exit status: 0 printed (with or without a GPU), 1 the JSON cannot be
written, 2 usage error.

Example:
  vllm-acceptance gpu --duration 30s --interval 2s > gpu.json

`,
	noArgs: true,
	flags:  gpuFlags,
}

func gpuFlags(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int {
	duration := fs.Duration("duration", 5*time.Second, "how long to sample")
	interval := fs.Duration("interval", time.Second, "time between samples")
	return func(args []string, stdout, stderr io.Writer) int {
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
}
