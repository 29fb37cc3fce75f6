"""`debate-eval eval`: load a dataset, run the judges, write results, summary and report."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from debate_eval.core.errors import InputError
from debate_eval.debate.runner import RunOptions
from debate_eval.evaluation.config import build_judges, judge_names, read_judge_config
from debate_eval.evaluation.datasets import DEFAULT_SCHEME, Example, get_scheme, load_dataset
from debate_eval.evaluation.harness import (
    ADVOCATE_FIRST,
    REPEAT_TEMPERATURE,
    EvalPlan,
    run_eval,
    stored_debates,
)
from debate_eval.evaluation.html_report import render_html
from debate_eval.evaluation.models import EvalModels, open_eval_models
from debate_eval.evaluation.store import ResultsStore, StoreCache
from debate_eval.evaluation.summary import result_rows, summarise
from debate_eval.inputs.article import for_the_models
from debate_eval.models.backend import Backend


@dataclass
class EvalRequest:
    dataset: Path
    judges: str
    out: Path
    judge_config: Path | None = None
    limit: int | None = None
    repeats: int = 1
    concurrency: int = 4
    swap: bool = True
    dataset_format: str | None = None
    labels: str | None = None
    ground_truth: Path | None = None
    engine: str = "local"
    ray_address: str | None = None


ENGINES = ("local", "ray")


@dataclass(frozen=True)
class EvalSpec:
    """What every article gets (picklable: Ray workers rebuild their models from it)."""

    names: list[str]
    config: object
    repeats: int
    swap: bool
    concurrency: int
    options: RunOptions

    def plan(self, models: EvalModels) -> EvalPlan:
        temperature = REPEAT_TEMPERATURE if self.repeats > 1 else None

        def judges_for(repeat: int):
            return build_judges(
                self.names,
                self.config,
                models.judge_base,
                models.make_judge_model,
                method=models.structured_method,
                repeat=repeat,
                temperature=temperature,
                endpoint_label=models.endpoint_label,
            )

        return EvalPlan(
            judges_for_repeat=judges_for,
            repeats=self.repeats,
            swap=self.swap,
            article_concurrency=models.article_concurrency,
        )


def write_outputs(out: Path, rows: list[dict], summary: dict, html: str) -> None:
    (out / "results.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.html").write_text(html, encoding="utf-8")


def summary_table(summary: dict) -> Table:
    table = Table(title="Judges compared")
    for col in (
        "judge",
        "accuracy",
        "95% CI",
        "bal. acc",
        "CV bal. acc",
        "AUC",
        "macro F1",
        "kappa",
        "swap",
        "self",
        "unscored",
        "tokens in",
        "latency s",
    ):
        table.add_column(col, justify="left" if col == "judge" else "right")

    def f(v) -> str:
        return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    for name, m in summary["judges"].items():
        ci = m["accuracy_ci95"]
        cv = m.get("probability_scored", {}).get("cross_validation", {})
        table.add_row(
            name,
            f(m["accuracy"]),
            "–" if not ci else f"{ci[0]:.2f}–{ci[1]:.2f}",
            f(m["balanced_accuracy"]),
            f(cv.get("balanced_accuracy")),
            f(cv.get("auc")),
            f(m["macro_f1"]),
            f(m["kappa"]),
            f(m["swap_consistency"]),
            f(m["self_consistency"]),
            str(m["unscored"]),
            f(m["tokens_in"]["mean"]),
            f(m["latency_s"]["mean"]),
        )
    return table


def _fit(example: Example, max_words: int, console: Console) -> Example:
    """The example as the models will read it (cut, AI-addressed text left out), said aloud."""
    notices: list[str] = []
    text = for_the_models(example.text, max_words, notices)
    for notice in notices:
        console.print(f"[yellow]{example.id}:[/] {notice}", soft_wrap=True)
    return replace(example, text=text) if notices else example


def run_evaluation(
    request: EvalRequest,
    backend: Backend,
    console: Console,
    models_factory: Callable[[StoreCache, int], contextlib.AbstractContextManager[EvalModels]]
    | None = None,
) -> dict:
    """Run (or resume) an evaluation into request.out; returns the summary."""
    if request.repeats < 1 or request.concurrency < 1:
        raise InputError("--repeats and --concurrency must be at least 1")
    if request.out.exists() and not request.out.is_dir():
        raise InputError(f"--out {request.out}: is a file, not a folder")
    examples, fmt = load_dataset(request.dataset, request.dataset_format, request.ground_truth)
    scheme = get_scheme(request.labels or DEFAULT_SCHEME[fmt])
    for e in examples:
        scheme.gold_class(e.label)  # an unmappable label fails now, not after hours of work
    if request.limit is not None:
        examples = examples[: max(0, request.limit)]
    examples = [_fit(e, backend.max_article_words, console) for e in examples]
    config = read_judge_config(request.judge_config)
    names = judge_names(request.judges, config)
    if request.engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, not {request.engine!r}")
    if request.engine == "ray" and backend.local_model is not None:
        raise InputError("--engine ray needs a remote endpoint (--base-url or OPENAI_API_KEY)")
    request.out.mkdir(parents=True, exist_ok=True)
    store = ResultsStore(request.out / "results.sqlite")
    cache = StoreCache(store)
    factory = models_factory or (lambda c, k: open_eval_models(backend, c, k))
    spec = EvalSpec(
        names=names,
        config=config,
        repeats=request.repeats,
        swap=request.swap,
        concurrency=request.concurrency,
        options=replace(backend.run_options(), max_concurrency=None),
    )
    try:
        with factory(cache, request.concurrency) as models:
            options = spec.options
            with Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            ) as progress:
                task = progress.add_task("articles", total=len(examples))
                if request.engine == "ray":
                    from debate_eval.evaluation.ray_engine import run_eval_ray

                    judgments = run_eval_ray(
                        examples,
                        spec,
                        backend.settings,
                        store,
                        request.ray_address,
                        on_article_done=lambda _e: progress.advance(task),
                    )
                else:
                    judgments = asyncio.run(
                        run_eval(
                            examples,
                            spec.plan(models),
                            models.debate,
                            options,
                            store,
                            on_article_done=lambda _e: progress.advance(task),
                        )
                    )
            debates = stored_debates(examples, models.debate, options, store)
        summary = summarise(judgments, examples, scheme, debates, names)
        summary["cache_hits"] = cache.hits
        rows = result_rows(judgments, examples, scheme)
        html = render_html(
            summary,
            examples,
            {aid: d for (aid, order), d in debates.items() if order == ADVOCATE_FIRST},
        )
        write_outputs(request.out, rows, summary, html)
    finally:
        store.close()
    console.print(summary_table(summary))
    console.print(f"[dim]Results in {request.out} (results.jsonl, summary.json, report.html)")
    return summary
