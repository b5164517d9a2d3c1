// Package gpu samples the local NVIDIA GPUs through NVML while a run goes
// on, and judges VRAM growth and headroom from what it saw.
//
// The suite often runs on a machine other than the vLLM server; then there
// is no local GPU, the monitor records Available=false with a note, and its
// checks are skipped, never failed.
package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/series"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Config of a Monitor. Zero fields take the defaults noted.
type Config struct {
	// Interval between samples. Default 1s.
	Interval time.Duration
	// MaxSamples kept per device in the sidecar's series. Beyond it the
	// series is thinned evenly (every other sample dropped, then every
	// other incoming one skipped, and so on); device summaries and checks
	// still see every sample. Default 3600 (an hour at 1 s).
	MaxSamples int
	// GrowthThreshold is the largest allowed growth of used memory over the
	// run, last sample minus first, as a fraction of the device's total.
	// Default 0.05.
	GrowthThreshold float64
	// MinGrowthSamples is how many samples a device needs before
	// vram_growth is judged; shorter runs skip it. Default 3.
	MinGrowthSamples int
	// MaxUsedFraction is the largest allowed used/total at any sample: the
	// seed report's alert threshold. Default 0.95.
	MaxUsedFraction float64
}

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.MaxSamples <= 0 {
		c.MaxSamples = 3600
	}
	if c.MaxSamples < 2 {
		c.MaxSamples = 2
	}
	if c.GrowthThreshold <= 0 {
		c.GrowthThreshold = 0.05
	}
	if c.MinGrowthSamples <= 0 {
		c.MinGrowthSamples = 3
	}
	if c.MaxUsedFraction <= 0 {
		c.MaxUsedFraction = 0.95
	}
	return c
}

// device is what the reader knows of one GPU before sampling.
type device struct {
	Index       int
	Name        string
	UUID        string
	MemTotalMiB float64
}

// reading is one sample of one device.
type reading struct {
	Index      int
	MemUsedMiB float64
	UtilPct    float64
	TempC      float64
	PowerW     float64
}

// reader hides NVML so the Monitor can be tested without a GPU.
type reader interface {
	Devices() []device
	// Sample reads every device. It may return readings together with an
	// error when some fields could not be read (they are then zero).
	Sample() ([]reading, error)
	Close() error
}

// Monitor samples the local GPUs in the background from Start until Stop.
type Monitor struct {
	cfg    Config
	now    func() time.Time
	cancel context.CancelFunc
	done   chan struct{}

	stopOnce sync.Once
	mu       sync.Mutex
	r        reader
	note     string
	devs     []device
	track    map[int]*track
	errs     int
	lastErr  error
	lastAt   time.Time
	result   sidecar.GPU
}

// track accumulates one device's samples.
type track struct {
	n                 int
	first, last, max  float64
	utilSum           float64
	tempMax, powerMax float64
	series            series.Series[sidecar.GPUSample]
	lastSample        sidecar.GPUSample
}

// Start begins sampling every local GPU each interval (Config defaults for
// the rest). It never fails: without NVML or a GPU the Monitor records why
// and Stop returns Available=false.
func Start(ctx context.Context, interval time.Duration) *Monitor {
	return Config{Interval: interval}.Start(ctx)
}

// Start begins sampling with this configuration; see the package Start.
func (c Config) Start(ctx context.Context) *Monitor {
	return start(ctx, c, openNVML, time.Now)
}

func start(ctx context.Context, cfg Config, open func() (reader, error), now func() time.Time) *Monitor {
	m := &Monitor{cfg: cfg.withDefaults(), now: now, track: map[int]*track{}, done: make(chan struct{})}
	r, err := open()
	if err != nil {
		m.note = "no local GPU: " + err.Error()
		close(m.done)
		return m
	}
	m.devs = r.Devices()
	if len(m.devs) == 0 {
		_ = r.Close()
		m.note = "no local GPU: NVML reports no devices"
		close(m.done)
		return m
	}
	m.r = r
	for _, d := range m.devs {
		m.track[d.Index] = &track{series: series.Series[sidecar.GPUSample]{Max: m.cfg.MaxSamples}}
	}
	// The first sample is taken now, so a run shorter than one interval
	// still has a "before".
	m.sample()
	ctx, m.cancel = context.WithCancel(ctx)
	go m.loop(ctx)
	return m
}

func (m *Monitor) loop(ctx context.Context) {
	defer close(m.done)
	wait.Every(ctx, m.cfg.Interval, m.sample)
}

func (m *Monitor) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.r == nil {
		return
	}
	t := m.now()
	m.lastAt = t
	rs, err := m.r.Sample()
	if err != nil {
		m.errs++
		m.lastErr = err
	}
	for _, r := range rs {
		tr := m.track[r.Index]
		if tr == nil {
			continue
		}
		tr.add(sidecar.GPUSample{T: t, Index: r.Index, MemUsedMiB: r.MemUsedMiB, UtilPct: r.UtilPct, TempC: r.TempC, PowerW: r.PowerW}, m.cfg.MaxSamples)
	}
}

