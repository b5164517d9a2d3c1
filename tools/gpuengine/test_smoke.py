"""CPU smoke test of tools/gpuengine's tiny shape: serve.py starts on a
loopback port with --shape tiny --device cpu and a byte tokenizer (no
tokenizer download), answers a plain and a streamed chat completion with
exactly max_tokens tokens, and exports vLLM's /metrics series.

    python3 -m unittest -v tools/gpuengine/test_smoke.py   (scripts/gpuengine-check.sh)

Skipped, with the reason printed, where a package the engine needs (torch,
aiohttp, jinja2, prometheus_client) is not installed: CI hosts without
PyTorch. Every wait is bounded (STARTUP_S, REQUEST_S).
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
NEEDED = ("torch", "aiohttp", "jinja2", "prometheus_client")
STARTUP_S = 180
REQUEST_S = 120
MAX_TOKENS = 6
MODEL = "gpuengine-tiny"

# A tokenizer_config.json of Qwen3's form, cut to what the engine reads:
# the special tokens (ids as in Qwen3's file), the EOS token and a
# ChatML template. With --byte-tokenizer, tokenizer.json only has to exist.
TOKENIZER_CONFIG = {
    "added_tokens_decoder": {
        "151643": {"content": "<|endoftext|>"},
        "151644": {"content": "<|im_start|>"},
        "151645": {"content": "<|im_end|>"},
    },
    "eos_token": "<|im_end|>",
    "chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                     "{% endfor %}<|im_start|>assistant\n",
}


def missing():
    return [m for m in NEEDED if importlib.util.find_spec(m) is None]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skip_reason():
    m = missing()
    if not m:
        return ""
    return (f"not run: {', '.join(m)} not installed for {sys.executable} "
            f"(the engine needs {', '.join(NEEDED)}; pip install them, torch from pytorch.org)")


@unittest.skipIf(missing(), skip_reason())
class TinyShapeOnCPU(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.tmp.name, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(TOKENIZER_CONFIG, f)
        open(os.path.join(cls.tmp.name, "tokenizer.json"), "w").close()
        cls.port = free_port()
        cls.base = f"http://127.0.0.1:{cls.port}"
        cls.log = open(os.path.join(cls.tmp.name, "engine.log"), "w+", encoding="utf-8")
        cls.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "serve.py"), "--shape", "tiny", "--device", "cpu",
             "--host", "127.0.0.1", "--port", str(cls.port), "--served-model-name", MODEL,
             "--tokenizer-dir", cls.tmp.name, "--byte-tokenizer", "--max-num-seqs", "2",
             "--max-model-len", "256", "--kv-cache-tokens", "1024", "--api-key", ""],
            stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_S
        while True:
            if cls.proc.poll() is not None:
                raise AssertionError(f"serve.py exited with {cls.proc.returncode} at start:\n{cls.engine_log()}")
            try:
                with urllib.request.urlopen(cls.base + "/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                cls.tearDownClass()
                raise AssertionError(f"serve.py not healthy within {STARTUP_S}s:\n{cls.engine_log()}")
            time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.terminate()
            try:
                cls.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        cls.log.close()
        cls.tmp.cleanup()

    @classmethod
    def engine_log(cls):
        cls.log.flush()
        cls.log.seek(0)
        return cls.log.read()[-4000:]

    def post(self, body):
        req = urllib.request.Request(self.base + "/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        return urllib.request.urlopen(req, timeout=REQUEST_S)

    def body(self, stream):
        return {"model": MODEL, "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
                "max_tokens": MAX_TOKENS, "ignore_eos": True, "stream": stream,
                **({"stream_options": {"include_usage": True}} if stream else {})}

    def test_plain(self):
        with self.post(self.body(False)) as r:
            out = json.load(r)
        self.assertEqual(out["object"], "chat.completion")
        self.assertEqual(out["choices"][0]["finish_reason"], "length")
        self.assertEqual(out["usage"]["completion_tokens"], MAX_TOKENS)
        self.assertGreater(out["usage"]["prompt_tokens"], 0)

    def test_stream(self):
        chunks, done, usage = 0, False, None
        with self.post(self.body(True)) as r:
            for raw in r:
                line = raw.decode().strip()
                if not line.startswith("data: "):
                    continue
                data = line[len("data: "):]
                if data == "[DONE]":
                    done = True
                    break
                c = json.loads(data)
                if c.get("usage"):
                    usage = c["usage"]
                if c["choices"]:
                    chunks += 1
        self.assertTrue(done, "the stream ends with data: [DONE]")
        self.assertGreater(chunks, 0)
        self.assertIsNotNone(usage, "stream_options.include_usage gives a usage chunk")
        self.assertEqual(usage["completion_tokens"], MAX_TOKENS)

    def test_metrics(self):
        self.post(self.body(False)).close()
        with urllib.request.urlopen(self.base + "/metrics", timeout=REQUEST_S) as r:
            text = r.read().decode()
        for series in ("vllm:num_requests_running", "vllm:generation_tokens_total", "vllm:time_to_first_token_seconds_bucket"):
            self.assertIn(series, text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
