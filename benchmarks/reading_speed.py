"""How fast the embedded server reads prompts and writes replies, by the size of the new prompt.

    python benchmarks/reading_speed.py [--sizes 10,25,50,100,200,400,800] [--repeats 2]

A fresh server for the default local model (one slot, llama.cpp's timings on); the example op-ed
as the shared system message, read once first, then for each size a user turn of that many
new words with a one-token reply, each asked `--repeats` times with a different opening word
(so none is read from the cache). Prints the server's own prompt tokens evaluated and tokens/s
per call, then one 100-token reply's generation speed: the floor under a run's time
(docs/performance.md, "Where the 5 minutes go").
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from debate_eval.embedded.server import embedded_server
from debate_eval.embedded.weights import DEFAULT_LOCAL_MODEL, get_local_model

ROOT = Path(__file__).resolve().parents[1]
WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "seven",
    "tired",
    "engineers",
    "argue",
    "about",
    "compilers",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,25,50,100,200,400,800")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    model = get_local_model(DEFAULT_LOCAL_MODEL)
    article = (ROOT / "examples/pytorch-triton-cuda-oped.md").read_text()
    with embedded_server(model, verbose=True) as base_url, httpx.Client(timeout=600) as client:

        def ask(user: str, max_tokens: int = 1) -> tuple[float, dict]:
            t0 = time.perf_counter()
            reply = client.post(
                f"{base_url}/chat/completions",
                json={
                    "model": model.name,
                    "messages": [
                        {"role": "system", "content": "Read this.\n" + article},
                        {"role": "user", "content": user},
                    ],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                },
            )
            reply.raise_for_status()
            return time.perf_counter() - t0, reply.json().get("timings", {})

        ask("hello")  # reads the article once: later calls find it cached
        print("new words | call | seconds | prompt tokens evaluated | read tokens/s")
        for size in (int(s) for s in args.sizes.split(",")):
            for k in range(args.repeats):
                words = " ".join(WORDS[i % len(WORDS)] for i in range(size))
                seconds, timings = ask(f"variant {k} {size}: {words}")
                print(
                    f"{size} | {k} | {seconds:.2f} | {timings.get('prompt_n')} | "
                    f"{timings.get('prompt_per_second', 0):.1f}",
                    flush=True,
                )
        seconds, timings = ask("Write a long essay about compilers.", max_tokens=100)
        print(
            f"generation: {timings.get('predicted_n')} tokens in {seconds:.2f} s, "
            f"{timings.get('predicted_per_second', 0):.1f} tokens/s"
        )


if __name__ == "__main__":
    main()
