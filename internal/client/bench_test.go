package client

// Harness-cost benchmarks (issue "Harness performance"). They run against a
// minimal loopback server in this process, so the figures are the harness's
// own cost, not a simulator's. scripts/bench.sh runs them and writes
// bench/results.md:
//
//	go test -run '^$' -bench 'TTFTFidelity|PlainThroughput|StreamChunks' -benchtime 1x ./internal/client
//
// BenchmarkPlainThroughput also runs vegeta (pinned in tools/bench) as a
// subprocess against the same server; without Go's module cache for it the
// vegeta half is skipped and said so.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

const (
	bRole   = `data: {"id":"b1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"
	bTok    = `data: {"id":"b1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"tok "},"finish_reason":null}]}` + "\n\n"
	bFinish = `data: {"id":"b1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	bDone   = "data: [DONE]\n\n"
	// bPlain is a vLLM-shaped non-streamed chat.completion.
	bPlain = `{"id":"chatcmpl-b1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok bench answer","reasoning_content":null,"tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":10,"total_tokens":14,"completion_tokens":4,"prompt_tokens_details":null},"prompt_logprobs":null}`
)

func bUsage(n int) string {
	return fmt.Sprintf(`data: {"id":"b1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":%d,"total_tokens":%d}}`+"\n\n", n, n+10)
}

func benchClient(b *testing.B, url string) *Client {
	b.Helper()
	c, err := New(Config{BaseURL: url + "/v1"})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchReq(stream bool, extra map[string]any) Request {
	return Request{Model: "m", Messages: []fixture.Message{{Role: "user", Content: "Say something short."}}, Stream: stream, MaxTokens: 64, Extra: extra}
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

// fidelityShape is how the loopback server paces one stream: the role chunk
// at once, the first token chunk at a uniformly random 2-6 ms after the
// request arrived (so streams do not fire in lock step), then tokens-1 more
// token chunks itl apart, then finish, usage and [DONE].
type fidelityShape struct {
	tokens int
	itl    time.Duration
}

// shapeFor models a vLLM replica with that many running sequences: 48-token
// answers, ITL at least 5 ms, and the aggregate decode rate held at or under
// 12,000 tokens/s (at 256 streams ITL ≈ 21 ms, 47 tokens/s per stream;
// about 250 requests/s at 64 and 256 streams). A single stream has
// nothing to compete with, so it gets 4-token answers to collect more
// first-token samples per second.
func shapeFor(streams int) fidelityShape {
	tokens := 48
	if streams == 1 {
		tokens = 4
	}
	return fidelityShape{tokens: tokens, itl: max(5*time.Millisecond, time.Duration(streams)*time.Second/12000)}
}

// fidelityServer is the loopback server of BenchmarkTTFTFidelity. It records,
// per bench_id (a body field the client sends through Request.Extra), the
// instant it began writing its first token chunk to the socket: the
// server's true first-token send time. Server and client share the
// process, so both clocks are the same monotonic clock.
type fidelityServer struct {
	shape fidelityShape
	mu    sync.Mutex
	sent  map[int64]time.Time
}

func (f *fidelityServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BenchID int64 `json:"bench_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	recv := time.Now()
	fl := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, bRole)
	fl.Flush()
	first := recv.Add(2*time.Millisecond + rand.N(4*time.Millisecond))
	sleepUntil(first)
	// The send instant is taken just before the write: a client on the
	// other core can read the chunk before a time.Now() after Flush returns.
	// The write syscall (a few µs on loopback) thus counts against the
	// harness, which makes the error an upper bound.
	sent := time.Now()
	io.WriteString(w, bTok)
	fl.Flush()
	f.mu.Lock()
	f.sent[body.BenchID] = sent
	f.mu.Unlock()
	for i := 1; i < f.shape.tokens; i++ {
		sleepUntil(first.Add(time.Duration(i) * f.shape.itl))
		io.WriteString(w, bTok)
		fl.Flush()
	}
	io.WriteString(w, bFinish+bUsage(f.shape.tokens)+bDone)
	fl.Flush()
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return sorted[min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1)]
}

