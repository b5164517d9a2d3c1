"""Continuous batching: a scheduler thread that admits waiting requests
between decode steps, prefills each admitted one, then decodes one token for
every running request per step. Requests beyond --max-num-seqs, or beyond
the free KV blocks, wait; when a running request needs a block and none is
free, the newest running request is preempted (its blocks freed; it is
recomputed from its tokens when readmitted), as vLLM's V1 scheduler does."""

import collections
import queue
import threading
import time
import traceback

import torch


class Request:
    __slots__ = ("id", "prompt", "max_tokens", "min_tokens", "temperature", "ignore_eos", "out", "loop",
                 "arrival", "scheduled", "first_token", "last_token", "finished_at", "generated", "blocks",
                 "num_computed", "finish_reason", "aborted", "error", "preemptions")

    def __init__(self, rid, prompt, max_tokens, temperature, min_tokens, ignore_eos, out, loop):
        self.id, self.prompt, self.max_tokens = rid, prompt, max_tokens
        self.temperature, self.min_tokens, self.ignore_eos = temperature, min_tokens, ignore_eos
        self.out, self.loop = out, loop  # an asyncio.Queue and its loop
        self.arrival = time.monotonic()
        self.scheduled = self.first_token = self.last_token = self.finished_at = None
        self.generated, self.blocks = [], []
        self.num_computed = 0
        self.finish_reason = self.error = None
        self.aborted = False
        self.preemptions = 0

    def tokens(self):
        return self.prompt + self.generated


