package suite

import (
	"context"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
	"github.com/vllm-acceptance/vllm-acceptance/internal/load"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// energyMeter starts measuring the local GPUs' energy for one window (a
// load run, a capacity step); ACCEPTANCE_GPU_INTERVAL=0 switches it off,
// and the window's energy is then unknown with that reason.
func (r *Run) energyMeter(ctx context.Context) *gpu.Meter {
	if r.Cfg.GPUInterval <= 0 {
		return gpu.NoMeter("ACCEPTANCE_GPU_INTERVAL=0: GPU not sampled")
	}
	// Power is integrated only where the card has no energy counter; a
	// finer step than the monitor's keeps that fallback close.
	return gpu.StartMeter(ctx, min(r.Cfg.GPUInterval, 250*time.Millisecond))
}

// tokens counts a window's completion tokens: all of the completed
// requests', and those of requests within the SLOs (good).
type tokens struct {
	out, good int64
	goodReqs  int
}

func (t *tokens) add(rec *record.Record, lim load.Limits) {
	if !rec.OK() {
		return
	}
	t.out += int64(rec.CompletionTokens)
	if withinSLOs(rec, lim) {
		t.good += int64(rec.CompletionTokens)
		t.goodReqs++
	}
}

// withinSLOs is the goodput rule of load.Agg and the capacity steps: a
// completed request meeting every SLO set.
func withinSLOs(rec *record.Record, lim load.Limits) bool {
	return rec.OK() && (lim.SLOTTFTms == 0 || rec.TTFTms <= lim.SLOTTFTms) && (lim.SLOTPOTms == 0 || rec.TPOTms <= lim.SLOTPOTms)
}

// stopEnergy ends a window's meter with its tokens.
func stopEnergy(m *gpu.Meter, t tokens) *sidecar.Energy {
	e := m.Stop(t.out, t.good)
	e.GoodRequests = t.goodReqs
	return &e
}

// cost is the cost per million good tokens at the capacity found
// (ACCEPTANCE_GPU_HOUR_PRICE), nil without a price.
func (r *CapacitySearch) cost(c sidecar.Capacity) *sidecar.Cost {
	if r.Cfg.GPUHourPrice <= 0 {
		return nil
	}
	gpus, src := r.Cfg.GPUCount, "ACCEPTANCE_GPU_COUNT"
	if gpus <= 0 {
		gpus, src = 0, ""
		if devs, err := gpu.Inventory(); err == nil && len(devs) > 0 {
			gpus, src = len(devs), "NVML"
		} else if e := r.ExpectedConfig.declared; e != nil && e.GPU != nil && e.GPU.Count != nil {
			gpus, src = *e.GPU.Count, "expected config"
		}
	}
	return Cost(c, r.Cfg.GPUHourPrice, gpus, src)
}

// Cost prices a capacity result: price × GPUs per hour over the good
// tokens per hour of the passing step at MaxRatePerS. The step's good
// tokens per second are its goodput (rate × goodput ratio, as
// CapacityStep.Goodput) times the mean completion tokens of its good
// requests.
func Cost(c sidecar.Capacity, price float64, gpus int, gpusSource string) *sidecar.Cost {
	out := &sidecar.Cost{GPUHourPrice: price, GPUs: gpus, GPUsSource: gpusSource, RatePerS: c.MaxRatePerS}
	var step *sidecar.CapacityStep
	for i := range c.Steps {
		if s := &c.Steps[i]; s.RatePerS == c.MaxRatePerS && s.Outcome == "pass" {
			step = s
		}
	}
	switch {
	case c.MaxRatePerS <= 0 || step == nil:
		out.Note = "no step met the SLOs: no operating point to price"
		return out
	case step.Energy == nil || step.Energy.GoodTokens <= 0 || step.Energy.GoodRequests <= 0:
		out.Note = "the passing step recorded no good tokens"
		return out
	}
	// The energy window's tally (warm-up included): tokens per good
	// request over the same requests.
	perReq := float64(step.Energy.GoodTokens) / float64(max(step.Energy.GoodRequests, 1))
	tps := step.Goodput * perReq
	out.GoodTokensPerS = &tps
	if gpus <= 0 {
		out.Note = "how many GPUs serve the model is unknown: set ACCEPTANCE_GPU_COUNT"
		return out
	}
	if tps <= 0 {
		out.Note = "no good tokens per second at the capacity"
		return out
	}
	v := price * float64(gpus) / (tps * 3600) * 1e6
	out.PerMillionGoodTokens = &v
	return out
}
