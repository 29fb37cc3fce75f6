"""`debate-eval calibrate`: run one probability-scored judge over labelled articles (stored and
resumable like `eval`), fit its calibration, and report it by 5-fold cross-validation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from debate_eval.core.errors import InputError
from debate_eval.core.schemas import RATING_JUDGES, RATING_LABELS
from debate_eval.debate.scoring.calibration import (
    CALIBRATION_FEATURES,
    Calibration,
    cross_validate,
    fit,
    write_calibration,
)
from debate_eval.debate.scoring.checklist import with_checklist_mean
from debate_eval.evaluation.command import EvalRequest, run_evaluation
from debate_eval.evaluation.datasets import get_scheme
from debate_eval.evaluation.harness import ADVOCATE_FIRST
from debate_eval.models.backend import Backend


@dataclass
class CalibrateRequest:
    dataset: Path
    judge: str
    out: Path
    store: Path | None = None
    labels: str | None = None
    limit: int | None = None
    dataset_format: str | None = None
    ground_truth: Path | None = None
    default: bool = False


def fit_from_rows(rows: list[dict], judge: str, fitted_on: dict) -> Calibration:
    """The calibration of `judge` from results.jsonl rows (repeat 0, advocate first), with its
    cross-validated quality."""
    usable = [
        r
        for r in rows
        if r["judge"] == judge
        and r["repeat"] == 0
        and r["speaking_order"] == ADVOCATE_FIRST
        and r.get("features")
    ]
    if not usable:
        raise InputError(f"judge {judge!r} scored no article: nothing to calibrate on")
    positive_class = fitted_on["positive_class"]
    positive = [r["gold_class"] == positive_class for r in usable]
    features = [with_checklist_mean(r["features"]) for r in usable]
    settings = usable[0]["settings"]["judge"]
    names = CALIBRATION_FEATURES[settings["kind"]]
    try:
        calibration = fit(
            features,
            positive,
            judge=settings["kind"],
            model=settings["model"],
            prompts_sha256=settings["prompts_sha256"],
            features=names,
            fitted_on={**fitted_on, "articles": len(usable)},
        )
        calibration.cross_validation = cross_validate(
            [r["article_id"] for r in usable], features, positive, features=names
        )
    except ValueError as exc:
        raise InputError(f"cannot calibrate {judge}: {exc}") from exc
    return calibration


def run_calibration(request: CalibrateRequest, backend: Backend, console: Console) -> Calibration:
    if request.judge not in RATING_JUDGES:
        raise InputError(
            f"--judge must be one of {', '.join(RATING_JUDGES)}, not {request.judge!r}"
        )
    store = request.store or request.out.with_name(request.out.stem + "-runs")
    summary = run_evaluation(
        EvalRequest(
            dataset=request.dataset,
            judges=request.judge,
            out=store,
            limit=request.limit,
            swap=False,
            dataset_format=request.dataset_format,
            labels=request.labels,
            ground_truth=request.ground_truth,
        ),
        backend,
        console,
    )
    rows = [
        json.loads(line)
        for line in (store / "results.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    mapping = summary["label_mapping"]
    scheme = get_scheme(mapping["name"])
    fitted_on = {
        "dataset": request.dataset.name,
        "labels": mapping["name"],
        "positive_class": scheme.predicted_class(RATING_LABELS[3]),
        "default": request.default,
    }
    if request.judge == "debate":
        # The verdict share depends on how long the debates were: a run can see the difference.
        options = backend.run_options()
        fitted_on["debate"] = {"max_claims": options.max_claims, "rounds": options.rounds}
    calibration = fit_from_rows(rows, request.judge, fitted_on)
    write_calibration(calibration, request.out)
    console.print(f"{calibration.describe()}; written to {request.out}")
    return calibration
