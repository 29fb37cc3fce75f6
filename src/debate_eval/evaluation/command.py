"""`debate-eval eval`: load a dataset, run the judges, write results, summary and report."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from debate_eval.core.errors import InputError
from debate_eval.debate.runner import RunOptions
from debate_eval.debate.scoring.calibration import Calibration, read_calibration
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
    # A calibration file from `debate-eval calibrate`, applied as `run --calibration` applies
    # it (to the judges of its kind); None: the matching shipped calibrations.
    calibration: Path | None = None


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
    calibration_path: Path | None = None

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
                calibration_path=self.calibration_path,
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


def _num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _accuracy(m: dict) -> str:
    """Balanced accuracy with its 95% CI, e.g. "0.80 (0.70–0.88)"."""
    if m.get("balanced_accuracy") is None:
        return "–"
    ci = m.get("balanced_accuracy_ci95")
    return _num(m["balanced_accuracy"]) + (f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "")


def _severe(m: dict) -> str:
    """The two severe-error counts, e.g. "3/40 6/40" (positive as well balanced, negative
    as strongly imbalanced)."""
    severe = m.get("severe_errors")
    if not severe:
        return "–"
    return " ".join(f"{e['count']}/{e['of']}" for e in severe.values())


def summary_table(summary: dict) -> Table:
    """The judges' deciding figures, readable at 80 columns (summary.json and report.html keep
    the rest); a calibrated judge gets a row for its labels as shipped and one for k-fold CV."""
    table = Table(
        title="Judges compared",
        caption="as shipped: the labels `run` gives (its calibration; in-sample on the articles "
        "it was fitted on). CV: refitted by k-fold cross-validation on this dataset. severe "
        "errors: gold-positive labelled well balanced, gold-negative strongly imbalanced.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    # A long judge name folds; the figures never wrap (a wrapped CI reads as two numbers).
    table.add_column("judge", overflow="fold")
    for col in ("balanced acc.\n(95% CI)", "AUC", "unscored", "severe\nerrors", "tokens", "s"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, m in summary["judges"].items():
        cv = m.get("cross_validated")
        shipped = m.get("as_shipped")
        tokens = [m[k]["mean"] for k in ("tokens_in", "tokens_out")]
        # Labelled by a calibration fitted on some of these articles: not an accuracy.
        mixed = bool(m.get("fitted_articles_included"))
        table.add_row(
            name,
            "in-sample" if mixed else _accuracy(m),
            "–",
            str(m["unscored"]),
            "–" if mixed else _severe(m),
            "–" if None in tokens else f"{sum(tokens):.0f}",
            _num(m["latency_s"]["mean"], 1),
        )
        if shipped is not None:
            in_sample = shipped["out_of_sample"] is False  # None: no article to score
            table.add_row(
                "  as shipped",
                "in-sample" if in_sample else _accuracy(shipped),
                "–" if in_sample else _num(shipped.get("auc")),
                str(shipped["missing_features"]),
                "–" if in_sample else _severe(shipped),
                "",
                "",
            )
        if cv is not None and "balanced_accuracy" in cv:
            table.add_row(
                f"  {cv['folds']}-fold CV", _accuracy(cv), _num(cv["auc"]), "", _severe(cv), "", ""
            )
    return table


def _fit(example: Example, max_words: int, console: Console) -> Example:
    """The example as the models will read it (cut, AI-addressed text left out), said aloud."""
    notices: list[str] = []
    text = for_the_models(example.text, max_words, notices)
    for notice in notices:
        console.print(f"[yellow]{example.id}:[/] {notice}", soft_wrap=True)
    return replace(example, text=text) if notices else example


def _check_calibration_applies(
    path: Path | None, calibrations: dict[str, Calibration | None], console: Console
) -> None:
    """Say so when a calibration file given applies to no judge (it applies to the judges of
    its kind, model and prompts, as in `run`)."""
    if path is None:
        return
    given = read_calibration(path)
    if any(c is not None and c.key() == given.key() for c in calibrations.values()):
        return
    console.print(
        f"[yellow]--calibration {path} is for the {given.judge} judge; no judge here is one with "
        f"the prompts it was fitted with, so it applies to none",
        soft_wrap=True,
    )


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
        calibration_path=request.calibration,
    )
    try:
        with factory(cache, request.concurrency) as models:
            options = spec.options
            # The calibration each judge labels with (as `run` would), known before any call.
            calibrations = {j.name: j.calibration for j in spec.plan(models).judges_for_repeat(0)}
            _check_calibration_applies(request.calibration, calibrations, console)
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
        summary = summarise(
            judgments,
            examples,
            scheme,
            debates,
            names,
            calibrations=calibrations,
            dataset=request.dataset.name,
        )
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
