package gpu

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Energy sources, as the sidecar names them.
const (
	// EnergyCounter is NVML's total-energy counter
	// (nvmlDeviceGetTotalEnergyConsumption: millijoules since the driver
	// loaded, Volta and later), read at the window's start and end.
	EnergyCounter = "nvml_energy_counter"
	// EnergyIntegrated is NVML's power reading (nvmlDeviceGetPowerUsage)
	// sampled every interval and integrated by the trapezoid rule: the
	// fallback on cards without the counter.
	EnergyIntegrated = "power_integration"
)

// EnergyDevices is what the energy meter reads of the local GPUs: NVML
// through go-nvml on a GPU host (nvml_cgo.go), a fake in tests.
type EnergyDevices interface {
	// Count is the number of GPUs.
	Count() int
	// EnergyMJ is GPU i's total-energy counter in millijoules; ok false
	// when the card has none.
	EnergyMJ(i int) (mj uint64, ok bool)
	// PowerW is GPU i's power draw now, in watts; ok false when unreadable.
	PowerW(i int) (w float64, ok bool)
	Close() error
}

// Meter measures the energy of the local GPUs over one window (a load run,
// a capacity step): the energy counter at both ends where every GPU has
// one, else power samples integrated; average and peak power (of all GPUs
// together) from the samples either way.
type Meter struct {
	dev      EnergyDevices
	note     string
	now      func() time.Time
	interval time.Duration
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
	result   sidecar.Energy

	mu      sync.Mutex
	start   []uint64
	counter bool
	t0      time.Time
	lastT   time.Time
	lastP   float64
	have    bool
	joules  float64 // integrated
	peak    float64
	samples int
}

// NoMeter is a meter that measures nothing, for why.
func NoMeter(why string) *Meter { return &Meter{note: why, done: closed()} }

// StartMeter opens NVML and starts a meter sampling power every interval
// (default 1 s). Without NVML (no driver, a build without cgo, no GPU) the
// meter's result is unavailable, with the reason: never zero.
func StartMeter(ctx context.Context, interval time.Duration) *Meter {
	dev, err := openEnergy()
	if err != nil {
		return &Meter{note: "no local GPU: " + err.Error(), done: closed()}
	}
	return startMeter(ctx, dev, interval, time.Now)
}

func closed() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func startMeter(ctx context.Context, dev EnergyDevices, interval time.Duration, now func() time.Time) *Meter {
	if interval <= 0 {
		interval = time.Second
	}
	m := &Meter{dev: dev, now: now, interval: interval, done: make(chan struct{})}
	if dev.Count() == 0 {
		_ = dev.Close()
		m.dev, m.note = nil, "no local GPU: NVML reports no devices"
		close(m.done)
		return m
	}
	m.counter = true
	for i := range dev.Count() {
		mj, ok := dev.EnergyMJ(i)
		m.counter = m.counter && ok
		m.start = append(m.start, mj)
	}
	m.t0 = now()
	m.sample()
	ctx, m.cancel = context.WithCancel(ctx)
	go func() {
		defer close(m.done)
		wait.Every(ctx, interval, m.sample)
	}()
	return m
}

// sample reads every GPU's power and integrates the total since the last
// sample (trapezoid).
func (m *Meter) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dev == nil {
		return
	}
	t := m.now()
	total, n := 0.0, 0
	for i := range m.dev.Count() {
		if w, ok := m.dev.PowerW(i); ok {
			total += w
			n++
		}
	}
	if n == 0 {
		return
	}
	if m.have {
		m.joules += (total + m.lastP) / 2 * t.Sub(m.lastT).Seconds()
	}
	m.lastT, m.lastP, m.have = t, total, true
	m.peak = max(m.peak, total)
	m.samples++
}

// Stop ends the window and returns its energy, with joules per output
// token and per good token (tokens of requests within the SLOs) for the
// tokens given. Further calls return the same result.
func (m *Meter) Stop(outputTokens, goodTokens int64) sidecar.Energy {
	m.stopOnce.Do(func() {
		if m.cancel != nil {
			m.cancel()
		}
		<-m.done
		m.result = m.finish()
	})
	e := m.result
	e.OutputTokens, e.GoodTokens = outputTokens, goodTokens
	if e.Joules != nil {
		if outputTokens > 0 {
			v := *e.Joules / float64(outputTokens)
			e.JPerOutputToken = &v
		}
		if goodTokens > 0 {
			v := *e.Joules / float64(goodTokens)
			e.JPerGoodToken = &v
		} else {
			e.Note = join(e.Note, "no good token in the window: joules per good token unknown")
		}
	}
	return e
}

func (m *Meter) finish() sidecar.Energy {
	if m.dev == nil {
		return sidecar.Energy{Note: m.note}
	}
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() { _ = m.dev.Close() }()
	e := sidecar.Energy{GPUs: m.dev.Count(), Samples: m.samples}
	secs := m.lastT.Sub(m.t0).Seconds()
	end := m.now()
	if m.counter {
		var mj uint64
		ok := true
		for i := range m.dev.Count() {
			v, got := m.dev.EnergyMJ(i)
			if !got || v < m.start[i] {
				ok = false
				break
			}
			mj += v - m.start[i]
		}
		if ok {
			j := float64(mj) / 1000
			e.Joules, e.Source, e.Available = &j, EnergyCounter, true
			secs = end.Sub(m.t0).Seconds()
		} else {
			e.Note = "the energy counter could not be read at the window's end (or went back): power samples integrated instead"
		}
	}
	if m.samples >= 2 && m.lastT.After(m.t0) {
		j := m.joules
		e.IntegratedJoules = &j
		if e.Joules == nil {
			e.Joules, e.Source, e.Available = &j, EnergyIntegrated, true
		}
	}
	if e.Joules == nil {
		e.Note = join(e.Note, fmt.Sprintf("%d power sample(s) over the window and no energy counter: energy unknown", m.samples))
		return e
	}
	e.Seconds = secs
	if secs > 0 {
		avg := *e.Joules / secs
		e.AvgPowerW = &avg
	}
	if m.samples > 0 {
		p := m.peak
		e.PeakPowerW = &p
	}
	return e
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