// BenchmarkTTFTFidelity measures the harness's TTFT error: the client's
// first-token timestamp (rec.Start + rec.TTFTms, i.e. after openai-go has
// decoded the chunk and our stream loop has seen a token) minus the
// server's first-token write-and-flush timestamp, at 1, 16, 64 and 256
// concurrent streams (closed loop, each stream sending its next request as
// soon as the last ended). rec.TTFTms is kept in whole microseconds, so the
// error is exact to 1 µs. Reports p50-err-us, p99-err-us, max-err-us.
// Targets: 1 stream p50 ≤ 200 µs and p99 ≤ 1 ms; 256 streams p99 ≤ 5 ms.
func BenchmarkTTFTFidelity(b *testing.B) {
	for _, n := range []struct{ streams, samples int }{{1, 1000}, {16, 1000}, {64, 2000}, {256, 3000}} {
		for _, who := range []string{"ours", "raw"} {
			b.Run(fmt.Sprintf("streams=%d/client=%s", n.streams, who), func(b *testing.B) {
				if who == "raw" && os.Getenv("BENCH_NO_RAW") != "" {
					b.Skip("BENCH_NO_RAW set")
				}
				fs := &fidelityServer{shape: shapeFor(n.streams), sent: map[int64]time.Time{}}
				srv := httptest.NewServer(fs)
				defer srv.Close()
				c := benchClient(b, srv.URL)
				defer c.CloseIdle()
				send := func(k int64) (time.Time, error) { return oursFirstToken(c, k) }
				if who == "raw" {
					send = func(k int64) (time.Time, error) { return rawFirstToken(c.HTTPClient(), srv.URL, k) }
				}
				for b.Loop() {
					errs := fidelityRun(b, fs, send, n.streams, n.samples)
					slices.Sort(errs)
					b.ReportMetric(quantile(errs, 0.5), "p50-err-us")
					b.ReportMetric(quantile(errs, 0.99), "p99-err-us")
					b.ReportMetric(errs[len(errs)-1], "max-err-us")
					b.ReportMetric(float64(len(errs)), "samples")
				}
			})
		}
	}
}

// oursFirstToken sends request k through Client.Chat (the harness's path)
// and returns the first-token instant it recorded: rec.Start + rec.TTFTms.
func oursFirstToken(c *Client, k int64) (time.Time, error) {
	rec := c.Chat(context.Background(), benchReq(true, map[string]any{"bench_id": k}))
	if !rec.OK() || rec.TTFTms <= 0 || len(rec.StreamIssues) > 0 {
		return time.Time{}, fmt.Errorf("request %d: %s %s %v", k, rec.ErrorKind, rec.Error, rec.StreamIssues)
	}
	return rec.Start.Add(time.Duration(math.Round(rec.TTFTms*1000)) * time.Microsecond), nil
}

// rawFirstToken is the control: the least a Go client can do (net/http on
// the same transport, a bufio line reader, time.Now() as soon as the line
// holding the first token is read, no JSON decoding). Its error is the
// floor set by the machine (loopback, scheduler, the neighbours on shared
// cores, the server sharing this process); ours minus raw is what the
// harness itself adds.
func rawFirstToken(hc *http.Client, url string, k int64) (time.Time, error) {
	resp, err := hc.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(fmt.Sprintf(`{"model":"m","stream":true,"bench_id":%d}`, k)))
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var first time.Time
	for {
		line, err := br.ReadSlice('\n')
		if first.IsZero() && bytes.Contains(line, []byte(`"content":"tok`)) {
			first = time.Now()
		}
		if err != nil {
			break
		}
	}
	if first.IsZero() {
		return first, fmt.Errorf("request %d: no token line", k)
	}
	return first, nil
}

