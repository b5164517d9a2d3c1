"""A random-weight decoder of a real model's shape, with a paged KV cache.

The layer is Qwen3's (RMSNorm, q/k norm, RoPE, grouped-query attention,
SwiGLU MLP), in bf16 on the GPU. The weights are random (normal, std 0.02,
seeded): the engine reads and multiplies exactly the bytes a real
checkpoint of this shape would, but its text is noise. Decode attention
gathers each sequence's KV blocks through its block table; on CUDA a decode
step is replayed from a CUDA graph per (batch bucket, context bucket)
unless --enforce-eager.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Shape:
    name: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    rope_theta: float = 1_000_000.0
    eps: float = 1e-6

    def params(self) -> int:
        """Parameters, embedding and untied LM head included."""
        d, hd = self.hidden, self.head_dim
        attn = d * (self.heads + 2 * self.kv_heads) * hd + self.heads * hd * d + 2 * hd
        mlp = 3 * d * self.intermediate
        return self.layers * (attn + mlp + 2 * d) + 2 * self.vocab * d + d

    def kv_bytes_per_token(self, dtype_bytes: int = 2) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * dtype_bytes


# Qwen3-8B's config.json: hidden_size 4096, num_hidden_layers 36,
# num_attention_heads 32, num_key_value_heads 8, head_dim 128,
# intermediate_size 12288, vocab_size 151936, rope_theta 1e6,
# rms_norm_eps 1e-6, tie_word_embeddings false.
SHAPES = {
    "qwen3-8b": Shape("Qwen3-8B", 4096, 36, 32, 8, 128, 12288, 151936),
    # For a CPU smoke test of the server and scheduler (--shape tiny).
    "tiny": Shape("tiny", 256, 2, 4, 2, 64, 512, 151936),
}


def _rms_norm(x, w, eps):
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.shape[-1],), w, eps)
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * w


def _rope(x, cos, sin):
    # x [..., n, D] with cos/sin [..., 1, D/2]: the rotate-half (NeoX) form Qwen3 uses.
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


class Model:
    """Weights, KV cache and the two forward passes (prefill, decode)."""

    def __init__(self, shape: Shape, device, dtype, num_blocks: int, block_size: int,
                 max_model_len: int, seed: int = 0):
        self.s, self.device, self.dtype = shape, device, dtype
        self.block_size, self.num_blocks, self.max_model_len = block_size, num_blocks, max_model_len
        s = shape
        g = torch.Generator(device=device)
        g.manual_seed(seed)

        def w(*size, std=0.02):
            t = torch.empty(*size, device=device, dtype=dtype)
            t.normal_(0.0, std, generator=g)
            return t

        def ones(n):
            return torch.ones(n, device=device, dtype=dtype)

        qkv_out = (s.heads + 2 * s.kv_heads) * s.head_dim
        self.embed = w(s.vocab, s.hidden)
        self.layers = []
        for _ in range(s.layers):
            self.layers.append({
                "in_norm": ones(s.hidden), "post_norm": ones(s.hidden),
                "qkv": w(qkv_out, s.hidden), "o": w(s.hidden, s.heads * s.head_dim),
                "q_norm": ones(s.head_dim), "k_norm": ones(s.head_dim),
                "gate_up": w(2 * s.intermediate, s.hidden), "down": w(s.hidden, s.intermediate),
            })
        self.final_norm = ones(s.hidden)
        self.lm_head = w(s.vocab, s.hidden)
        self.weight_bytes = sum(t.numel() * t.element_size() for t in self._tensors())
        # What one decode step reads: every weight but the embedding table (a gather of B rows).
        self.decode_read_bytes = self.weight_bytes - self.embed.numel() * self.embed.element_size()

        # Paged KV cache: per layer [num_blocks, block_size, kv_heads, head_dim]
        # for K and for V. Block 0 is scratch: padded rows of a graph write there.
        kv = (num_blocks, block_size, s.kv_heads, s.head_dim)
        self.k_cache = [torch.zeros(kv, device=device, dtype=dtype) for _ in range(s.layers)]
        self.v_cache = [torch.zeros(kv, device=device, dtype=dtype) for _ in range(s.layers)]
        self.kv_cache_bytes = 2 * s.layers * math.prod(kv) * torch.tensor([], dtype=dtype).element_size()

        inv = 1.0 / (s.rope_theta ** (torch.arange(0, s.head_dim, 2, device=device, dtype=torch.float32) / s.head_dim))
        freqs = torch.outer(torch.arange(max_model_len + 1, device=device, dtype=torch.float32), inv)
        self.cos, self.sin = freqs.cos().to(dtype), freqs.sin().to(dtype)
        self.scale = 1.0 / math.sqrt(s.head_dim)
        self.graphs = None

    def _tensors(self):
        yield self.embed
        yield self.final_norm
        yield self.lm_head
        for layer in self.layers:
            yield from layer.values()

    # ----- a layer's parts that prefill and decode share.

    def _qkv(self, i, L, x, cos, sin, slots):
        """Layer i's attention inputs for the rows of x [N, hidden]: q
        [N,H,D] and k, v [N,KV,D], q and k normed and rotated; k and v are
        written to the KV cache at slots [N]."""
        s, n = self.s, x.shape[0]
        h = _rms_norm(x, L["in_norm"], s.eps)
        q, k, v = (h @ L["qkv"].t()).split([s.heads * s.head_dim, s.kv_heads * s.head_dim, s.kv_heads * s.head_dim], dim=-1)
        q = _rope(_rms_norm(q.view(n, s.heads, s.head_dim), L["q_norm"], s.eps), cos, sin)
        k = _rope(_rms_norm(k.view(n, s.kv_heads, s.head_dim), L["k_norm"], s.eps), cos, sin)
        v = v.view(n, s.kv_heads, s.head_dim)
        self.k_cache[i].view(-1, s.kv_heads, s.head_dim).index_copy_(0, slots, k)
        self.v_cache[i].view(-1, s.kv_heads, s.head_dim).index_copy_(0, slots, v)
        return q, k, v

    def _mlp(self, L, x):
        """x after the layer's SwiGLU block (residual added)."""
        h = _rms_norm(x, L["post_norm"], self.s.eps)
        gt, up = (h @ L["gate_up"].t()).chunk(2, dim=-1)
        return x + (F.silu(gt) * up) @ L["down"].t()

    # ----- prefill: one sequence, all its tokens, KV written to its blocks.

    @torch.inference_mode()
    def prefill(self, tokens: torch.Tensor, slots: torch.Tensor) -> torch.Tensor:
        """tokens [P] (long), slots [P] (flat KV index of each position);
        returns the last position's logits [vocab] (float32)."""
        s = self.s
        p = tokens.shape[0]
        pos = torch.arange(p, device=self.device)
        cos, sin = self.cos[pos].unsqueeze(1), self.sin[pos].unsqueeze(1)  # [P,1,D/2]
        x = self.embed[tokens]
        rep = s.heads // s.kv_heads
        for i, L in enumerate(self.layers):
            q, k, v = self._qkv(i, L, x, cos, sin, slots)
            qh = q.transpose(0, 1).unsqueeze(0)  # [1,H,P,D]
            kh = k.repeat_interleave(rep, dim=1).transpose(0, 1).unsqueeze(0)
            vh = v.repeat_interleave(rep, dim=1).transpose(0, 1).unsqueeze(0)
            if hasattr(F, "scaled_dot_product_attention"):
                o = F.scaled_dot_product_attention(qh, kh, vh, is_causal=True)
            else:  # torch < 2.0 (a CPU smoke test on an old distribution torch)
                sc = (qh.float() @ kh.float().transpose(-1, -2)) * self.scale
                sc = sc + torch.full((p, p), float("-inf"), device=self.device).triu(1)
                o = (sc.softmax(-1) @ vh.float()).to(self.dtype)
            x = x + o.squeeze(0).transpose(0, 1).reshape(p, -1) @ L["o"].t()
            x = self._mlp(L, x)
        x = _rms_norm(x[-1:], self.final_norm, s.eps)
        return (x @ self.lm_head.t()).float()[0]

    # ----- decode: one token for each of B sequences.

    @torch.inference_mode()
    def decode(self, tokens, positions, slots, block_tables, seq_lens):
        """tokens, positions, slots, seq_lens [B] (long); block_tables [B, NB]
        (long); returns logits [B, vocab] (float32). seq_lens counts the
        token being decoded."""
        s = self.s
        b, nb = block_tables.shape
        ctx = nb * self.block_size
        cos, sin = self.cos[positions].unsqueeze(1), self.sin[positions].unsqueeze(1)  # [B,1,D/2]
        valid = torch.arange(ctx, device=self.device).unsqueeze(0) < seq_lens.unsqueeze(1)  # [B,ctx]
        bias = torch.zeros(b, ctx, device=self.device, dtype=torch.float32).masked_fill_(~valid, float("-inf"))
        bias = bias.view(b, 1, 1, ctx)
        grp = s.heads // s.kv_heads
        x = self.embed[tokens]
        for i, L in enumerate(self.layers):
            q, k, v = self._qkv(i, L, x, cos, sin, slots)
            K = self.k_cache[i][block_tables].view(b, ctx, s.kv_heads, s.head_dim).permute(0, 2, 3, 1)  # [B,KV,D,ctx]
            V = self.v_cache[i][block_tables].view(b, ctx, s.kv_heads, s.head_dim).transpose(1, 2)  # [B,KV,ctx,D]
            qg = q.view(b, s.kv_heads, grp, s.head_dim)
            sc = torch.matmul(qg, K).float() * self.scale + bias  # [B,KV,G,ctx]
            o = torch.matmul(sc.softmax(-1).to(self.dtype), V)  # [B,KV,G,D]
            x = x + o.reshape(b, -1) @ L["o"].t()
            x = self._mlp(L, x)
        x = _rms_norm(x, self.final_norm, s.eps)
        return (x @ self.lm_head.t()).float()


