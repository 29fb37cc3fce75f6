"""Time one full run on the embedded model, with per-step timings and token counts.

    python benchmarks/embedded_run.py [ARTICLE] [--local-model NAME] [--json FILE] [--report FILE]

Uses exactly what `debate-eval run ARTICLE` uses with no key and no base URL (the embedded
backend and its small-model profile); the server start-up is timed apart from the run. The
server runs with llama.cpp's timings on, and prefix_cache.py counts the prompt tokens evaluated
per call with the shipped article-first layout and with the instructions-first alternative.
It prints the report's time per phase (`meta.timing`: seconds, calls, prompt tokens sent, read
from the server's cache and evaluated, tokens generated) and how long the reader waited for the
rating panel.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import time
from dataclasses import replace
from pathlib import Path

from provenance import write_result

from debate_eval.debate.runner import arun_debate
from debate_eval.embedded.server import cache_dir
from debate_eval.embedded.weights import assemble
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

try:  # run as a script from the repository root
    from prefix_cache import MessageRecorder, layout_report, speeds_from_log
except ImportError:  # imported as benchmarks.embedded_run
    from benchmarks.prefix_cache import MessageRecorder, layout_report, speeds_from_log

ROOT = Path(__file__).resolve().parents[1]


def timing_table(timing) -> str:
    """meta.timing as a Markdown table, a row per phase and a total."""
    rows = ["| phase | s | calls | prompt tokens sent | cached | evaluated | generated |"]
    rows.append("|---|---:|---:|---:|---:|---:|---:|")
    total = [0.0, 0, 0, 0, 0, 0]
    for name, t in timing.items():
        u = t.usage
        values = [t.seconds, u.calls, u.input_tokens, u.cached_tokens, u.evaluated_tokens]
        values.append(u.output_tokens)
        total = [a + b for a, b in zip(total, values, strict=True)]
        rows.append(f"| {name} | {values[0]:.1f} | " + " | ".join(f"{v:,}" for v in values[1:]))
    rows.append(f"| **all phases** | {total[0]:.1f} | " + " | ".join(f"{v:,}" for v in total[1:]))
    return "\n".join(r if r.endswith("|") else r + " |" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "article", nargs="?", default=str(ROOT / "examples/pytorch-triton-cuda-oped.md")
    )
    parser.add_argument("--local-model", default=None)
    parser.add_argument("--slots", type=int, default=None, help="server slots (default: profile)")
    parser.add_argument("--rounds", type=int, default=None, help="debate rounds (default: setting)")
    parser.add_argument(
        "--max-claims", type=int, default=None, help="claims to debate (default: profile)"
    )
    parser.add_argument("--json", default=None, help="write the measurements here")
    parser.add_argument("--report", default=None, help="write the report (JSON) here")
    args = parser.parse_args()
    # Show why a structured reply needed a repair retry (debate_eval.models.calls logs it at INFO).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("debate_eval").setLevel(logging.INFO)

    flags = {"local_model": args.local_model, "rounds": args.rounds, "max_claims": args.max_claims}
    backend = select_backend(load_settings(flags, env={}))
    if args.slots:
        backend = replace(backend, local_model=replace(backend.local_model, slots=args.slots))
    options = backend.run_options()
    text = load_article(args.article).text
    recorder = MessageRecorder()
    server_log = cache_dir() / "server.log"
    log_offset = server_log.stat().st_size if server_log.exists() else 0
    t_start = time.perf_counter()
    # A fresh server that logs llama.cpp's timings, so prompt tokens evaluated can be read back.
    with open_models(backend, server_verbose=True) as models:
        ready = time.perf_counter() - t_start
        steps: list[tuple[float, str]] = []
        t0 = time.perf_counter()

        def on_event(event) -> None:
            label = type(event).__name__
            if hasattr(event, "turn"):
                label += f" {event.turn.id}"
            elif hasattr(event, "claim_id"):
                label += f" {event.claim_id}"
            steps.append((time.perf_counter() - t0, label))
            print(f"{steps[-1][0]:7.1f} s  {label}", flush=True)

        report = asyncio.run(
            arun_debate(text, models, options, on_event=on_event, callbacks=[recorder])
        )
        run_s = time.perf_counter() - t0
    # The rating panel shows at the first of these (RatingKnown: before the checklist's
    # whole-article questions, when the calibration reads only the paragraph questions).
    shown = ("RatingKnown", "RatingMeasured")
    rating_s = next((at for at, label in steps if label in shown), None)
    usage = {role: u.model_dump() for role, u in report.meta.usage.items()}
    with server_log.open("rb") as f:
        f.seek(log_offset)
        log_text = f.read().decode(errors="replace")
    prefix = layout_report(recorder.calls, assemble(backend.local_model), log_text)
    result = {
        "article": args.article,
        "words": len(text.split()),
        "model": backend.local_model.name,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "server_ready_s": round(ready, 1),
        "run_s": round(run_s, 1),
        "claims": len(report.claims),
        "rounds": options.rounds,
        "slots": backend.local_model.slots,
        "rating": report.rating.label,
        "rating_shown_s": None if rating_s is None else round(rating_s, 1),
        "usage": usage,
        "timing": {name: t.model_dump() for name, t in report.meta.timing.items()},
        "speeds": speeds_from_log(log_text),
        "prefix_cache": prefix,
    }
    print(json.dumps(result, indent=2))
    print(timing_table(report.meta.timing))
    if args.report:
        Path(args.report).write_text(report.model_dump_json(indent=2) + "\n")
    if args.json:
        write_result(args.json, result)


if __name__ == "__main__":
    main()
