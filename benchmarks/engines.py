"""Embedded engines side by side: prompt and generation tokens/s at 1, 2 and 4 concurrent requests.

    python benchmarks/engines.py [--json FILE] [--levels 1,2,4]

Engines (each measured if installed, one after the other, never at the same time):
- `xllamacpp`: what debate-eval ships (`python -m debate_eval.embedded.app`, parallel slots);
- `llama-cpp-python`: the earlier engine (`python -m llama_cpp.server`, one request at a time).
Same GGUF, same threads, temperature 0. Prompt speed: c requests at once, each a distinct
~600-token prompt (a nonce first, so no cache helps) answered with 1 token; generation speed: c
short prompts answered with up to 96 tokens. Aggregate = all tokens / wall time of the batch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from provenance import write_result

from debate_eval.embedded.server import free_port, serves
from debate_eval.embedded.weights import DEFAULT_LOCAL_MODEL, assemble, get_local_model

ROOT = Path(__file__).resolve().parents[1]
GEN_TOKENS = 96


def engine_command(engine: str, gguf: Path, alias: str, port: int, slots: int) -> list[str]:
    threads = str(min(os.cpu_count() or 2, 8))
    if engine == "xllamacpp":
        return [sys.executable, "-m", "debate_eval.embedded.app", "--model", str(gguf),
                "--alias", alias, "--port", str(port), "--threads", threads,
                "--slots", str(slots)]  # fmt: skip
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
            "--model_alias", alias, "--port", str(port), "--host", "127.0.0.1",
            "--n_ctx", "8192", "--n_threads", threads, "--n_threads_batch", threads]  # fmt: skip


def installed(engine: str) -> bool:
    module = "xllamacpp" if engine == "xllamacpp" else "llama_cpp"
    return importlib.util.find_spec(module) is not None


@contextlib.contextmanager
def running(engine: str, gguf: Path, alias: str, slots: int) -> Iterator[str]:
    port = free_port()
    cmd = engine_command(engine, gguf, alias, port, slots)
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while not serves(base_url, alias, timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{engine} did not start: {' '.join(cmd)}")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def long_prompt(nonce: str, words: str) -> list[dict]:
    return [
        {"role": "system", "content": f"Request {nonce}. You summarise articles."},
        {"role": "user", "content": f"<article>\n{words}\n</article>\nOne word: the topic?"},
    ]


def short_prompt(nonce: str) -> list[dict]:
    return [{"role": "user", "content": f"Story {nonce}: write a long story about a lighthouse."}]


async def batch(base_url: str, alias: str, prompts: list[list[dict]], max_tokens: int) -> dict:
    async with httpx.AsyncClient(timeout=900) as client:

        async def one(messages: list[dict]) -> dict:
            body = {"model": alias, "messages": messages, "max_tokens": max_tokens,
                    "temperature": 0}  # fmt: skip
            reply = await client.post(f"{base_url}/chat/completions", json=body)
            reply.raise_for_status()
            return reply.json()["usage"]

        t0 = time.perf_counter()
        usages = await asyncio.gather(*(one(m) for m in prompts))
        wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 2),
        "prompt_tokens": sum(u["prompt_tokens"] for u in usages),
        "completion_tokens": sum(u["completion_tokens"] for u in usages),
    }


def measure_engine(engine: str, gguf: Path, alias: str, levels: list[int], text: str) -> dict:
    words = " ".join(text.split()[:420])
    rows = []
    with running(engine, gguf, alias, max(levels)) as base_url:
        asyncio.run(batch(base_url, alias, [short_prompt("warm-up")], 4))
        for c in levels:
            tag = f"{engine}-{c}"
            prefill = asyncio.run(
                batch(base_url, alias, [long_prompt(f"{tag}-{i}", words) for i in range(c)], 1)
            )
            gen = asyncio.run(
                batch(base_url, alias, [short_prompt(f"{tag}-{i}") for i in range(c)], GEN_TOKENS)
            )
            rows.append(
                {
                    "concurrent": c,
                    "prompt_tokens_per_s": round(prefill["prompt_tokens"] / prefill["wall_s"], 1),
                    "generation_tokens_per_s": round(gen["completion_tokens"] / gen["wall_s"], 1),
                    "prefill": prefill,
                    "generation": gen,
                }
            )
            print(engine, rows[-1], flush=True)
    one = rows[0]["generation_tokens_per_s"]
    return {
        "runs": rows,
        "generation_speedup": {
            str(r["concurrent"]): round(r["generation_tokens_per_s"] / one, 2) for r in rows
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--levels", default="1,2,4", help="concurrent requests, comma-separated")
    parser.add_argument("--engines", default="xllamacpp,llama-cpp-python")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    model = get_local_model(DEFAULT_LOCAL_MODEL)
    gguf = assemble(model)
    text = (ROOT / "examples/pytorch-triton-cuda-oped.md").read_text()
    results: dict = {"model": model.name, "levels": levels, "engines": {}}
    for engine in args.engines.split(","):
        if not installed(engine):
            results["engines"][engine] = {"skipped": "not installed"}
            continue
        results["engines"][engine] = measure_engine(engine, gguf, model.name, levels, text)
    print(json.dumps(results, indent=2))
    if args.json:
        write_result(args.json, results)


if __name__ == "__main__":
    main()
