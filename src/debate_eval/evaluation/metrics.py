"""Agreement metrics: judges against gold labels, against each other, and against themselves.

scikit-learn, scipy and krippendorff do the arithmetic; this module only lines the data up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

import krippendorff
import numpy as np
from scipy.stats import bootstrap
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)

from debate_eval.core.schemas import RATING_LABELS

ORDINAL = {label: i for i, label in enumerate(RATING_LABELS)}


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 4)


def kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa; None when undefined (no items, or both raters constant and equal)."""
    if not a:
        return None
    if len(set(a) | set(b)) == 1:
        return None
    return _finite(cohen_kappa_score(a, b))


def accuracy_ci(correct: Sequence[bool], seed: int = 0) -> tuple[float, float] | None:
    """Bootstrap 95% confidence interval (percentile) on accuracy; None below two items."""
    if len(correct) < 2:
        return None
    data = np.asarray(correct, dtype=float)
    if data.min() == data.max():  # no spread to resample: the interval is the point
        return (float(data[0]), float(data[0]))
    res = bootstrap(
        (data,),
        np.mean,
        confidence_level=0.95,
        method="percentile",
        n_resamples=2000,
        random_state=np.random.default_rng(seed),
    )
    return (
        round(float(res.confidence_interval.low), 4),
        round(float(res.confidence_interval.high), 4),
    )


def gold_metrics(
    gold: Sequence[str], predicted: Sequence[str | None], classes: Sequence[str]
) -> dict:
    """accuracy, macro_f1, confusion matrix, bootstrap CI and kappa vs gold on scored items;
    unscored (None) predictions are counted apart, never as wrong answers."""
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if p is not None]
    out: dict = {"n": len(gold), "scored": len(pairs), "unscored": len(gold) - len(pairs)}
    if not pairs:
        return {
            **out,
            "accuracy": None,
            "macro_f1": None,
            "accuracy_ci95": None,
            "balanced_accuracy": None,
            "kappa": None,
            "confusion": {"labels": list(classes), "matrix": None},
        }
    g, p = zip(*pairs, strict=True)
    out["accuracy"] = _finite(accuracy_score(g, p))
    out["macro_f1"] = _finite(
        f1_score(g, p, labels=list(classes), average="macro", zero_division=0)
    )
    out["accuracy_ci95"] = accuracy_ci([a == b for a, b in pairs])
    out["balanced_accuracy"] = _finite(balanced_accuracy_score(g, p))
    out["kappa"] = kappa(list(g), list(p))
    out["confusion"] = {
        "labels": list(classes),
        "matrix": confusion_matrix(g, p, labels=list(classes)).tolist(),  # rows gold, cols pred
    }
    return out


def pairwise_kappa(ratings: Mapping[str, Mapping[str, str | None]]) -> dict[str, float | None]:
    """Cohen's kappa between each pair of judges on the articles both rated."""
    out = {}
    for a, b in combinations(sorted(ratings), 2):
        shared = [k for k in ratings[a] if ratings[a][k] is not None and ratings[b].get(k)]
        out[f"{a}|{b}"] = kappa([ratings[a][k] for k in shared], [ratings[b][k] for k in shared])
    return out


def ordinal_alpha(ratings: Mapping[str, Mapping[str, str | None]]) -> float | None:
    """Krippendorff's alpha (ordinal over the four ratings) across judges; missing = unrated."""
    judges = sorted(ratings)
    items = sorted({k for r in ratings.values() for k in r})
    if len(judges) < 2 or not items:
        return None
    data = np.array(
        [
            [ORDINAL[r] if (r := ratings[j].get(k)) is not None else np.nan for k in items]
            for j in judges
        ],
        dtype=float,
    )
    pairable = np.sum(np.sum(~np.isnan(data), axis=0) >= 2)
    values = set(data[~np.isnan(data)].tolist())
    if pairable == 0 or len(values) < 2:
        return None
    return _finite(
        krippendorff.alpha(
            reliability_data=data,
            level_of_measurement="ordinal",
            value_domain=list(range(len(RATING_LABELS))),
        )
    )


