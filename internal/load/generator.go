package load

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/stats"
	"github.com/vllm-acceptance/vllm-acceptance/internal/units"
)

// Thresholds of the load_generator check. They come from the harness's
// measured overhead in bench/results.md (make bench, 2 shared cores):
// the client's own TTFT error is 0.06 ms at p50 and 0.34 ms at p99 with
// one stream, 3.2 ms p99 at 16 streams, 4.6 ms at 64 and 17.6 ms at 256
// streams, where even a bare line reader (the control) reaches 5.6 ms: the
// machine's floor. A 16-core GPU host stays under 1 ms at p99 with 256
// streams.
//
//   - LagFloor, 25 ms: above the worst harness error measured anywhere
//     (17.6 ms), so a lag below it is the harness's ordinary noise and
//     never fails the check.
//   - LagFraction, 0.10: a dispatch late by L adds L to every latency
//     counted from the schedule (open loop) and takes load off the server
//     (closed loop). Up to a tenth of the run's typical first-token time
//     (its TTFT p50), and of the TTFT SLO, the figures stay the server's
//     within the 10 % that compare tolerates on TTFT p50 (tolerances/default.yaml)
//     and cannot move a request far across the SLO. The lag limit is
//     max(LagFloor, LagFraction × min(TTFT SLO, TTFT p50)).
//   - MaxLateFraction 1 % and MinLate 3: the check fails on a pattern, not
//     on one GC pause or one preempted timer (make demo sends 40 requests
//     per run; one late dispatch there is 2.5 %).
//   - MaxCPUFraction 0.95 over at least MinCPUWindow: a process using 95 %
//     of the cores it has (GOMAXPROCS) for two seconds or more queues its
//     own reads behind its own work, so TTFT and ITL include that queueing
//     (bench/results.md: at 256 streams on 2 cores the harness's p99 error
//     grew 3× over the control's).
const (
	LagFloor        = 25 * time.Millisecond
	LagFraction     = 0.10
	MaxLateFraction = 0.01
	MinLate         = 3
	MaxCPUFraction  = 0.95
	MinCPUWindow    = 2 * time.Second
)

// LagLimit is the dispatch lag beyond which a dispatch counts as late:
// max(LagFloor, LagFraction × min(sloTTFT, ttftP50)), where a zero SLO or
// a run without a TTFT leaves that term out.
func LagLimit(sloTTFT time.Duration, ttftP50ms float64) time.Duration {
	ref := time.Duration(0)
	if sloTTFT > 0 {
		ref = sloTTFT
	}
	if t := time.Duration(ttftP50ms * float64(time.Millisecond)); t > 0 && (ref == 0 || t < ref) {
		ref = t
	}
	return max(LagFloor, time.Duration(LagFraction*float64(ref)))
}

// GeneratorCheckAt sets g's lag limit and counts its dispatches later than it (from
// the dispatch lag histogram), and returns the load_generator check.
func GeneratorCheckAt(g *sidecar.Generator, limit time.Duration) sidecar.Check {
	g.LagLimitMs = float64(limit.Microseconds()) / 1000
	g.Late = 0
	if g.LagHistogram != "" {
		if h, err := stats.DecodeHistogram(g.LagHistogram); err == nil {
			g.Late = int(h.CountAbove(g.LagLimitMs))
		}
	}
	return GeneratorCheck(*g)
}

// Generator watches the load generator during one run: the dispatch lag of
// each request (Result.Lag), the process's CPU time against its cores, the
// peak number of goroutines (sampled every 50 ms) and the SSE chunks
// parsed. Start it before the first send and Stop it after the last
// answer, then Judge the figures. Add is called from one goroutine (the
// run's consumer).
type Generator struct {
	start   time.Time
	cpu0    time.Duration
	cpuOK   bool
	lag     *stats.Histogram
	chunks  int64
	stopped chan struct{}
	done    sync.WaitGroup
	mu      sync.Mutex
	peak    int
}