class Engine:
    def __init__(self, model, graphs, max_num_seqs, eos_ids, metrics, log, prefill_budget=8192):
        self.m, self.graphs = model, graphs
        self.max_num_seqs, self.eos_ids, self.metrics, self.log = max_num_seqs, eos_ids, metrics, log
        self.bs = model.block_size
        self.free_blocks = list(range(model.num_blocks - 1, 0, -1))  # block 0 is scratch
        self.usable_blocks = model.num_blocks - 1
        self.prefill_budget = prefill_budget
        self.submit_q = queue.Queue()
        self.waiting = collections.deque()
        self.running = []
        self.dead = None  # the exception that stopped the loop
        self.steps = 0
        self.thread = threading.Thread(target=self._main, name="engine", daemon=True)

    # ----- called from the HTTP side (any thread)

    def start(self):
        self.thread.start()

    def submit(self, req):
        if self.dead is not None:
            raise RuntimeError(f"engine stopped: {self.dead!r}")
        self.submit_q.put(req)

    def abort(self, req):
        req.aborted = True
        self.submit_q.put(None)  # wake the loop

    # ----- the loop

    def _main(self):
        try:
            while True:
                self._step()
        except BaseException as e:  # noqa: BLE001 - fail loudly, never hang
            self.dead = e
            self.log("engine loop failed:\n" + traceback.format_exc())
            for r in list(self.running) + list(self.waiting) + self._drain():
                self._send(r, ("error", f"engine loop failed: {e!r}"))
            raise

    def _drain(self):
        out = []
        while True:
            try:
                r = self.submit_q.get_nowait()
            except queue.Empty:
                return out
            if r is not None:
                out.append(r)

    def _send(self, req, item):
        req.loop.call_soon_threadsafe(req.out.put_nowait, item)

    def _step(self):
        block = not self.running and not self.waiting
        while True:
            try:
                r = self.submit_q.get(timeout=0.5) if block else self.submit_q.get_nowait()
            except queue.Empty:
                break
            block = False
            if r is not None:
                self.waiting.append(r)
        self._reap_aborted()
        self._admit()
        if self.running:
            self._decode()
        self.metrics.scheduler(len(self.running), len(self.waiting), 1 - len(self.free_blocks) / self.usable_blocks)

    def _reap_aborted(self):
        for r in [r for r in self.running if r.aborted]:
            self.running.remove(r)
            self._finish(r, "abort")
        if any(r.aborted for r in self.waiting):
            for r in [r for r in self.waiting if r.aborted]:
                self.waiting.remove(r)
                self._finish(r, "abort")

    def _blocks_for(self, n_tokens):
        return -(-n_tokens // self.bs)

    def _admit(self):
        budget = self.prefill_budget
        admitted = []
        while self.waiting and len(self.running) + len(admitted) < self.max_num_seqs:
            r = self.waiting[0]
            n = len(r.tokens())
            if admitted and n > budget:
                break
            need = self._blocks_for(n + 1)
            if need > len(self.free_blocks):
                break
            self.waiting.popleft()
            r.blocks = [self.free_blocks.pop() for _ in range(need)]
            admitted.append(r)
            budget -= n
        for r in admitted:
            self._prefill(r)

    def _slot(self, r, pos):
        return r.blocks[pos // self.bs] * self.bs + pos % self.bs

    def _prefill(self, r):
        now = time.monotonic()
        if r.scheduled is None:
            r.scheduled = now
            self.metrics.queued(now - r.arrival)
        toks = r.tokens()
        dev = self.m.device
        slots = torch.tensor([self._slot(r, p) for p in range(len(toks))], dtype=torch.long, device=dev)
        logits = self.m.prefill(torch.tensor(toks, dtype=torch.long, device=dev), slots)
        r.num_computed = len(toks)
        nxt = self._sample(logits.unsqueeze(0), [r])[0]
        self.metrics.iteration(prompt=len(toks) if not r.generated else 0)
        if not r.generated:
            self.metrics.prompt(len(toks))
        self._emit(r, nxt, time.monotonic())
        if r.finish_reason is None:
            self.running.append(r)
        else:
            self._finish(r, r.finish_reason)

    def _decode(self):
        # Every running request needs a slot for its newest token; preempt the
        # newest request while blocks run out.
        i = 0
        while i < len(self.running):
            r = self.running[i]
            if r.num_computed // self.bs >= len(r.blocks):
                if self.free_blocks:
                    r.blocks.append(self.free_blocks.pop())
                else:
                    victim = self.running.pop()
                    self._preempt(victim)
                    continue
            i += 1
        if not self.running:
            return
        rs = self.running
        dev = self.m.device
        nb = max(len(r.blocks) for r in rs)
        toks = torch.tensor([r.generated[-1] for r in rs], dtype=torch.long)
        pos = torch.tensor([r.num_computed for r in rs], dtype=torch.long)
        slots = torch.tensor([self._slot(r, r.num_computed) for r in rs], dtype=torch.long)
        bt = torch.tensor([r.blocks + [0] * (nb - len(r.blocks)) for r in rs], dtype=torch.long)
        args = [t.to(dev, non_blocking=True) for t in (toks, pos, slots, bt, pos + 1)]
        logits = self.graphs.run(*args) if self.graphs is not None else self.m.decode(*args)
        nxt = self._sample(logits, rs)
        now = time.monotonic()
        self.steps += 1
        self.metrics.iteration(generation=len(rs))
        done = []
        for r, t in zip(rs, nxt):
            r.num_computed += 1
            self._emit(r, t, now)
            if r.finish_reason is not None:
                done.append(r)
        for r in done:
            self.running.remove(r)
            self._finish(r, r.finish_reason)

    def _preempt(self, r):
        self.free_blocks.extend(r.blocks)
        r.blocks, r.num_computed = [], 0
        r.preemptions += 1
        self.metrics.preempted()
        self.waiting.appendleft(r)

    def _sample(self, logits, rs):
        temps = torch.tensor([max(r.temperature, 0.0) for r in rs], dtype=torch.float32, device=logits.device)
        gumbel = -torch.empty_like(logits).exponential_().log()
        greedy = (temps == 0).unsqueeze(1)
        scores = torch.where(greedy, logits, logits / temps.clamp_min(1e-5).unsqueeze(1) + gumbel)
        return scores.argmax(-1).tolist()

    def _emit(self, r, tok, now):
        r.generated.append(tok)
        if r.first_token is None:
            r.first_token = now
            self.metrics.ttft(now - r.arrival)
        elif r.last_token is not None and len(r.generated) > 1:
            self.metrics.itl(now - r.last_token)
        r.last_token = now
        self.metrics.generation(1)
        n = len(r.generated)
        if n >= r.max_tokens:
            r.finish_reason = "length"
        elif tok in self.eos_ids and not r.ignore_eos and n >= r.min_tokens:
            r.finish_reason = "stop"
        elif len(r.prompt) + n >= self.m.max_model_len:
            r.finish_reason = "length"
        self._send(r, ("token", tok))

    def _finish(self, r, reason):
        self.free_blocks.extend(r.blocks)
        r.blocks = []
        r.finished_at = time.monotonic()
        r.finish_reason = reason
        self.metrics.finished(r)
        self._send(r, ("done", reason))
