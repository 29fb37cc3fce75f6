"""The embedded llama.cpp server process: llama.cpp's own C++ server engine (via xllamacpp).

    python -m debate_eval.embedded.app --model FILE --alias NAME --port PORT [--slots N]

The engine serves the OpenAI-compatible API on loopback with continuous batching over `slots`
parallel sequences, each with its own context and prompt cache (a request goes to the free slot
whose cached prompt shares the longest prefix with it). Slots do not share cached prompts, and
reading is what a CPU spends most on: the client copies a slot's cached article into the others
through the server's slot save/restore actions (`server.share_cached_prompt`), so the claims'
debates, started together, do not each read the article again. It honours
`max_completion_tokens`, `response_format: json_schema` (as a grammar) and chat `logprobs`, so
no request is rewritten.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import tempfile
import threading
from typing import Any


def build_params(
    model_path: str,
    alias: str,
    port: int,
    n_ctx: int,
    threads: int,
    slots: int,
    verbose: bool,
    slot_dir: str = "",
) -> Any:
    """xllamacpp's server parameters: `n_ctx` tokens per slot, loopback only."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.model_alias = {alias}
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = slots
    # llama.cpp splits n_ctx between the slots.
    params.n_ctx = n_ctx * slots
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_batch = 512
    # 3: info (timings per call, prompt tokens taken from the cache); 1: errors only.
    params.verbosity = 3 if verbose else 1
    # Where slot states are saved to and restored from (enables /slots/{id}?action=…).
    params.slot_save_path = slot_dir
    return params


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="debate-eval's embedded llama.cpp server")
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--alias", required=True, help="model name clients ask for")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=8192, help="context tokens per slot")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--slots", type=int, default=1, help="parallel sequences")
    parser.add_argument("--verbose", action="store_true", help="log llama.cpp timings per call")
    args = parser.parse_args(argv)

    import xllamacpp

    slot_dir = tempfile.mkdtemp(prefix="debate-eval-slots-")
    params = build_params(
        args.model,
        args.alias,
        args.port,
        args.n_ctx,
        args.threads,
        args.slots,
        args.verbose,
        slot_dir,
    )
    done = threading.Event()
    # SIGTERM (from `stop`) ends the process through the same path as Ctrl-C: the server object
    # is dropped, which stops its loop and HTTP threads before the interpreter exits.
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    server = xllamacpp.Server(params)
    try:
        while not done.wait(timeout=1.0):
            pass
    finally:
        del server
        shutil.rmtree(slot_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
