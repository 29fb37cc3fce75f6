"""`debate-eval calibrate`: fit a judge's calibration (the work: evaluation/calibrate.py)."""

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


@app.command()
def calibrate(
    dataset: Annotated[Path, typer.Argument(help="Labelled articles (as for eval).")],
    judge: Annotated[
        str, typer.Option(help="The judge to calibrate: baseline-prob, checklist or debate.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Write the calibration (JSON) here.")],
    store: Annotated[
        Path | None,
        typer.Option(help="Results folder for the judge's runs. [default: OUT's name + -runs]"),
    ] = None,
    labels: Annotated[
        str | None, typer.Option(help="Label mapping (as for eval). [default: by format]")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N articles.")] = None,
    dataset_format: Annotated[
        str | None, typer.Option("--format", help="jsonl, semeval, basil or allsides.")
    ] = None,
    default: Annotated[
        bool,
        typer.Option(
            "--default", help="Mark this judge as the default `run` rating judge for the model."
        ),
    ] = False,
    select: Annotated[
        str | None,
        typer.Option(
            help="Choose the features among candidate sets by nested cross-validation: `;` "
            "between sets, `,` inside a set (spaces ignored), e.g. 'checklist; "
            "persuasive_paragraphs; checklist,persuasive_paragraphs'. In each outer "
            "fold an inner CV on the training part picks the set with the best balanced "
            "accuracy (a tie: the earlier set); the outer figure is reported, and the fit "
            "written uses the set an ordinary CV on all articles picks. [default: the judge's "
            "fixed features]"
        ),
    ] = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    local_model: LocalModelOption = None,
    rounds: RoundsOption = None,
    max_claims: MaxClaimsOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Fit a judge's calibration on labelled articles; report it by 5-fold cross-validation
    (nested, with --select)."""
    from debate_eval.models.backend import select_backend

    def body() -> None:
        with eval_extra("calibrate"):
            from debate_eval.evaluation.calibrate import CalibrateRequest, run_calibration
        # The debate judge's debates are made as eval makes them: the same settings find the
        # debates an eval run stored.
        settings = settings_from(
            config,
            model=model,
            base_url=base_url,
            local_model=local_model,
            rounds=rounds,
            max_claims=max_claims,
        )
        request = CalibrateRequest(
            dataset=dataset,
            judge=judge,
            out=out,
            store=store,
            labels=labels,
            limit=limit,
            dataset_format=dataset_format,
            default=default,
            select=select,
        )
        run_calibration(request, select_backend(settings), Console(highlight=False))

    guarded(debug, body)
