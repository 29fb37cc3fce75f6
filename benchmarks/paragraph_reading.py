"""Prompt tokens the embedded server evaluates to read an article once, paragraph by paragraph.

    python benchmarks/paragraph_reading.py [ARTICLE] [--variants asked,all-at-once] [--json F]

The screener's reading (scoring/paragraphs.py: every question about every paragraph) on a fresh
embedded server per variant, so no variant finds another's prompt in the cache:
- `asked`: calls wait on the client for a server slot, in the order asked (what `run` and
  `eval` do), so a paragraph's questions follow each other;
- `all-at-once`: every call sent together, the server's queue taking them as they arrive.
Tokens evaluated = prompt tokens sent − tokens the server read from its cache (llama.cpp sends
usage.prompt_tokens_details.cached_tokens). Run it from another checkout (PYTHONPATH=its src)
to measure that version's prompt side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import time
from pathlib import Path

from debate_eval.debate.agents.screener import read_article
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def measure(text: str, variant: str, backend) -> dict:
    with open_models(backend) as models:
        slots = backend.local_model.slots if variant == "asked" else None
        kwargs = {"slots": slots} if "slots" in inspect.signature(read_article).parameters else {}
        t0 = time.perf_counter()
        reading, usage = asyncio.run(read_article(text, models.judge, **kwargs))
        seconds = time.perf_counter() - t0
    return {
        "variant": variant,
        "units_read": sum(bool(u.probabilities) for u in reading.units),
        "calls": usage.calls,
        "prompt_tokens": usage.input_tokens,
        "cached_tokens": usage.cached_tokens,
        "evaluated_tokens": usage.input_tokens - usage.cached_tokens,
        "generated_tokens": usage.output_tokens,
        "seconds": round(seconds, 1),
        "answers": [u.probabilities for u in reading.units if u.probabilities],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "article", nargs="?", default=str(ROOT / "examples/pytorch-triton-cuda-oped.md")
    )
    parser.add_argument("--variants", default="asked,all-at-once")
    parser.add_argument("--json", default=None, help="write the measurements here")
    args = parser.parse_args()
    backend = select_backend(load_settings({}, env={}))
    text = load_article(args.article).text
    results = [measure(text, v, backend) for v in args.variants.split(",")]
    for r in results:
        print(
            f"{r['variant']:>12}: {r['calls']} calls, {r['prompt_tokens']} prompt tokens sent, "
            f"{r['cached_tokens']} cached, {r['evaluated_tokens']} evaluated, "
            f"{r['seconds']} s"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