func (tr *track) add(s sidecar.GPUSample, maxSamples int) {
	if tr.n == 0 {
		tr.first, tr.max = s.MemUsedMiB, s.MemUsedMiB
	}
	tr.n++
	tr.last = s.MemUsedMiB
	tr.max = max(tr.max, s.MemUsedMiB)
	tr.utilSum += s.UtilPct
	tr.tempMax = max(tr.tempMax, s.TempC)
	tr.powerMax = max(tr.powerMax, s.PowerW)
	tr.lastSample = s

	tr.series.Add(s) // thinned evenly once full
}

// finalSeries is the kept series, ending with the run's last sample so the
// chart ends where the run did.
func (tr *track) finalSeries(maxSamples int) []sidecar.GPUSample {
	out := tr.series.Items()
	if len(out) == 0 || !out[len(out)-1].T.Equal(tr.lastSample.T) {
		if len(out) >= maxSamples {
			out[len(out)-1] = tr.lastSample
		} else {
			out = append(out, tr.lastSample)
		}
	}
	return out
}

// Stop takes a last sample, ends sampling and returns what was seen with
// its checks. Further calls return the same result.
func (m *Monitor) Stop() sidecar.GPU {
	m.stopOnce.Do(func() {
		if m.cancel != nil {
			m.cancel()
		}
		<-m.done
		// A last sample marks where the run ended, unless a tick just took
		// one (it would only repeat it).
		m.mu.Lock()
		fresh := !m.lastAt.IsZero() && m.now().Sub(m.lastAt) < m.cfg.Interval/2
		m.mu.Unlock()
		if !fresh {
			m.sample()
		}

		m.mu.Lock()
		defer m.mu.Unlock()
		if m.r != nil {
			if err := m.r.Close(); err != nil && m.lastErr == nil {
				m.lastErr = fmt.Errorf("close NVML: %w", err)
			}
			m.r = nil
		}
		m.result = m.summarise()
	})
	return m.result
}

func (m *Monitor) summarise() sidecar.GPU {
	if len(m.devs) == 0 {
		return sidecar.GPU{
			Available: false,
			Note:      m.note,
			Checks: []sidecar.Check{
				skipped(sidecar.CheckVRAMGrowth, m.cfg.GrowthThreshold, m.note),
				skipped(sidecar.CheckVRAMMax, m.cfg.MaxUsedFraction, m.note),
			},
		}
	}
	g := sidecar.GPU{Available: true}
	if m.errs > 0 {
		g.Note = fmt.Sprintf("%d sample(s) partly failed; last error: %v", m.errs, m.lastErr)
	} else if m.lastErr != nil {
		g.Note = m.lastErr.Error()
	}

	growth := sidecar.Check{Name: sidecar.CheckVRAMGrowth, Passed: true, Threshold: m.cfg.GrowthThreshold}
	maxUsed := sidecar.Check{Name: sidecar.CheckVRAMMax, Passed: true, Threshold: m.cfg.MaxUsedFraction}
	minN := -1
	judgedGrowth, judgedMax := false, false
	for _, d := range m.devs {
		tr := m.track[d.Index]
		gd := sidecar.GPUDevice{Index: d.Index, Name: d.Name, UUID: d.UUID, MemTotalMiB: d.MemTotalMiB}
		if tr.n > 0 {
			gd.MemUsedFirstMiB, gd.MemUsedLastMiB, gd.MemUsedMaxMiB = tr.first, tr.last, tr.max
			gd.UtilMeanPct = tr.utilSum / float64(tr.n)
			gd.TempMaxC, gd.PowerMaxW = tr.tempMax, tr.powerMax
			g.Samples = append(g.Samples, tr.finalSeries(m.cfg.MaxSamples)...)
		}
		g.Devices = append(g.Devices, gd)
		if minN < 0 || tr.n < minN {
			minN = tr.n
		}
		if d.MemTotalMiB <= 0 || tr.n == 0 {
			continue
		}
		if frac := tr.max / d.MemTotalMiB; !judgedMax || frac > maxUsed.Value {
			judgedMax = true
			maxUsed.Value = frac
			maxUsed.Detail = fmt.Sprintf("GPU %d (%s): max used %.0f of %.0f MiB", d.Index, d.Name, tr.max, d.MemTotalMiB)
		}
		if tr.n < m.cfg.MinGrowthSamples {
			continue
		}
		if frac := (tr.last - tr.first) / d.MemTotalMiB; !judgedGrowth || frac > growth.Value {
			judgedGrowth = true
			growth.Value = frac
			growth.Detail = fmt.Sprintf("GPU %d (%s): used %.0f → %.0f MiB of %.0f over %d samples", d.Index, d.Name, tr.first, tr.last, d.MemTotalMiB, tr.n)
		}
	}
	if judgedGrowth {
		growth.Passed = growth.Value <= growth.Threshold
	} else {
		growth.Skipped = true
		growth.Detail = fmt.Sprintf("run too short: %d sample(s), need %d", max(minN, 0), m.cfg.MinGrowthSamples)
	}
	if judgedMax {
		maxUsed.Passed = maxUsed.Value <= maxUsed.Threshold
	} else {
		maxUsed.Skipped = true
		maxUsed.Detail = "no memory reading"
	}
	g.Checks = []sidecar.Check{growth, maxUsed}
	return g
}

func skipped(name string, threshold float64, why string) sidecar.Check {
	return sidecar.Check{Name: name, Passed: true, Skipped: true, Threshold: threshold, Detail: why}
}

// errNoCgo is what a build without cgo reports; NVML needs cgo.
var errNoCgo = errors.New("built without cgo")