// fidelityRun sends samples streamed requests from streams workers (after
// one warm-up request per worker, which opens its connection) and returns
// the TTFT errors (client first-token instant minus server send instant)
// in microseconds.
func fidelityRun(b *testing.B, fs *fidelityServer, send func(int64) (time.Time, error), streams, samples int) []float64 {
	var id atomic.Int64
	one := func() (float64, error) {
		k := id.Add(1)
		got, err := send(k)
		if err != nil {
			return 0, err
		}
		fs.mu.Lock()
		sent, ok := fs.sent[k]
		delete(fs.sent, k)
		fs.mu.Unlock()
		if !ok {
			return 0, fmt.Errorf("request %d: server recorded no first token", k)
		}
		return float64(got.Sub(sent).Nanoseconds()) / 1000, nil
	}
	var wg sync.WaitGroup
	for range streams { // warm-up: one request per connection
		wg.Go(func() { _, _ = one() })
	}
	wg.Wait()
	b.ResetTimer()
	var (
		mu    sync.Mutex
		errs  = make([]float64, 0, samples)
		left  atomic.Int64
		first error
	)
	left.Store(int64(samples))
	for range streams {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				e, err := one()
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				errs = append(errs, e)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
	return errs
}

// plainServer answers every POST with bPlain after reading the body; the
// first body it saw is kept so vegeta can send byte-for-byte the same one.
type plainServer struct {
	once sync.Once
	body []byte
}

func (p *plainServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.once.Do(func() { p.body = body })
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, bPlain)
}