def buckets(limit: int, first: int = 1):
    """Powers of two from first up to limit, limit included."""
    out, n = [], first
    while n < limit:
        out.append(n)
        n *= 2
    out.append(limit)
    return out


class DecodeGraphs:
    """CUDA graphs of Model.decode, one per (batch bucket, block bucket),
    over static input buffers. A step pads its batch to the next batch
    bucket (padded rows decode into scratch block 0) and its block tables to
    the next block bucket (the mask hides the padding)."""

    def __init__(self, model: Model, max_batch: int, max_blocks: int, max_ctx_tokens: int, log):
        self.m = model
        dev = model.device
        self.batch_buckets = buckets(max_batch)
        self.block_buckets = buckets(max_blocks, first=min(16, max_blocks))
        self.tokens = torch.zeros(max_batch, dtype=torch.long, device=dev)
        self.positions = torch.zeros(max_batch, dtype=torch.long, device=dev)
        self.slots = torch.zeros(max_batch, dtype=torch.long, device=dev)
        self.seq_lens = torch.ones(max_batch, dtype=torch.long, device=dev)
        self.block_tables = torch.zeros(max_batch, max_blocks, dtype=torch.long, device=dev)
        self.graphs, self.out = {}, {}
        pool = torch.cuda.graph_pool_handle()
        stream = torch.cuda.Stream()
        n = 0
        for b in reversed(self.batch_buckets):
            for nb in reversed(self.block_buckets):
                if b * nb * model.block_size > max_ctx_tokens and not (b == 1 or nb == self.block_buckets[0]):
                    continue  # too big to be worth a graph: such a step runs eagerly
                args = (self.tokens[:b], self.positions[:b], self.slots[:b], self.block_tables[:b, :nb], self.seq_lens[:b])
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    model.decode(*args)  # warm-up outside the graph (cuBLAS handles, workspaces)
                torch.cuda.current_stream().wait_stream(stream)
                g = torch.cuda.CUDAGraph()
                with torch.cuda.graph(g, pool=pool):
                    out = model.decode(*args)
                self.graphs[(b, nb)], self.out[(b, nb)] = g, out
                n += 1
        torch.cuda.synchronize()
        log(f"captured {n} decode CUDA graphs: batch buckets {self.batch_buckets}, block buckets {self.block_buckets}")

    def run(self, tokens, positions, slots, block_tables, seq_lens):
        b, nb = block_tables.shape
        bb = next((x for x in self.batch_buckets if x >= b), None)
        nbb = next((x for x in self.block_buckets if x >= nb), None)
        if bb is None or nbb is None or (bb, nbb) not in self.graphs:
            return self.m.decode(tokens, positions, slots, block_tables, seq_lens)
        self.tokens[:b].copy_(tokens)
        self.positions[:b].copy_(positions)
        self.slots[:b].copy_(slots)
        self.seq_lens[:b].copy_(seq_lens)
        self.block_tables[:b, :nb].copy_(block_tables)
        self.block_tables[:b, nb:nbb].zero_()
        if bb > b:
            self.tokens[b:bb].zero_()
            self.positions[b:bb].zero_()
            self.slots[b:bb].zero_()  # scratch block 0
            self.seq_lens[b:bb].fill_(1)
            self.block_tables[b:bb, :nbb].zero_()
        self.graphs[(bb, nbb)].replay()
        return self.out[(bb, nbb)][:b]