// StartGenerator starts watching.
func StartGenerator() *Generator {
	g := &Generator{start: time.Now(), lag: stats.NewHistogram(), stopped: make(chan struct{}), peak: runtime.NumGoroutine()}
	g.cpu0, g.cpuOK = processCPU()
	g.done.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-g.stopped:
				return
			case <-t.C:
				g.sample()
			}
		}
	})
	return g
}

func (g *Generator) sample() {
	n := runtime.NumGoroutine()
	g.mu.Lock()
	g.peak = max(g.peak, n)
	g.mu.Unlock()
}

// Add folds in one finished request and its dispatch lag.
func (g *Generator) Add(lag time.Duration, r *record.Record) {
	g.lag.Add(float64(max(lag, 0).Microseconds()) / 1000)
	g.chunks += int64(r.Chunks)
	g.sample()
}

// Stop ends the watch and returns the figures; Judge sets the lag limit.
func (g *Generator) Stop() sidecar.Generator {
	close(g.stopped)
	g.done.Wait()
	dur := time.Since(g.start)
	cpu1, ok := processCPU()
	g.mu.Lock()
	peak := g.peak
	g.mu.Unlock()
	out := sidecar.Generator{
		DispatchLagMs: g.lag.Summary(),
		CPUCoresUsed:  -1, Cores: runtime.GOMAXPROCS(0), PeakGoroutines: peak,
		Chunks: g.chunks, DurationS: dur.Seconds(),
	}
	if g.lag.Count() > 0 {
		// Encoding the suite's own histogram cannot fail; if it did, the
		// run keeps its lag summary and only merge loses the distribution.
		out.LagHistogram, _ = g.lag.Encode()
	}
	if s := dur.Seconds(); s > 0 {
		out.ChunksPerS = float64(g.chunks) / s
		if ok && g.cpuOK {
			out.CPUCoresUsed = (cpu1 - g.cpu0).Seconds() / s
			out.CPUFraction = out.CPUCoresUsed / float64(out.Cores)
		}
	}
	return out
}

// GeneratorCheck judges the generator's figures. It fails when more than
// MaxLateFraction of the dispatches, and at least MinLate, were later than
// the lag limit, or when the process used MaxCPUFraction of its cores over
// a run of MinCPUWindow or more. Value is the dispatch lag p99 in ms,
// Threshold the lag limit.
func GeneratorCheck(g sidecar.Generator) sidecar.Check {
	lagLate := g.Late >= MinLate && float64(g.Late) > MaxLateFraction*float64(g.DispatchLagMs.N)
	cpuBound := g.CPUCoresUsed >= 0 && g.DurationS >= MinCPUWindow.Seconds() && g.CPUFraction >= MaxCPUFraction
	c := sidecar.Check{Name: sidecar.CheckLoadGenerator, Passed: !lagLate && !cpuBound, Value: g.DispatchLagMs.P99, Threshold: g.LagLimitMs}
	lag := fmt.Sprintf("dispatch lag p99 %s, p50 %s, max %s; %d of %d dispatches later than %s",
		units.Ms(g.DispatchLagMs.P99), units.Ms(g.DispatchLagMs.P50), units.Ms(g.DispatchLagMs.Max),
		g.Late, g.DispatchLagMs.N, units.Ms(g.LagLimitMs))
	cpu := "client CPU not measured on this platform"
	if g.CPUCoresUsed >= 0 {
		cpu = fmt.Sprintf("client CPU %.2f of %d cores", g.CPUCoresUsed, g.Cores)
	}
	rest := fmt.Sprintf("%s, peak %d goroutines, %.0f chunks/s", cpu, g.PeakGoroutines, g.ChunksPerS)
	const tail = ": the figures measure this machine, not the server; lower the rate or shard the load (ACCEPTANCE_SHARD)"
	switch {
	case lagLate:
		c.Detail = fmt.Sprintf("the load generator fell behind its schedule (%s; %s)%s", lag, rest, tail)
	case cpuBound:
		c.Detail = fmt.Sprintf("the load generator ran out of CPU (%s, %.0f %% for %.1fs; %s)%s",
			cpu, 100*g.CPUFraction, g.DurationS, lag, tail)
	default:
		c.Detail = lag + "; " + rest
	}
	return c
}
