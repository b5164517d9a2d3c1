package sim

import (
	"container/list"
	"encoding/binary"
	"hash/fnv"
	"strings"
	"sync"
)

// blockSize is the prefix cache's block in tokens: vLLM's default
// --block-size, which vllm:cache_config_info reports here too.
const blockSize = 16

// cacheBlocks bounds the prefix cache: as many blocks as the simulated KV
// cache holds (kvCapacity tokens). Past it the least recently used block
// is evicted, as vLLM's free-block queue evicts the least recently freed.
const cacheBlocks = kvCapacity / blockSize

// PrefixStats is the simulator's own count of its prefix cache, in tokens,
// as vLLM counts vllm:prefix_cache_queries and vllm:prefix_cache_hits: a
// request queries all its prompt tokens and hits the leading ones whose
// whole blocks were cached. Blocks is the number of blocks cached now.
type PrefixStats struct {
	Queries int64 `json:"queries"`
	Hits    int64 `json:"hits"`
	Blocks  int   `json:"blocks"`
}

// HitRate is Hits/Queries, 0 without queries.
func (p PrefixStats) HitRate() float64 {
	if p.Queries == 0 {
		return 0
	}
	return float64(p.Hits) / float64(p.Queries)
}

// prefixCache holds block hashes, most recently used first. A block's hash
// covers its tokens and its parent's hash, so equal hashes mean equal
// prefixes, as in vLLM's hash_block_tokens (vllm/v1/core/kv_cache_utils.py,
// v0.10: hash((parent_block_hash, curr_block_token_ids, extra_keys))).
type prefixCache struct {
	mu     sync.Mutex
	max    int
	lru    *list.List // of uint64, front = most recently used
	blocks map[uint64]*list.Element
	stats  PrefixStats
}

func newPrefixCache(maxBlocks int) *prefixCache {
	return &prefixCache{max: maxBlocks, lru: list.New(), blocks: map[uint64]*list.Element{}}
}

// blockHashes hashes tokens in whole blocks, each hash chained on the one
// before it; a last partial block is not cached (vLLM caches full blocks).
func blockHashes(tokens []string) []uint64 {
	var out []uint64
	var parent uint64
	for i := 0; i+blockSize <= len(tokens); i += blockSize {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], parent)
		_, _ = h.Write(b[:])
		for _, t := range tokens[i : i+blockSize] {
			_, _ = h.Write([]byte(t))
			_, _ = h.Write([]byte{0})
		}
		parent = h.Sum64()
		out = append(out, parent)
	}
	return out
}

// lookup counts a request of these prompt tokens: it returns how many
// leading tokens were cached, then caches the request's full blocks. As in
// vLLM's KVCacheManager.get_computed_blocks, the last prompt token is
// always computed (its logits are needed), so a prompt cached whole hits
// all but its last block.
func (c *prefixCache) lookup(tokens []string) int {
	hashes := blockHashes(tokens)
	c.mu.Lock()
	defer c.mu.Unlock()
	maxHit := (len(tokens) - 1) / blockSize
	hit := 0
	for hit < len(hashes) && hit < maxHit {
		if _, ok := c.blocks[hashes[hit]]; !ok {
			break
		}
		hit++
	}
	for _, h := range hashes {
		if e, ok := c.blocks[h]; ok {
			c.lru.MoveToFront(e)
			continue
		}
		c.blocks[h] = c.lru.PushFront(h)
		for c.lru.Len() > c.max {
			old := c.lru.Back()
			c.lru.Remove(old)
			delete(c.blocks, old.Value.(uint64))
		}
	}
	c.stats.Queries += int64(len(tokens))
	c.stats.Hits += int64(hit * blockSize)
	return hit * blockSize
}

func (c *prefixCache) snapshot() PrefixStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Blocks = c.lru.Len()
	return st
}

// PrefixCache returns the simulator's own count of its prefix cache, for
// tests to set against what /metrics said.
func (s *Server) PrefixCache() PrefixStats { return s.cache.snapshot() }

// promptSeq is the prompt as the simulator's tokens: the tools, then each
// message with its chat-template tokens, one token per word. Its length is
// promptTokens(), and two requests that share leading messages share a
// leading token sequence, as a chat template renders them.
func (r *chatRequest) promptSeq() []string {
	var seq []string
	for _, t := range r.Tools {
		seq = append(seq, "<tool>", t.Function.Name)
		for range 8 {
			seq = append(seq, "<tool-pad>")
		}
		seq = append(seq, strings.Fields(t.Function.Description)...)
	}
	for _, m := range r.Messages {
		seq = append(seq, "<|im_start|>", m.Role, "\n")
		seq = append(seq, strings.Fields(m.text())...)
		seq = append(seq, "<|im_end|>")
		for _, c := range m.ToolCalls {
			seq = append(seq, "<tool_call>", c.Function.Name)
			seq = append(seq, strings.Fields(c.Function.Arguments)...)
		}
	}
	return seq
}
