// Command energycheck checks NVML's total-energy counter against power
// samples integrated over the same window, through the suite's own meter
// (internal/gpu.Meter), on a GPU host: an idle window, then a loaded one
// while a command (a PyTorch matmul loop) keeps the GPUs busy. It prints
// one JSON line per window and exits 1 when the two disagree by more than
// -tolerance (docs/gpu-host.md records the figures).
//
//	CGO_ENABLED=1 go build -o bin/energycheck ./tools/energycheck
//	bin/energycheck -idle 15s -loaded 60s -load 'python3 -c "..."'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
)

type window struct {
	Name          string   `json:"window"`
	Cards         []string `json:"cards"`
	Source        string   `json:"source"`
	Seconds       float64  `json:"seconds"`
	Samples       int      `json:"samples"`
	CounterJ      *float64 `json:"counter_joules"`
	IntegratedJ   *float64 `json:"integrated_joules"`
	AvgPowerW     *float64 `json:"avg_power_w"`
	PeakPowerW    *float64 `json:"peak_power_w"`
	RelDifference *float64 `json:"relative_difference"`
	Note          string   `json:"note,omitempty"`
}

func main() {
	idle := flag.Duration("idle", 15*time.Second, "idle window")
	loaded := flag.Duration("loaded", 60*time.Second, "loaded window")
	warm := flag.Duration("warm", 10*time.Second, "wait after starting the load before the loaded window")
	interval := flag.Duration("interval", 100*time.Millisecond, "power sampling interval")
	load := flag.String("load", "", "shell command that loads the GPUs during the loaded window (killed after it)")
	tol := flag.Float64("tolerance", 0.05, "largest relative difference between counter and integral")
	flag.Parse()

	devs, err := gpu.Inventory()
	if err != nil {
		fmt.Fprintln(os.Stderr, "energycheck:", err)
		os.Exit(2)
	}
	var cards []string
	for _, d := range devs {
		cards = append(cards, d.Name)
	}
	ok := true
	measure := func(name string, d time.Duration) {
		m := gpu.StartMeter(context.Background(), *interval)
		time.Sleep(d)
		e := m.Stop(0, 0)
		w := window{Name: name, Cards: cards, Source: e.Source, Seconds: e.Seconds, Samples: e.Samples,
			CounterJ: e.Joules, IntegratedJ: e.IntegratedJoules, AvgPowerW: e.AvgPowerW, PeakPowerW: e.PeakPowerW, Note: e.Note}
		if e.Source != gpu.EnergyCounter {
			w.CounterJ = nil
			ok = false
		}
		if w.CounterJ != nil && w.IntegratedJ != nil && *w.CounterJ > 0 {
			r := (*w.IntegratedJ - *w.CounterJ) / *w.CounterJ
			w.RelDifference = &r
			ok = ok && math.Abs(r) <= *tol
		}
		b, _ := json.Marshal(w)
		fmt.Println(string(b))
	}
	measure("idle", *idle)
	if *load != "" {
		cmd := exec.Command("sh", "-c", *load)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "energycheck: load:", err)
			os.Exit(2)
		}
		time.Sleep(*warm)
		measure("loaded", *loaded)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	if !ok {
		fmt.Fprintf(os.Stderr, "energycheck: counter and integrated power differ by more than %.0f %% (or no counter)\n", *tol*100)
		os.Exit(1)
	}
}