def self_consistency(repeats: Mapping[str, Sequence[str | None]]) -> float | None:
    """Mean, over articles with two or more scored repeats, of the share of repeats that agree
    with the article's most common rating (1.0: every repeat gave the same rating)."""
    shares = []
    for values in repeats.values():
        scored = [v for v in values if v is not None]
        if len(scored) >= 2:
            shares.append(Counter(scored).most_common(1)[0][1] / len(scored))
    return _finite(float(np.mean(shares))) if shares else None


def swap_consistency(pairs: Sequence[tuple[str | None, str | None]]) -> float | None:
    """Share of articles whose rating is the same with either debater speaking first."""
    scored = [(a, b) for a, b in pairs if a is not None and b is not None]
    return _finite(sum(a == b for a, b in scored) / len(scored)) if scored else None


def mean_p95(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p95": None}
    arr = np.asarray(values, dtype=float)
    return {"mean": _finite(arr.mean()), "p95": _finite(np.percentile(arr, 95))}


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Area under the ROC curve of a score against binary labels; None with one class."""
    if len(set(positive)) < 2:
        return None
    return _finite(roc_auc_score(list(positive), list(scores)))


def severe_errors(labels: Sequence[str | None], positive: Sequence[bool]) -> dict:
    """The errors a reader forgives least, with counts: gold-positive articles (the class of
    "Appears strongly imbalanced", e.g. hyperpartisan) labelled "Appears well balanced", and
    gold-negative ones labelled "Appears strongly imbalanced"; unscored labels (None) are left
    out of both counts."""

    def rate(gold: bool, label: str) -> dict:
        scored = [a for a, g in zip(labels, positive, strict=True) if g == gold and a is not None]
        count = sum(a == label for a in scored)
        return {
            "count": count,
            "of": len(scored),
            "rate": _finite(count / len(scored)) if scored else None,
        }

    return {
        "positive_labelled_well_balanced": rate(True, RATING_LABELS[0]),
        "negative_labelled_strongly_imbalanced": rate(False, RATING_LABELS[3]),
    }


def probability_scored(
    ids: Sequence[str],
    features: Sequence[Mapping[str, float]],
    positive: Sequence[bool],
    fitted: Sequence[str],
) -> dict:
    """For a probability-scored judge: the AUC of each raw score it reports (before any
    fitting) with its stratified bootstrap 95% interval, and its calibrated quality by
    5-fold cross-validation (every article predicted by a calibration fitted on the others):
    balanced accuracy and AUC with bootstrap CIs, Brier score, expected calibration error and
    the held-out labels' severe errors (their band cuts also set on the other folds).
    `fitted`: the features a calibration uses."""
    from debate_eval.debate.scoring.calibration import auc_ci, cross_validate

    names = sorted(set().union(*features))
    # A debate feature is missing where nothing measured it (no claim probes, no skeptic
    # move): each raw score is read over the articles that have it, and only the articles
    # that have every feature the calibration reads are cross-validated.
    having = {n: [k for k, f in enumerate(features) if n in f] for n in names}
    complete = [k for k, f in enumerate(features) if all(n in f for n in fitted)]

    def raw(n: str, measure: Callable) -> float | tuple[float, float] | None:
        return measure([features[k][n] for k in having[n]], [positive[k] for k in having[n]])

    out: dict = {
        "articles": len(ids),
        "raw_auc": {n: raw(n, auc) for n in names},
        "raw_auc_ci95": {n: raw(n, auc_ci) for n in names},
        "raw_auc_articles": {n: len(having[n]) for n in names},
        "calibrated_on": list(fitted),
        "missing_features": len(ids) - len(complete),
    }
    try:
        cv = cross_validate(
            [ids[k] for k in complete],
            [features[k] for k in complete],
            [positive[k] for k in complete],
            features=fitted,
        )
    except ValueError as exc:
        out["cross_validation"] = {"error": str(exc)}
    else:
        out["cross_validation"] = {
            **cv.model_dump(exclude={"predictions", "labels", "severe_errors", "nested"}),
            # the held-out labels' band cuts are set on the other folds too: out of sample
            "severe_errors": severe_errors(
                [cv.labels[ids[k]] for k in complete], [positive[k] for k in complete]
            ),
        }
    return out
