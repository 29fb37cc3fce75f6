"""Prompt tokens the embedded server must evaluate per call, for two prompt layouts.

Used by benchmarks/embedded_run.py. llama.cpp keeps the KV cache of the previous request and
re-evaluates only what follows the longest common token prefix with it. We count that for
- `article_first` (what debate-eval sends: shared context and article, then the role's text), and
- `instructions_first` (the same messages with the role's instructions before the article),
with the model's own tokenizer and chat template, and check the first count against the
timings the server logged for the same run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, SystemMessage

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_PROMPT_EVAL_RE = re.compile(r"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens")


class MessageRecorder(BaseCallbackHandler):
    """Keeps the messages of every chat model call, in call order."""

    def __init__(self) -> None:
        self.calls: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
        self.calls.extend(list(batch) for batch in messages)


def as_dicts(messages: Sequence[BaseMessage]) -> list[dict]:
    return [{"role": _ROLES[m.type], "content": m.text} for m in messages]


def instructions_first(messages: Sequence[BaseMessage]) -> list[dict]:
    """The same call with the role's instructions ahead of the shared context and article."""
    first, *rest = messages
    if not isinstance(first, SystemMessage) or not rest:
        return as_dicts(messages)
    role_prompt, *later = rest
    merged = f"{role_prompt.text}\n\n{first.text}"
    return [{"role": "system", "content": merged}, *as_dicts(later)]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def evaluated_per_call(prompts: Sequence[list[int]]) -> list[int]:
    """Tokens evaluated per call by a single-slot prefix cache (llama-cpp-python's server)."""
    out, previous = [], []
    for tokens in prompts:
        # llama.cpp re-evaluates at least the last token, to get logits for the reply.
        out.append(max(1, len(tokens) - common_prefix(previous, tokens)))
        previous = tokens
    return out


class Tokenizer:
    """The GGUF's tokenizer and chat template, without loading the weights' tensors."""

    def __init__(self, gguf: Path) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.llm = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
        meta = self.llm.metadata
        vocab = self.llm._model
        self.formatter = Jinja2ChatFormatter(
            template=meta["tokenizer.chat_template"],
            eos_token=vocab.token_get_text(vocab.token_eos()),
            bos_token=vocab.token_get_text(vocab.token_bos()) if vocab.token_bos() >= 0 else "",
        )

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        prompt = self.formatter(messages=messages).prompt
        return self.llm.tokenize(prompt.encode(), add_bos=False, special=True)


_TIMING_RE = re.compile(r"(prompt eval|\s eval) time =\s*([\d.]+) ms /\s*(\d+) (?:tokens|runs)")


def speeds_from_log(log_text: str) -> dict:
    """Prompt and generation tokens per second over all calls, from llama.cpp's timings."""
    totals = {"prompt eval": [0.0, 0], " eval": [0.0, 0]}
    for kind, ms, count in _TIMING_RE.findall(log_text):
        key = "prompt eval" if kind == "prompt eval" else " eval"
        totals[key][0] += float(ms)
        totals[key][1] += int(count)

    def rate(ms: float, count: int) -> float | None:
        return round(count / (ms / 1000), 1) if ms else None

    return {
        "prompt_tokens_per_s": rate(*totals["prompt eval"]),
        "generation_tokens_per_s": rate(*totals[" eval"]),
    }


def measured_from_log(log_text: str) -> list[int]:
    """Prompt tokens evaluated per call, as llama.cpp reported them in a verbose server log."""
    return [int(n) for n in _PROMPT_EVAL_RE.findall(log_text)]


def layout_report(calls: Sequence[Sequence[BaseMessage]], gguf: Path, log_text: str) -> dict:
    measured = measured_from_log(log_text)
    try:
        tok = Tokenizer(gguf)
    except ImportError:  # the counts need llama-cpp-python's tokenizer; the server's stand
        return {
            "calls": len(calls),
            "measured_article_first": {"evaluated_total": sum(measured), "per_call": measured},
        }
    shipped = [tok.prompt_tokens(as_dicts(c)) for c in calls]
    other = [tok.prompt_tokens(instructions_first(c)) for c in calls]
    a, b = evaluated_per_call(shipped), evaluated_per_call(other)
    return {
        "calls": len(calls),
        "prompt_tokens_sent": sum(len(t) for t in shipped),
        "article_first": {"evaluated_total": sum(a), "per_call": a},
        "instructions_first": {"evaluated_total": sum(b), "per_call": b},
        "measured_article_first": {"evaluated_total": sum(measured), "per_call": measured},
    }