// hammer calls f in a loop on workers goroutines until d has passed, and
// returns how long they ran.
func hammer(workers int, d time.Duration, f func()) time.Duration {
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				f()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// oursPlain runs workers goroutines sending non-streamed requests through
// Client.Chat for d, validating every record (status 200, decoded content,
// finish_reason, usage); it returns validated requests per second.
func oursPlain(b *testing.B, c *Client, workers int, d time.Duration) float64 {
	var ok, bad atomic.Int64
	var firstBad atomic.Value
	el := hammer(workers, d, func() {
		rec := c.Chat(context.Background(), benchReq(false, nil))
		if rec.OK() && rec.Status == 200 && rec.Content == "ok bench answer" && rec.FinishReason == "stop" && rec.CompletionTokens == 4 && rec.PromptTokens == 10 {
			ok.Add(1)
		} else {
			bad.Add(1)
			firstBad.CompareAndSwap(nil, fmt.Sprintf("%d %s %s %q", rec.Status, rec.ErrorKind, rec.Error, rec.Content))
		}
	})
	if bad.Load() > 0 {
		b.Fatalf("%d of %d requests failed validation; first: %v", bad.Load(), ok.Load()+bad.Load(), firstBad.Load())
	}
	return float64(ok.Load()) / el.Seconds()
}

// vegetaPlain runs `go -C tools/bench tool vegeta attack -rate=0
// -max-workers=N -duration=d` against url with body, then `vegeta report
// -type=json`, and returns the report's throughput (successful requests per
// second) and its success ratio.
func vegetaPlain(b *testing.B, url string, body []byte, workers int, d time.Duration) (float64, float64) {
	dir := b.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		b.Fatal(err)
	}
	targets := fmt.Sprintf("POST %s/v1/chat/completions\nContent-Type: application/json\n@%s\n", url, bodyFile)
	tool := filepath.Join(config.RepoRoot(), "tools", "bench")
	attack := exec.Command("go", "-C", tool, "tool", "vegeta", "attack", "-rate=0", fmt.Sprintf("-workers=%d", workers),
		fmt.Sprintf("-max-workers=%d", workers), "-duration="+d.String(), "-keepalive=true")
	attack.Stdin = strings.NewReader(targets)
	report := exec.Command("go", "-C", tool, "tool", "vegeta", "report", "-type=json")
	pipe, err := attack.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	report.Stdin = pipe
	var out, errA, errR bytes.Buffer
	report.Stdout, report.Stderr, attack.Stderr = &out, &errR, &errA
	if err := report.Start(); err != nil {
		b.Fatal(err)
	}
	if err := attack.Run(); err != nil {
		b.Fatalf("vegeta attack: %v\n%s", err, errA.String())
	}
	if err := report.Wait(); err != nil {
		b.Fatalf("vegeta report: %v\n%s", err, errR.String())
	}
	var rep struct {
		Throughput float64 `json:"throughput"`
		Success    float64 `json:"success"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		b.Fatalf("vegeta report: %v: %s", err, out.String())
	}
	return rep.Throughput, rep.Success
}

// BenchmarkPlainThroughput is the most non-streamed requests per second our
// client sustains with full validation (openai-go builds the request from
// typed params, decodes the chat.completion; we check status, content,
// finish_reason and usage), side by side with vegeta (sends the same bytes,
// reads the body, decodes nothing) against the same loopback server, both
// with BENCH_WORKERS (default 32) concurrent workers. Each side runs
// twice, alternating, BENCH_DURATION (default 5s) each; the better run of
// each is reported (the cores are shared). Target ours/vegeta ≥ 1.0.
func BenchmarkPlainThroughput(b *testing.B) {
	workers, d := envInt("BENCH_WORKERS", 32), envDur("BENCH_DURATION", 5*time.Second)
	ps := &plainServer{}
	srv := httptest.NewServer(ps)
	defer srv.Close()
	c := benchClient(b, srv.URL)
	defer c.CloseIdle()
	for b.Loop() {
		oursPlain(b, c, workers, time.Second) // warm-up: connections, caches
		var ours, veg, succ float64
		for range 2 {
			ours = max(ours, oursPlain(b, c, workers, d))
			c.CloseIdle()
			if os.Getenv("BENCH_NO_VEGETA") == "" {
				v, s := vegetaPlain(b, srv.URL, ps.body, workers, d)
				veg, succ = max(veg, v), s
			}
		}
		b.ReportMetric(ours, "ours-req/s")
		if veg > 0 {
			b.ReportMetric(veg, "vegeta-req/s")
			b.ReportMetric(succ, "vegeta-success")
			b.ReportMetric(ours/veg, "ours/vegeta")
		}
	}
}

// streamServer streams chunks small token chunks as fast as it can write
// them (flushing every 32), then finish, usage and [DONE].
type streamServer struct{ chunks int }

func (s *streamServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	fl := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	io.WriteString(w, bRole)
	for i := range s.chunks {
		io.WriteString(w, bTok)
		if i%32 == 31 {
			fl.Flush()
		}
	}
	io.WriteString(w, bFinish+bUsage(s.chunks)+bDone)
	fl.Flush()
}

// BenchmarkStreamChunks is how many SSE chunks per second our client parses
// (openai-go's decoder, the accumulator, our structural checks, TTFT/ITL
// bookkeeping) from a server streaming 1,000-token answers as fast as it can,
// over BENCH_STREAM_WORKERS (default 4) concurrent streams for
// BENCH_DURATION. Every answer is validated. Target ≥ 100,000 chunks/s.
func BenchmarkStreamChunks(b *testing.B) {
	const tokens = 1000
	workers, d := envInt("BENCH_STREAM_WORKERS", 4), envDur("BENCH_DURATION", 5*time.Second)
	srv := httptest.NewServer(&streamServer{chunks: tokens})
	defer srv.Close()
	c := benchClient(b, srv.URL)
	defer c.CloseIdle()
	want := strings.Repeat("tok ", tokens)
	for b.Loop() {
		var chunks, bad atomic.Int64
		el := hammer(workers, d, func() {
			rec := c.Chat(context.Background(), benchReq(true, nil))
			if !rec.OK() || rec.Content != want || rec.CompletionTokens != tokens || len(rec.StreamIssues) > 0 {
				bad.Add(1)
			}
			chunks.Add(int64(rec.Chunks))
		})
		if bad.Load() > 0 {
			b.Fatalf("%d streams failed validation", bad.Load())
		}
		b.ReportMetric(float64(chunks.Load())/el.Seconds(), "chunks/s")
	}
}

func envInt(k string, def int) int {
	var v int
	if _, err := fmt.Sscan(os.Getenv(k), &v); err == nil && v > 0 {
		return v
	}
	return def
}

func envDur(k string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}
