"""Band cuts set from data and choices made inside the folds (synthetic features, no model)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold

from debate_eval.core.errors import InputError
from debate_eval.core.schemas import RATING_LABELS
from debate_eval.debate.rating import choose_label
from debate_eval.debate.scoring.calibration import (
    Calibration,
    band_cuts,
    fit,
    held_out_probabilities,
    label_for,
    logistic_probabilities,
    nested_cross_validate,
    read_calibration,
    write_calibration,
)
from debate_eval.evaluation.calibrate import fit_from_rows, parse_select

WELL, SLIGHT, MODERATE, STRONG = RATING_LABELS


def synthetic(n: int = 200, effect: float = 1.2, seed: int = 0):
    """Half strongly imbalanced; `signal` separates the classes by `effect` SDs, `noise` not."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2 == 0
    rows = [
        {"signal": float(rng.normal(effect if t else 0.0, 1.0)), "noise": float(rng.normal())}
        for t in y
    ]
    return [f"a{i}" for i in range(n)], rows, y


def calibration(cuts: list[float] | None) -> Calibration:
    return Calibration(
        judge="checklist",
        model="m",
        prompts_sha256={},
        features=["signal"],
        mean=[0.0],
        scale=[1.0],
        weights=[1.0],
        intercept=0.0,
        threshold=0.5,
        cuts=cuts,
    )


def test_labels_follow_the_cuts_each_cut_belonging_to_the_band_above():
    cuts = [0.1, 0.3, 0.5]
    below = [np.nextafter(c, 0.0) for c in cuts]
    assert [label_for(c, 0.5, cuts) for c in cuts] == [SLIGHT, MODERATE, STRONG]
    assert [label_for(b, 0.5, cuts) for b in below] == [WELL, SLIGHT, MODERATE]
    calib = calibration(cuts)
    for p in np.linspace(0, 1, 101):
        assert calib.label(p) == label_for(p, 0.5, cuts)
    # Equal cuts leave a band empty.
    assert label_for(0.3, 0.5, [0.3, 0.3, 0.5]) == MODERATE


def test_the_rating_policy_labels_at_the_calibrations_cut():
    """`run` and `eval` label through choose_label: a P exactly at the lowest cut is
    "slightly", a hair below it "well balanced"."""
    p = calibration(None).probability({"signal": -1.0})
    at = choose_label("checklist", None, {"signal": -1.0}, calibration([p, 0.4, 0.5]))
    above = choose_label(
        "checklist", None, {"signal": -1.0}, calibration([np.nextafter(p, 1.0), 0.4, 0.5])
    )
    assert (at.label, above.label) == (SLIGHT, WELL)
    assert at.confidence == pytest.approx(1 - p)


def test_cuts_must_ascend_to_the_threshold_and_old_files_keep_equal_thirds(tmp_path):
    for bad in ([0.3, 0.1, 0.5], [0.1, 0.3, 0.6], [0.1, 0.5]):
        with pytest.raises(ValueError, match="three ascending probabilities"):
            calibration(bad)
    path = tmp_path / "old.json"
    write_calibration(calibration(None), path)
    assert '"cuts": null' in path.read_text()
    old = read_calibration(path)
    assert [old.label(p) for p in (0.1, 0.2, 0.4, 0.6)] == [WELL, SLIGHT, MODERATE, STRONG]


def test_band_cuts_let_at_most_five_percent_of_positives_fall_below_the_lowest():
    positives = np.linspace(0.05, 0.95, 40)  # 5% of 40: two may fall below
    low, middle, top = band_cuts(positives, 0.5)
    assert low == positives[2]
    assert (positives < low).sum() == 2 and middle == (low + 0.5) / 2 and top == 0.5
    # A cut never rises above the threshold, however high the positives' P.
    assert band_cuts([0.9, 0.95], 0.5) == [0.5, 0.5, 0.5]


def test_fit_sets_the_lowest_cut_from_held_out_probabilities():
    """The 5% rule holds on the held-out P the fit's cuts come from, and the lowest cut is
    the largest such: the next positive's P up would put more than 5% below it."""
    _, rows, y = synthetic()
    calib = fit(rows, y, judge="checklist", model="m", prompts_sha256={}, features=["signal"])
    low, middle, top = calib.cuts
    held_out = held_out_probabilities(np.array([[r["signal"]] for r in rows]), y, 5, 0)
    positive = np.sort(held_out[y])
    assert (positive < low).mean() <= 0.05
    assert (positive < positive[positive > low][0]).mean() > 0.05
    assert middle == pytest.approx((low + 0.5) / 2) and top == calib.threshold == 0.5
    assert 0 < low < middle < top
    # Applied to the fitted model, the labels are the bands of its P at those cuts.
    p = calib.probability({"signal": 0.0})
    assert calib.label(p) == label_for(p, 0.5, [low, middle, top])
    # Too few articles to hold any out: equal thirds.
    three = [{"s": 0.0}, {"s": 1.0}, {"s": 2.0}]
    few = fit(three, [False, True, True], judge="j", model="m", prompts_sha256={})
    assert few.cuts is None


