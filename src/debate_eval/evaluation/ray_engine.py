"""`eval --engine ray`: one Ray task per article (its debates and every judge); results flow
back to the driver's single results store.

A task gets the article's stored rows, so finished work is not redone; a task whose worker dies
is retried by Ray, and its rows replace by key, so every article is stored exactly once.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from debate_eval.core.errors import InputError
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.store import Judgment, ResultsStore
from debate_eval.models.settings import Settings

TASK_RETRIES = 3


def evaluate_on_worker(
    example: Example, spec, settings: Settings, rows: dict[str, list[tuple]]
) -> tuple[dict[str, list[tuple]], list[dict]]:
    """Run on a Ray worker: debate and judge one article; its stored rows and judgments."""
    from debate_eval.evaluation.harness import evaluate_article
    from debate_eval.evaluation.models import open_eval_models
    from debate_eval.evaluation.store import StoreCache
    from debate_eval.models.backend import select_backend

    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(Path(tmp) / "article.sqlite")
        try:
            store.add_rows(rows)
            backend = select_backend(settings)
            with open_eval_models(backend, StoreCache(store), spec.concurrency) as models:
                judgments = asyncio.run(
                    evaluate_article(example, spec.plan(models), models.debate, spec.options, store)
                )
            return store.rows_for(example.id), [asdict(j) for j in judgments]
        finally:
            store.close()


def run_eval_ray(
    examples: Sequence[Example],
    spec,
    settings: Settings,
    store: ResultsStore,
    address: str | None,
    on_article_done: Callable[[Example], None] | None = None,
) -> list[Judgment]:
    """All judgments, one Ray task per article, on the cluster at `address` (None: a local
    Ray started for this run)."""
    import ray

    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(
            f"cannot connect to Ray at {address or 'a new local cluster'}: {exc}"
        ) from exc
    task = ray.remote(max_retries=TASK_RETRIES)(evaluate_on_worker)
    try:
        pending = {task.remote(e, spec, settings, store.rows_for(e.id)): e for e in examples}
        by_article: dict[str, list[Judgment]] = {}
        while pending:
            [ready], _ = ray.wait(list(pending), num_returns=1)
            example = pending.pop(ready)
            rows, judgments = ray.get(ready)
            store.add_rows(rows)
            by_article[example.id] = [Judgment(**j) for j in judgments]
            if on_article_done is not None:
                on_article_done(example)
    finally:
        ray.shutdown()
    return [j for e in examples for j in by_article[e.id]]
