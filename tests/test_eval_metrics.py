"""Each metric against values computed by hand on tiny inputs."""

from __future__ import annotations

import pytest

from debate_eval.core.schemas import RATING_LABELS
from debate_eval.evaluation import metrics
from debate_eval.evaluation.judges import majority

WELL, SLIGHT, MODERATE, STRONG = RATING_LABELS


def test_gold_metrics_on_scored_items_with_unscored_apart():
    out = metrics.gold_metrics(["A", "A", "B", "B"], ["A", "B", "B", None], ["A", "B"])
    assert (out["n"], out["scored"], out["unscored"]) == (4, 3, 1)
    assert out["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    # A: precision 1, recall 1/2 -> F1 2/3; B: precision 1/2, recall 1 -> F1 2/3.
    assert out["macro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # p_o = 2/3, p_e = (2/3)(1/3) + (1/3)(2/3) = 4/9 -> kappa = (2/9)/(5/9) = 0.4
    assert out["kappa"] == pytest.approx(0.4, abs=1e-4)
    assert out["confusion"] == {"labels": ["A", "B"], "matrix": [[1, 1], [0, 1]]}
    low, high = out["accuracy_ci95"]
    assert 0 <= low <= 2 / 3 <= high <= 1


def test_no_scored_items_gives_no_numbers():
    out = metrics.gold_metrics(["A", "B"], [None, None], ["A", "B"])
    assert out["accuracy"] is None and out["unscored"] == 2
    assert out["confusion"]["matrix"] is None


def test_bootstrap_interval_of_a_constant_is_the_point():
    assert metrics.accuracy_ci([True, True, True]) == (1.0, 1.0)
    assert metrics.accuracy_ci([True]) is None


def test_kappa_is_undefined_for_constant_equal_raters():
    assert metrics.kappa(["A", "A"], ["A", "A"]) is None
    assert metrics.kappa(["A", "B"], ["A", "B"]) == 1.0
    assert metrics.kappa(["A", "B"], ["B", "A"]) == -1.0


def test_pairwise_kappa_uses_articles_both_judges_rated():
    ratings = {
        "x": {"a1": WELL, "a2": STRONG, "a3": WELL},
        "y": {"a1": WELL, "a2": STRONG, "a3": None},
    }
    assert metrics.pairwise_kappa(ratings) == {"x|y": 1.0}


def test_ordinal_alpha_perfect_reversed_and_missing():
    same = {"x": {"a": WELL, "b": SLIGHT, "c": STRONG}, "y": {"a": WELL, "b": SLIGHT, "c": STRONG}}
    assert metrics.ordinal_alpha(same) == 1.0
    flipped = {"x": {"a": WELL, "b": STRONG}, "y": {"a": STRONG, "b": WELL}}
    assert metrics.ordinal_alpha(flipped) < 0
    # Two raters, two items, one rating missing: only one pairable item -> like one item.
    partial = {"x": {"a": WELL, "b": STRONG, "c": SLIGHT}, "y": {"a": WELL, "b": STRONG, "c": None}}
    assert metrics.ordinal_alpha(partial) == 1.0
    assert metrics.ordinal_alpha({"x": same["x"]}) is None


def test_self_consistency_is_the_mean_modal_share():
    repeats = {"a": [WELL, WELL, STRONG], "b": [SLIGHT, SLIGHT], "c": [STRONG, None]}
    # a: 2/3, b: 1, c has one scored repeat -> left out.
    assert metrics.self_consistency(repeats) == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)


def test_swap_consistency_counts_pairs_both_scored():
    assert metrics.swap_consistency([(WELL, WELL), (WELL, STRONG), (None, WELL)]) == 0.5
    assert metrics.swap_consistency([]) is None


def test_mean_and_p95():
    assert metrics.mean_p95([1, 2, 3, 4]) == {"mean": 2.5, "p95": 3.85}
    assert metrics.mean_p95([]) == {"mean": None, "p95": None}


@pytest.mark.parametrize(
    ("votes", "winner"),
    [
        ([SLIGHT, SLIGHT, STRONG], SLIGHT),
        ([WELL, STRONG], WELL),  # tie: lower median of [well, strongly]
        ([STRONG, MODERATE, WELL], MODERATE),  # three-way tie: the median
        ([SLIGHT, STRONG, STRONG, SLIGHT, None], SLIGHT),
        ([None, None], None),
    ],
)
def test_panel_majority_and_its_tie_rule(votes, winner):
    assert majority(votes) == winner
