#!/usr/bin/env python3
"""gpuengine: an OpenAI-compatible server over a random-weight decoder of a
real model's shape, for the suite's own validation on a GPU host
(tools/gpuengine/README.md). Not vLLM, not a model: its text is noise.

    python3 tools/gpuengine/serve.py --port 8000                  # Qwen3-8B shape on CUDA
    python3 tools/gpuengine/serve.py --shape tiny --device cpu    # a CPU smoke test
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

VERSION = "0.1.0+gpuengine"


def log(msg):
    print(f"gpuengine {time.strftime('%H:%M:%S')}: {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="OpenAI-compatible server over a random-weight decoder (suite validation only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--shape", default="qwen3-8b", help="qwen3-8b (default) or tiny (CPU smoke test)")
    p.add_argument("--served-model-name", default="Qwen/Qwen3-8B")
    p.add_argument("--device", default="cuda")
    p.add_argument("--max-num-seqs", type=int, default=64, help="most requests decoded together (the batch limit)")
    p.add_argument("--max-model-len", type=int, default=32768, help="Qwen3-8B's native context")
    p.add_argument("--block-size", type=int, default=16)
    p.add_argument("--kv-cache-tokens", type=int, default=0,
                   help="KV cache size in tokens; 0: max-num-seqs x 4096, capped by --gpu-memory-utilization")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    p.add_argument("--enforce-eager", action="store_true", help="no CUDA graphs (as vLLM's flag): decode is launch-bound")
    p.add_argument("--ignore-eos", action="store_true",
                   help="every request runs to max_tokens (random weights sample EOS about once in 76,000 tokens)")
    p.add_argument("--tokenizer-dir", default=None, help="folder with tokenizer.json and tokenizer_config.json")
    p.add_argument("--byte-tokenizer", action="store_true",
                   help="one id per byte instead of Qwen3's tokenizer (CPU smoke test without the tokenizers library)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--startup-bench", action="store_true",
                   help="log the decode step time at a few batch sizes before serving (scratch block only)")
    p.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY", ""))
    return p.parse_args(argv)


def error(status, message, typ="BadRequestError"):
    from aiohttp import web
    return web.json_response({"object": "error", "message": message, "type": typ, "param": None, "code": status},
                             status=status)


class Server:
    def __init__(self, args, engine, tok, metrics, model):
        self.a, self.engine, self.tok, self.metrics, self.model = args, engine, tok, metrics, model
        self.created = int(time.time())

    def app(self):
        from aiohttp import web

        @web.middleware
        async def auth(request, handler):
            if self.a.api_key and request.path.startswith("/v1"):
                if request.headers.get("Authorization", "") != "Bearer " + self.a.api_key:
                    return web.json_response({"error": "Unauthorized"}, status=401)
            return await handler(request)

        app = web.Application(middlewares=[auth], client_max_size=64 << 20)
        app.router.add_get("/health", self.health)
        app.router.add_get("/version", self.version)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/metrics", self.prom)
        app.router.add_post("/tokenize", self.tokenize)
        app.router.add_post("/v1/chat/completions", self.chat)
        return app

    async def health(self, _):
        from aiohttp import web
        if self.engine.dead is not None:
            return web.Response(status=503, text=f"engine dead: {self.engine.dead!r}")
        return web.Response(status=200)

    async def version(self, _):
        from aiohttp import web
        return web.json_response({"version": VERSION})

    async def models(self, _):
        from aiohttp import web
        return web.json_response({"object": "list", "data": [{
            "id": self.a.served_model_name, "object": "model", "created": self.created, "owned_by": "gpuengine",
            "root": self.a.served_model_name, "parent": None, "max_model_len": self.a.max_model_len}]})

    async def prom(self, _):
        from aiohttp import web
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    def _prompt_ids(self, body):
        """The chat template's prompt and its token ids."""
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise ValueError("messages must be a non-empty list")
        norm = []
        for m in msgs:
            if not isinstance(m, dict) or "role" not in m:
                raise ValueError("each message needs a role")
            m = dict(m)
            c = m.get("content")
            if isinstance(c, list):  # content parts: keep the text ones
                m["content"] = "".join(p.get("text", "") for p in c if isinstance(p, dict))
            elif c is None:
                m["content"] = ""
            norm.append(m)
        kw = body.get("chat_template_kwargs") or {}
        text = self.tok.render(norm, tools=body.get("tools"), enable_thinking=kw.get("enable_thinking", True))
        return text, self.tok.encode(text)

    async def tokenize(self, request):
        from aiohttp import web
        try:
            body = await request.json()
            if "messages" in body:
                _, ids = self._prompt_ids(body)
            else:
                ids = self.tok.encode(str(body.get("prompt", "")))
        except (ValueError, json.JSONDecodeError) as e:
            return error(400, str(e))
        return web.json_response({"count": len(ids), "max_model_len": self.a.max_model_len, "tokens": ids})

    async def chat(self, request):
        from aiohttp import web
        from engine import Request
        from tokenizer import Detokenizer
        try:
            body = await request.json()
        except (ValueError, json.JSONDecodeError):
            return error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return error(400, "the body must be a JSON object")
        model = body.get("model")
        if model and model != self.a.served_model_name:
            return error(404, f"The model `{model}` does not exist.", "NotFoundError")
        try:
            _, ids = self._prompt_ids(body)
            max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
            room = self.a.max_model_len - len(ids)
            if max_tokens is None:
                max_tokens = room
            max_tokens = int(max_tokens)
            temperature = float(body.get("temperature", 1.0) if body.get("temperature") is not None else 1.0)
            min_tokens = int(body.get("min_tokens", 0) or 0)
            if max_tokens < 1:
                raise ValueError("max_tokens must be at least 1")
            if n := body.get("n"):
                if int(n) != 1:
                    raise ValueError("only n=1 is supported")
        except (ValueError, TypeError) as e:
            return error(400, str(e))
        except Exception as e:  # a template error
            return error(400, f"chat template: {e}")
        if len(ids) + max_tokens > self.a.max_model_len:
            return error(400, f"This model's maximum context length is {self.a.max_model_len} tokens. However, you "
                              f"requested {len(ids) + max_tokens} tokens ({len(ids)} in the messages, {max_tokens} in "
                              f"the completion). Please reduce the length of the messages or completion.")
        stream = bool(body.get("stream"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        loop = asyncio.get_running_loop()
        q = asyncio.Queue()
        # vLLM's request id: the client's X-Request-Id when sent (serving_engine.py's _base_request_id).
        req = Request(request.headers.get("X-Request-Id") or uuid.uuid4().hex, ids, max_tokens, temperature, min_tokens,
                      bool(body.get("ignore_eos")) or self.a.ignore_eos, q, loop)
        try:
            self.engine.submit(req)
        except RuntimeError as e:
            return error(500, str(e), "InternalServerError")
        rid, created, name = "chatcmpl-" + req.id, int(time.time()), self.a.served_model_name
        detok = Detokenizer(self.tok, ids)

        def usage(n):
            return {"prompt_tokens": len(ids), "total_tokens": len(ids) + n, "completion_tokens": n}

        def chunk(delta, finish=None):
            return {"id": rid, "object": "chat.completion.chunk", "created": created, "model": name,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        done, resp = False, None
        try:
            if not stream:
                parts, reason, n = [], None, 0
                while True:
                    kind, v = await q.get()
                    if kind == "token":
                        n += 1
                        parts.append(detok.add([v]))
                    elif kind == "done":
                        reason = v
                        break
                    else:
                        return error(500, v, "InternalServerError")
                done = True
                return web.json_response({
                    "id": rid, "object": "chat.completion", "created": created, "model": name,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(parts), "tool_calls": []},
                                 "logprobs": None, "finish_reason": reason, "stop_reason": None}],
                    "usage": usage(n)})
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
            await resp.prepare(request)

            async def send(obj):
                await resp.write(b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n")

            await send(chunk({"role": "assistant", "content": ""}))
            n = 0
            while True:
                kind, v = await q.get()
                batch = [(kind, v)]
                while not q.empty() and batch[-1][0] == "token":
                    batch.append(q.get_nowait())
                toks = [t for k, t in batch if k == "token"]
                n += len(toks)
                text = detok.add(toks) if toks else ""
                end = batch[-1]
                if end[0] == "error":
                    await send({"object": "error", "message": end[1], "type": "InternalServerError", "param": None,
                                "code": 500})
                    break
                if text:
                    await send(chunk({"content": text}))
                if end[0] == "done":
                    done = True
                    await send(chunk({}, end[1]))
                    if include_usage:
                        await send({"id": rid, "object": "chat.completion.chunk", "created": created, "model": name,
                                    "choices": [], "usage": usage(n)})
                    break
            await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
            return resp
        except ConnectionResetError:  # the client went away: abort (below), nothing more to send
            return resp or web.Response(status=400)
        finally:
            if not done:
                self.engine.abort(req)


def bench(model, graphs, max_batch):
    """The engine's own decode step time, with the context of one block
    (scratch block 0): the server-side floor of TPOT at each batch size."""
    import torch
    dev = model.device
    for b in sorted({1, 8, 32, max_batch}):
        if b > max_batch:
            continue
        z = torch.zeros(b, dtype=torch.long, device=dev)
        args = (z, z, z, torch.zeros(b, 1, dtype=torch.long, device=dev), torch.ones(b, dtype=torch.long, device=dev))
        run = (lambda: graphs.run(*args)) if graphs is not None else (lambda: model.decode(*args))
        for _ in range(3):
            run()
        torch.cuda.synchronize()
        n, t0 = 20, time.perf_counter()
        for _ in range(n):
            run()
        torch.cuda.synchronize()
        ms = (time.perf_counter() - t0) * 1000 / n
        gbs = model.decode_read_bytes / (ms / 1000) / 1e9
        log(f"bench: decode step at batch {b}: {ms:.2f} ms ({1000 / ms:.1f} steps/s; weights read at {gbs:.0f} GB/s)")


def main(argv=None):
    a = parse_args(argv)
    import torch
    from aiohttp import web

    from engine import Engine
    from metrics import Metrics
    from model import SHAPES, DecodeGraphs, Model
    from tokenizer import DEFAULT_DIR, ChatTokenizer

    if a.shape not in SHAPES:
        raise SystemExit(f"gpuengine: --shape {a.shape!r} is unknown; known: {', '.join(SHAPES)}")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("gpuengine: --device cuda but torch sees no GPU; use --device cpu --shape tiny for a smoke test")
    shape = SHAPES[a.shape]
    tok = ChatTokenizer(a.tokenizer_dir or DEFAULT_DIR, byte_fallback=a.byte_tokenizer)
    log(f"tokenizer: {tok.tok.name}; chat template from tokenizer_config.json")
    dev = torch.device(a.device)
    dtype = torch.bfloat16
    kv_tok = a.kv_cache_tokens or a.max_num_seqs * 4096
    weight_bytes = shape.params() * 2
    if dev.type == "cuda":
        free, total = torch.cuda.mem_get_info(dev)
        budget = total * a.gpu_memory_utilization - (total - free) - weight_bytes - (4 << 30)  # 4 GiB for activations, graphs
        cap = int(budget // shape.kv_bytes_per_token())
        if cap < a.block_size * 2:
            raise SystemExit(f"gpuengine: no room for a KV cache: {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB, "
                             f"weights {weight_bytes / 2**30:.1f} GiB")
        kv_tok = min(kv_tok, cap)
    if kv_tok < a.max_model_len:
        raise SystemExit(f"gpuengine: the KV cache holds {kv_tok} tokens, less than --max-model-len {a.max_model_len}: "
                         f"a long request could never be scheduled; lower --max-model-len or raise --kv-cache-tokens")
    num_blocks = kv_tok // a.block_size + 1  # + scratch block 0
    t0 = time.monotonic()
    model = Model(shape, dev, dtype, num_blocks, a.block_size, a.max_model_len, a.seed)
    log(f"{shape.name} shape, random weights: {shape.params() / 1e9:.2f} B parameters, {model.weight_bytes / 1e9:.2f} GB "
        f"bf16 ({model.decode_read_bytes / 1e9:.2f} GB read per decode step); KV cache {num_blocks - 1} blocks x {a.block_size} tokens = {(num_blocks - 1) * a.block_size} tokens, "
        f"{model.kv_cache_bytes / 1e9:.1f} GB; max-num-seqs {a.max_num_seqs}, max-model-len {a.max_model_len} "
        f"({time.monotonic() - t0:.1f}s)")
    graphs = None
    if dev.type == "cuda" and not a.enforce_eager:
        t0 = time.monotonic()
        max_blocks = -(-a.max_model_len // a.block_size)
        try:
            graphs = DecodeGraphs(model, a.max_num_seqs, max_blocks, max_ctx_tokens=kv_tok * 2, log=log)
            log(f"graphs ready in {time.monotonic() - t0:.1f}s")
        except Exception as e:  # noqa: BLE001 - said loudly, and the engine still serves
            log(f"WARNING: CUDA graph capture failed, decoding EAGERLY (launch-bound): {e!r}")
            graphs = None
            torch.cuda.synchronize()
    elif dev.type == "cuda":
        log("--enforce-eager: decode runs without CUDA graphs")
    if a.startup_bench and dev.type == "cuda":
        bench(model, graphs, a.max_num_seqs)
    metrics = Metrics(a.served_model_name, a.max_model_len, {
        "block_size": a.block_size, "cache_dtype": "auto", "enable_prefix_caching": "False",
        "gpu_memory_utilization": a.gpu_memory_utilization, "num_gpu_blocks": num_blocks - 1})
    engine = Engine(model, graphs, a.max_num_seqs, tok.eos_ids, metrics, log)
    engine.start()
    srv = Server(a, engine, tok, metrics, model)

    async def run():
        runner = web.AppRunner(srv.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, a.host, a.port)
        await site.start()
        log(f"serving {a.served_model_name} on http://{a.host}:{a.port}/v1 (version {VERSION})")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            if not engine.thread.is_alive():
                log(f"engine thread died ({engine.dead!r}): exiting")
                await runner.cleanup()
                raise SystemExit(3)
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
        log(f"stopping after {engine.steps} decode steps")
        await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":
    main()
