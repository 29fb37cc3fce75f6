"""`debate-eval calibrate`: run one probability-scored judge over labelled articles (stored and
resumable like `eval`), fit its calibration, and report it by 5-fold cross-validation (nested,
when it chooses among candidate feature sets)."""

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
    nested_cross_validate,
    write_calibration,
)
from debate_eval.debate.scoring.checklist import with_checklist_mean
from debate_eval.evaluation.command import EvalRequest, run_evaluation
from debate_eval.evaluation.datasets import get_scheme
from debate_eval.evaluation.harness import ADVOCATE_FIRST
from debate_eval.evaluation.metrics import severe_errors
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
    select: str | None = None


def parse_select(text: str) -> list[list[str]]:
    """`--select` candidate feature sets: `;` between sets, `,` between a set's features, e.g.
    "checklist;persuasive_paragraphs;checklist,persuasive_paragraphs"."""
    sets = [[f.strip() for f in part.split(",")] for part in text.split(";") if part.strip()]
    if len(sets) < 2 or any(not all(s) for s in sets):
        raise InputError(
            f"--select {text!r}: give two or more feature sets, `;` between sets and `,` "
            "between a set's features, e.g. 'checklist;checklist,persuasive_paragraphs'"
        )
    return sets


def fit_from_rows(
    rows: list[dict],
    judge: str,
    fitted_on: dict,
    candidates: list[list[str]] | None = None,
) -> Calibration:
    """The calibration of `judge` from results.jsonl rows (repeat 0, advocate first), with its
    cross-validated quality. With `candidates` (feature sets), the design is chosen among
    them: nested CV reports the choice's held-out quality, and the shipped fit uses the set an
    ordinary CV on all the rows picks; without, the judge's CALIBRATION_FEATURES."""
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
    ids = [r["article_id"] for r in usable]
    names = list(CALIBRATION_FEATURES[settings["kind"]])
    try:
        nested = None
        if candidates:
            nested = nested_cross_validate(ids, features, positive, candidates)
            nested.severe_errors = severe_errors([nested.labels[i] for i in ids], positive)
            names = nested.selected
        calibration = fit(
            features,
            positive,
            judge=settings["kind"],
            model=settings["model"],
            prompts_sha256=settings["prompts_sha256"],
            features=names,
            fitted_on={**fitted_on, "articles": len(usable)},
        )
        cv = cross_validate(ids, features, positive, features=names)
        cv.severe_errors = severe_errors([cv.labels[i] for i in ids], positive)
        cv.nested = nested
        calibration.cross_validation = cv
    except ValueError as exc:
        raise InputError(f"cannot calibrate {judge}: {exc}") from exc
    return calibration


def run_calibration(request: CalibrateRequest, backend: Backend, console: Console) -> Calibration:
    if request.judge not in RATING_JUDGES:
        raise InputError(
            f"--judge must be one of {', '.join(RATING_JUDGES)}, not {request.judge!r}"
        )
    candidates = parse_select(request.select) if request.select else None
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
    calibration = fit_from_rows(rows, request.judge, fitted_on, candidates)
    write_calibration(calibration, request.out)
    console.print(f"{calibration.describe()}; written to {request.out}")
    return calibration
