// Command tracegen writes the synthetic Mooncake-format trace that
// `make demo` replays (traces/demo.jsonl): a small, deterministic stand-in
// for production traffic with what makes real traces hard on a server.
//
//   - Shared system prompts: every session belongs to one of a few apps,
//     and starts with its app's system prompt (the same hash ids).
//   - Multi-turn prefixes: a session's next turn repeats the whole earlier
//     conversation (its hash ids) and adds new blocks.
//   - Bursty arrivals: sessions arrive in bursts (a burst of several new
//     sessions within milliseconds, then a quiet gap), and turns follow a
//     think time (about 4 s in all, so the demo's replay stays short).
//   - Heavy-tailed outputs: log-normal answer lengths (median ~60 tokens,
//     a tail to 800).
//
// Run: go run ./scripts/tracegen > traces/demo.jsonl (flags: -seed,
// -sessions). The same seed writes the same bytes.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
)

const block = 512 // tokens per hash block (Mooncake)

type line struct {
	Timestamp    int64   `json:"timestamp"`
	InputLength  int     `json:"input_length"`
	OutputLength int     `json:"output_length"`
	HashIDs      []int64 `json:"hash_ids"`
}

func main() {
	seed := flag.Uint64("seed", 19, "random seed")
	sessions := flag.Int("sessions", 24, "conversations")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	err := generate(w, *seed, *sessions)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracegen:", err)
		os.Exit(1)
	}
}

// generate writes the trace of sessions conversations drawn with seed.
func generate(w io.Writer, seed uint64, sessions int) error {
	rng := rand.New(rand.NewPCG(seed, 0x7ace))
	next := int64(0)
	newBlocks := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = next
			next++
		}
		return out
	}
	// Apps: a system prompt of 1 to 3 whole blocks each.
	apps := make([][]int64, 3)
	for i := range apps {
		apps[i] = newBlocks(1 + i)
	}
	var out []line
	t := 0.0 // ms
	for range sessions {
		// Bursts: a new session comes ~5 ms after the previous one
		// most of the time, and after a quiet gap of ~300 ms otherwise.
		if rng.Float64() < 0.7 {
			t += rng.ExpFloat64() * 5
		} else {
			t += 100 + rng.ExpFloat64()*200
		}
		app := apps[rng.IntN(len(apps))]
		ids := append([]int64(nil), app...)
		tokens := len(app) * block
		at := t
		turns := 1 + rng.IntN(3)
		for turn := 0; turn < turns; turn++ {
			// The user's new message and the previous answer: 100 to
			// 900 tokens, a partial last block unique to this turn.
			add := 100 + rng.IntN(800)
			if tokens%block != 0 {
				// The earlier partial block is cut off by the new text:
				// the new prompt's block at that place is new.
				ids = ids[:tokens/block]
			}
			need := (tokens+add+block-1)/block - len(ids)
			ids = append(ids, newBlocks(need)...)
			tokens += add
			outLen := int(math.Round(math.Exp(math.Log(60) + 1.0*rng.NormFloat64())))
			outLen = min(max(outLen, 4), 800)
			out = append(out, line{Timestamp: int64(math.Round(at)), InputLength: tokens,
				OutputLength: outLen, HashIDs: append([]int64(nil), ids...)})
			tokens += outLen
			// Think time before the next turn.
			at += 150 + rng.ExpFloat64()*250
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	enc := json.NewEncoder(w)
	for _, l := range out {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}
