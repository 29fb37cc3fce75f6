"""`run` and `eval` rate an article the same way: same model, same calibration, same label."""

from __future__ import annotations

import asyncio

import pytest

from debate_eval.core.schemas import RATING_LABELS
from debate_eval.debate.runner import RunOptions, arun_debate
from debate_eval.debate.scoring.calibration import fit, judge_prompts_sha256, write_calibration
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.harness import EvalPlan, evaluate_article
from debate_eval.evaluation.judges import Judge
from debate_eval.evaluation.store import ResultsStore
from debate_eval.models.chat import model_name
from tests.fakes import scripted_models

# Synthetic development rows: the strongly imbalanced articles score higher on both features.
ROWS = [
    ({"checklist": 0.05, "persuasive_paragraphs": 0.10}, False),
    ({"checklist": 0.10, "persuasive_paragraphs": 0.25}, False),
    ({"checklist": 0.12, "persuasive_paragraphs": 0.15}, False),
    ({"checklist": 0.18, "persuasive_paragraphs": 0.10}, False),
    ({"checklist": 0.30, "persuasive_paragraphs": 0.30}, True),
    ({"checklist": 0.35, "persuasive_paragraphs": 0.20}, True),
    ({"checklist": 0.45, "persuasive_paragraphs": 0.40}, True),
    ({"checklist": 0.55, "persuasive_paragraphs": 0.35}, True),
]


def test_run_and_eval_give_the_same_calibrated_label_and_confidence(article, tmp_path):
    models = scripted_models()
    calibration = fit(
        [features for features, _ in ROWS],
        [positive for _, positive in ROWS],
        judge="checklist",
        model=model_name(models.judge),
        prompts_sha256=judge_prompts_sha256("checklist"),
        features=["checklist", "persuasive_paragraphs"],
    )
    path = tmp_path / "checklist.json"
    write_calibration(calibration, path)

    options = RunOptions(rounds=1, max_claims=1, rating_judge="checklist", calibration=str(path))
    report = asyncio.run(arun_debate(article, models, options))

    judge = Judge("checklist", "checklist", model=models.judge, calibration=calibration)
    plan = EvalPlan(judges_for_repeat=lambda _repeat: [judge], swap=False)
    store = ResultsStore(tmp_path / "results.sqlite")
    try:
        example = Example(id="a0", title="", text=article, label="hyperpartisan")
        [row] = asyncio.run(evaluate_article(example, plan, models, options, store))
    finally:
        store.close()

    # The fake's probes: promotion 0.8, opposing views presented fairly 0.3 (its weakness 0.7),
    # the seven other scored probes and every paragraph 0.2 (addresses_ai, 0.2 too, is no
    # feature).
    p = calibration.probability(
        {"checklist": (0.8 + 0.7 + 7 * 0.2) / 9, "persuasive_paragraphs": 0.2}
    )
    # Calibrated, this article is strongly imbalanced; the probes' plain mean (0.32) would
    # have said "slightly": the calibration is what both applied.
    assert p >= calibration.threshold
    assert report.rating.label == row.rating == RATING_LABELS[3]
    assert report.rating.confidence == row.confidence == pytest.approx(p, abs=1e-4)
    assert report.rating.calibration == calibration.describe()
