"""`debate-eval eval`: compare judges against human labels (the work: evaluation/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from debate_eval.cli.app import (
    BaseUrlOption,
    ConfigOption,
    DebugOption,
    LocalModelOption,
    MaxClaimsOption,
    ModelOption,
    RoundsOption,
    app,
    eval_extra,
    guarded,
    settings_from,
)


@app.command("eval")
def eval_(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="Labelled articles: JSONL {id,title,text,label,source}, SemEval-2019 XML, "
            "a BASIL folder or an AllSides (Article-Bias-Prediction) JSON folder."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Results folder (rerun it to resume).")],
    judges: Annotated[
        str,
        typer.Option(
            help="Comma-separated judges: baseline, baseline-prob, checklist, debate, panel, "
            "or config ones."
        ),
    ] = "baseline,debate,panel",
    judge_config: Annotated[
        Path | None, typer.Option(help="TOML file defining more judges (model, prompt, ...).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N articles.")] = None,
    repeats: Annotated[
        int, typer.Option(help="Judge each article R times (temperature 0.7 when R > 1).")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option(help="Most model calls in flight (1 on the embedded model).")
    ] = 4,
    swap: Annotated[
        bool, typer.Option(help="Also debate with the skeptic first, for swap consistency.")
    ] = True,
    dataset_format: Annotated[
        str | None, typer.Option("--format", help="jsonl, semeval, basil or allsides.")
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="Label mapping: semeval, four_way, allsides or basil. [default: by format]"
        ),
    ] = None,
    ground_truth: Annotated[
        Path | None, typer.Option(help="SemEval ground-truth XML (with an articles XML file).")
    ] = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    local_model: LocalModelOption = None,
    rounds: RoundsOption = None,
    max_claims: MaxClaimsOption = None,
    engine: Annotated[
        str, typer.Option(help="local (asyncio in this process) or ray (one task per article).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to use with --engine ray. [default: start a local one]"),
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="A calibration file from `debate-eval calibrate`: the judges of its kind label "
            "with it, as `run --calibration` does, and the summary reports it as shipped "
            "(out of sample unless fitted on this dataset) beside k-fold CV. "
            "[default: the config's calibration, else the matching shipped ones]"
        ),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Compare judges against human labels: agreement, consistency and cost."""
    from debate_eval.models.backend import select_backend

    def body() -> None:
        with eval_extra("eval"):
            from debate_eval.evaluation.command import EvalRequest, run_evaluation
        settings = settings_from(
            config,
            model=model,
            base_url=base_url,
            local_model=local_model,
            rounds=rounds,
            max_claims=max_claims,
            calibration=str(calibration) if calibration else None,
        )
        request = EvalRequest(
            dataset=dataset,
            judges=judges,
            out=out,
            judge_config=judge_config,
            limit=limit,
            repeats=repeats,
            concurrency=concurrency,
            swap=swap,
            dataset_format=dataset_format,
            labels=labels,
            ground_truth=ground_truth,
            engine=engine,
            ray_address=ray_address,
            # What `run` would use: the flag, else the config file's or environment's setting.
            calibration=Path(settings.calibration) if settings.calibration else None,
        )
        run_evaluation(request, select_backend(settings), Console(highlight=False))

    guarded(debug, body)