def test_nested_cv_chooses_the_signal_in_most_outer_folds():
    ids, rows, y = synthetic()
    nested = nested_cross_validate(ids, rows, y, [["noise"], ["signal"], ["signal", "noise"]])
    assert nested.folds == 5 and len(nested.choices) == 5
    assert nested.chosen["noise"] == 0
    assert nested.chosen["signal"] + nested.chosen["signal,noise"] == 5
    assert nested.chosen["signal"] >= 3
    assert nested.selected == ["signal"]
    assert nested.balanced_accuracy > 0.7 and nested.auc > 0.75
    low, high = nested.balanced_accuracy_ci95
    assert low <= nested.balanced_accuracy <= high
    assert set(nested.predictions) == set(nested.labels) == set(ids)


def test_the_outer_test_fold_plays_no_part_in_its_folds_choice():
    """A feature perfect on outer fold 0's test part (and weak elsewhere) wins on that test
    fold, so a choice that looked at it would take it; the inner CV sees only the training
    part, where the other candidate is better."""
    n = 100
    rng = np.random.default_rng(1)
    y = np.arange(n) % 2 == 0
    signal = rng.normal(np.where(y, 1.0, 0.0), 1.0)
    leak = rng.normal(np.where(y, 0.3, 0.0), 1.0)
    train, test = next(StratifiedKFold(5, shuffle=True, random_state=0).split(signal, y))
    leak[test] = np.where(y[test], 10.0, -10.0)
    rows = [{"signal": float(s), "leak": float(k)} for s, k in zip(signal, leak, strict=True)]

    def test_fold_accuracy(x: np.ndarray) -> float:
        p = logistic_probabilities(x[train, None], y[train], x[test, None])
        return balanced_accuracy_score(y[test], p >= 0.5)

    # Scored on fold 0's test part, the leak wins outright.
    assert test_fold_accuracy(leak) == 1.0 > test_fold_accuracy(signal)
    nested = nested_cross_validate([f"a{i}" for i in range(n)], rows, y, [["leak"], ["signal"]])
    assert nested.choices[0] == "signal"


def test_select_syntax_and_its_errors():
    assert parse_select("checklist; persuasive_paragraphs;checklist, persuasive_paragraphs") == [
        ["checklist"],
        ["persuasive_paragraphs"],
        ["checklist", "persuasive_paragraphs"],
    ]
    for bad in ("checklist", "checklist;;", "checklist;a,,b"):
        with pytest.raises(InputError, match="`;` between sets and `,` between a set's"):
            parse_select(bad)


def test_calibrate_with_candidates_ships_the_cv_choice_and_stores_the_nested_figure():
    ids, rows, y = synthetic(n=80)
    results = [
        {
            "article_id": i,
            "judge": "checklist",
            "repeat": 0,
            "speaking_order": "advocate_first",
            "gold_class": "strong" if t else "not",
            "features": r,
            "settings": {"judge": {"kind": "checklist", "model": "m", "prompts_sha256": {}}},
        }
        for i, r, t in zip(ids, rows, y, strict=True)
    ]
    fitted_on = {"dataset": "synthetic.jsonl", "positive_class": "strong"}
    calib = fit_from_rows(results, "checklist", fitted_on, [["noise"], ["signal"]])
    nested = calib.cross_validation.nested
    assert calib.features == nested.selected == ["signal"]
    assert sum(nested.chosen.values()) == nested.folds
    severe = nested.severe_errors["positive_labelled_well_balanced"]
    assert severe["of"] == 40 and severe["count"] == sum(
        nested.labels[i] == WELL for i, t in zip(ids, y, strict=True) if t
    )
    # The nested figure leads; the fitted set's own CV, the best of the candidates', is last
    # and called what it is.
    text = calib.describe()
    head, tail = text.split("; chosen ")
    assert "nested CV over 2 candidate feature sets" in head
    assert head.endswith(f"{nested.articles} articles")
    assert f"balanced accuracy {nested.balanced_accuracy:.2f} (95% CI" in head
    cv = calib.cross_validation.balanced_accuracy
    assert tail.endswith(f"by its own 5-fold CV (selection-biased): {cv:.2f}")
    assert calib.cuts is not None
    with pytest.raises(InputError, match="no feature missing; the rows have noise, signal"):
        fit_from_rows(results, "checklist", fitted_on, [["missing"], ["signal"]])
