"""Calibration: a logistic model from a judge's scores (label probabilities, checklist probes)
to the probability that the article is "strongly imbalanced", fitted on labelled data (the
score thresholds are where that probability crosses the label bands). Reported only by
k-fold cross-validation, never on the data it was fitted on; the cuts between the lower labels
are set from held-out probabilities (`band_cuts`), and a choice among candidate feature sets is
reported by nested cross-validation (`nested_cross_validate`).

The file `debate-eval calibrate` writes is keyed by model, judge and prompt hashes: a run uses
a calibration only when all three match what it is about to call, and when the features it
reads are at the versions it was fitted on (`feature_versions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError, model_validator

from debate_eval.core.errors import ConfigError, first_problem
from debate_eval.core.schemas import RATING_LABELS

CALIBRATION_VERSION = 1
FOLDS = 5
# One fold assignment's balanced accuracy moves by a few points with which articles share a
# fold (on 40 articles one article is 2.5 points): also report its spread over this many.
REPEATS = 20
# Fits weight the classes to balance, so P = 0.5 is the cut that serves balanced accuracy.
THRESHOLD = 0.5
# "Appears well balanced" is the label a reader forgives least when the article is strongly
# imbalanced: it is given only below a P that at most this share of strongly imbalanced
# articles fall under, out of sample (`band_cuts`).
WELL_BALANCED_MAX_MISSED = 0.05
# What each judge's calibration is fitted on, chosen before seeing any labels and kept small
# (40 labelled articles do not support a weight per probe): the letter call's expected score,
# the whole-article probes' unweighted mean, for the checklist judge also the paragraph
# probe's mean, and for the debate judge also the verdict share.
CALIBRATION_FEATURES: dict[str, tuple[str, ...]] = {
    "baseline-prob": ("score",),
    "checklist": ("checklist", "persuasive_paragraphs"),
    "debate": ("checklist", "score", "verdict_share"),
}
# What each feature measures, versioned: bumped when a rule changes a feature's values for the
# same article and debate (debate.rating.debate_features), so a calibration fitted on the old
# meaning does not apply to the new one (`matches`). A feature not listed is at version 1.
# skeptic_upheld 2: a move stands when its claim's verdict is not "supported" (session 10),
# no longer when P(supported) < 0.5.
FEATURE_VERSIONS: dict[str, int] = {"skeptic_upheld": 2}
# The prompt file each judge kind's rating call uses, and the others its calls use.
PROMPT_OF_KIND = {
    "baseline": "baseline_judge",
    "baseline-prob": "rating",
    "checklist": "probe",
    "debate": "rating",
}


def _extra_prompts(kind: str) -> tuple[str, ...]:
    from debate_eval.debate.prompts import DEBATE_PROMPTS
    from debate_eval.debate.scoring.checklist import PROBES
    from debate_eval.debate.scoring.paragraphs import QUESTION_PROMPTS

    # The debate judge's features (the verdict share) come from the debate: a calibration fitted
    # on debates made with other prompts does not match. The checklist judge also reads the
    # question asked of each paragraph (its own prompt file).
    if kind == "debate":
        return ("probe", *DEBATE_PROMPTS)
    if kind == "checklist":
        return tuple(QUESTION_PROMPTS[p.paragraph_question] for p in PROBES if p.paragraph_question)
    return ()


def judge_prompts_sha256(kind: str, template: str | None = None) -> dict[str, str]:
    """Hashes of every prompt a judge kind's calls use (`template` replacing its main one),
    and of the checklist questions for the judges that ask them; for the debate judge also
    the prompts its debates were made with."""
    from debate_eval.debate.prompts import debate_text_sha256, load_prompt, prompt_hash
    from debate_eval.debate.scoring.checklist import ARTICLE_PROBES

    main = PROMPT_OF_KIND[kind]
    names = {"context", main, *_extra_prompts(kind)}
    hashes = {name: prompt_hash(load_prompt(name)) for name in sorted(names)}
    if template:
        hashes[main] = prompt_hash(template)
    if kind in ("checklist", "debate"):
        # The whole-article questions (the paragraph probe's is in its prompt file's hash).
        hashes["checklist_questions"] = prompt_hash("\n".join(p.question for p in ARTICLE_PROBES))
    if kind == "debate":
        # The menus, the claim judge's questions, the retry notes and the pick orders change
        # the debates too.
        hashes.update(debate_text_sha256())
    return hashes


class FoldAssignments(BaseModel):
    """Cross-validated balanced accuracy over several fold assignments (seeds 0, 1, ...)."""

    repeats: int
    mean: float
    low: float = Field(description="The lowest of the repeats.")
    high: float = Field(description="The highest of the repeats.")


class NestedCrossValidation(BaseModel):
    """Held-out quality of choosing among candidate feature sets: in each outer fold an inner
    cross-validation on the outer training part alone picks a candidate, fitted on that part
    and scored on the outer test fold (fold assignment seed 0)."""

    candidates: list[list[str]]
    folds: int = Field(description="Outer folds (the inner ones are as many, or fewer).")
    articles: int
    balanced_accuracy: float
    balanced_accuracy_ci95: tuple[float, float] | None
    auc: float | None
    auc_ci95: tuple[float, float] | None = Field(
        default=None, description="Stratified bootstrap 95% interval on the AUC."
    )
    brier: float
    ece: float
    choices: list[str] = Field(description="The candidate each outer fold chose, in fold order.")
    chosen: dict[str, int] = Field(description="Outer folds that chose each candidate.")
    selection: dict[str, float] = Field(
        description="Each candidate's balanced accuracy by ordinary CV on all articles: the "
        "shipped fit's choice (optimistic as a figure; the nested one is not)."
    )
    selected: list[str] = Field(description="The candidate the shipped fit uses.")
    predictions: dict[str, float] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    severe_errors: dict | None = None


class CrossValidation(BaseModel):
    """Held-out quality of a calibration: every article predicted by a model fitted on the
    other folds (fold assignment seed 0), and the balanced accuracy's spread over others."""

    folds: int
    articles: int
    balanced_accuracy: float
    balanced_accuracy_ci95: tuple[float, float] | None
    auc: float | None
    auc_ci95: tuple[float, float] | None = Field(
        default=None, description="Stratified bootstrap 95% interval on the AUC."
    )
    brier: float
    ece: float
    predictions: dict[str, float] = Field(
        default_factory=dict, description="Held-out P(strongly imbalanced) per article id."
    )
    fold_assignments: FoldAssignments | None = Field(
        default=None, description="Balanced accuracy over repeated fold assignments."
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Held-out label per article id, its band cuts also set on the other folds.",
    )
    severe_errors: dict | None = Field(
        default=None, description="Severe errors of the held-out labels (evaluation.metrics)."
    )
    nested: NestedCrossValidation | None = Field(
        default=None, description="The choice among candidate feature sets, made in each fold."
    )


def candidate_name(features: Sequence[str]) -> str:
    """A candidate feature set as `--select` spells it, e.g. "checklist,persuasive_paragraphs"."""
    return ",".join(features)


class Calibration(BaseModel):
    """A fitted judge: features -> P(strongly imbalanced) -> one of the four labels."""

    version: int = CALIBRATION_VERSION
    judge: str = Field(description="The judge kind it was fitted for, e.g. checklist.")
    model: str = Field(description="The model name the judge called.")
    prompts_sha256: dict[str, str] = Field(description="Hashes of the prompts the judge used.")
    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    intercept: float
    threshold: float = Field(description="P(strongly imbalanced) at or above which it is so.")
    cuts: list[float] | None = Field(
        default=None,
        description="The three P cuts between the four labels, ascending, the last the "
        "threshold (`band_cuts`); None: equal thirds below the threshold.",
    )
    feature_versions: dict[str, int] = Field(
        default_factory=dict,
        description="The version of each feature's definition at fit time, for the features "
        "whose definition changed since version 1 (FEATURE_VERSIONS); absent: 1.",
    )
    fitted_on: dict[str, object] = Field(default_factory=dict)
    cross_validation: CrossValidation | None = None

    @model_validator(mode="after")
    def _cuts_fit_the_threshold(self) -> Calibration:
        if self.cuts is not None:
            check_cuts(self.cuts, self.threshold)
        return self

    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.judge, self.model, tuple(sorted(self.prompts_sha256.items())))

    def probability(self, features: Mapping[str, float]) -> float:
        missing = [f for f in self.features if f not in features]
        if missing:
            raise ValueError(f"calibration needs features {', '.join(missing)}")
        x = (np.array([features[f] for f in self.features]) - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(x @ np.array(self.weights) + self.intercept))))

    def label(self, probability: float) -> str:
        return label_for(probability, self.threshold, self.cuts)

    def describe(self) -> str:
        """One line naming the calibration, e.g. for the report's rating line."""
        fitted = self.fitted_on.get("dataset", "labelled data")
        line = f"{self.judge} on {self.model}, fitted on {fitted}"
        if debate := self.fitted_on.get("debate"):
            line += f" (debates of {debate_length(debate['max_claims'], debate['rounds'])})"
        cv = self.cross_validation
        if cv is None:
            return line
        if (nested := cv.nested) is not None:
            # The figure of the whole procedure, choice included, comes first: the chosen
            # set's own CV is the best of the candidates' figures, so it flatters the choice.
            chosen = ", ".join(f"{k} {v}/{nested.folds}" for k, v in nested.chosen.items())
            line += (
                f"; nested CV over {len(nested.candidates)} candidate feature sets "
                f"({nested.folds} outer folds): balanced accuracy "
                + quality_text(nested.balanced_accuracy, nested.balanced_accuracy_ci95)
                + f", AUC {auc_text(nested.auc, nested.auc_ci95)}, {nested.articles} articles; "
                f"chosen {chosen}; the set fitted, by its own {cv.folds}-fold CV (selection-"
                f"biased): {cv.balanced_accuracy:.2f}"
            )
            return line
        line += (
            f"; {cv.folds}-fold cross-validated balanced accuracy "
            + quality_text(cv.balanced_accuracy, cv.balanced_accuracy_ci95)
            + f", AUC {auc_text(cv.auc, cv.auc_ci95)}, Brier {cv.brier:.3f}, ECE {cv.ece:.3f}, "
            f"{cv.articles} articles"
        )
        if (spread := cv.fold_assignments) is not None:
            line += (
                f"; over {spread.repeats} fold assignments {spread.mean:.2f} "
                f"({spread.low:.2f}–{spread.high:.2f})"
            )
        return line


def quality_text(value: float, ci: tuple[float, float] | None) -> str:
    """E.g. "0.82 (95% CI 0.74–0.89)"."""
    return f"{value:.2f}" + (f" (95% CI {ci[0]:.2f}–{ci[1]:.2f})" if ci else "")


def auc_text(auc: float | None, ci: tuple[float, float] | None) -> str:
    """E.g. "0.92 (0.88–0.95)"; "–" when there is no AUC (one class)."""
    if auc is None:
        return "–"
    return f"{auc:.2f}" + (f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "")


def debate_length(claims: int, rounds: int) -> str:
    """E.g. "2 claims × 1 round"."""
    return f"{claims} claim{'s' * (claims != 1)} × {rounds} round{'s' * (rounds != 1)}"


def debate_length_notice(calibration: Calibration | None, claims: int, rounds: int) -> str | None:
    """What a reader should know when a debate judge's calibration saw debates of another
    length than this run's (the verdict share depends on it)."""
    fitted = calibration.fitted_on.get("debate") if calibration is not None else None
    if not fitted or (fitted["max_claims"], fitted["rounds"]) == (claims, rounds):
        return None
    return (
        f"the debate judge's calibration was fitted on debates of "
        f"{debate_length(fitted['max_claims'], fitted['rounds'])}; this run debates up to "
        f"{debate_length(claims, rounds)}, a length its accuracy was not measured on"
    )


def check_cuts(cuts: Sequence[float], threshold: float) -> None:
    """Three cuts, ascending (equal cuts leave a band empty), the last the threshold."""
    if len(cuts) != 3 or list(cuts) != sorted(cuts) or cuts[-1] != threshold or cuts[0] < 0:
        raise ValueError(
            f"band cuts must be three ascending probabilities from 0 up, the last the threshold "
            f"{threshold}; got {list(cuts)}"
        )


def label_for(probability: float, threshold: float, cuts: Sequence[float] | None = None) -> str:
    """The four labels as bands of P(strongly imbalanced), each cut belonging to the band
    above it: with `cuts` (c1 <= c2 <= threshold) "well balanced" below c1, "slightly" from c1,
    "moderately" from c2, "strongly" from the threshold; without, three equal bands below the
    threshold (the binary labels check only the top cut)."""
    if cuts is not None:
        check_cuts(cuts, threshold)
        return RATING_LABELS[sum(probability >= c for c in cuts)]
    if probability >= threshold:
        return RATING_LABELS[3]
    band = int(3 * probability / threshold) if threshold > 0 else 0
    return RATING_LABELS[min(band, 2)]


def band_cuts(
    positive_probabilities: Sequence[float],
    threshold: float = THRESHOLD,
    max_missed: float = WELL_BALANCED_MAX_MISSED,
) -> list[float]:
    """The three cuts between the labels from strongly imbalanced articles' out-of-sample
    P(strongly imbalanced): the lowest is the largest P with at most `max_missed` of them
    below it (so at most that share would be labelled "Appears well balanced"), never above
    the threshold; the middle one halfway between it and the threshold; the last the
    threshold."""
    p = np.sort(np.asarray(positive_probabilities, dtype=float))
    if len(p) == 0:
        raise ValueError("band cuts need at least one strongly imbalanced article")
    # Strictly below the (m+1)-th smallest lie at most m of them; any higher cut has m+1.
    allowed = int(np.floor(max_missed * len(p) + 1e-9))
    low = min(float(p[allowed]) if allowed < len(p) else threshold, threshold)
    return [low, low + (threshold - low) / 2, threshold]


def _as_matrix(rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> np.ndarray:
    return np.array([[float(r[n]) for n in names] for r in rows], dtype=float)


def _standardised_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0):
    """Column means and scales of `x`, and a class-balanced logistic fit on `x` standardised."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, class_weight="balanced").fit((x - mean) / scale, y)
    return mean, scale, model


def logistic_probabilities(
    train: np.ndarray, y: np.ndarray, test: np.ndarray, c: float = 1.0
) -> np.ndarray:
    """P(strongly imbalanced) of the `test` rows from the fit `fit` makes on the `train` rows."""
    mean, scale, model = _standardised_logistic(train, y, c)
    return model.predict_proba((test - mean) / scale)[:, 1]


FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(training rows, their labels, held-out rows) -> the held-out rows' P(strongly imbalanced)."""


def _folds(y: np.ndarray, folds: int) -> int:
    """Folds a stratified split of `y` can have: at most one per article of the smaller class."""
    return min(folds, int(y.sum()), int((~y).sum()))


def held_out_cuts(
    x: np.ndarray, y: np.ndarray, folds: int = FOLDS, seed: int = 0
) -> list[float] | None:
    """`band_cuts` from these rows' held-out P (each from a fit on the other folds), so the
    cuts are set out of sample; None (equal thirds) below two articles of each class."""
    k = _folds(y, folds)
    if k < 2:
        return None
    return band_cuts(held_out_probabilities(x, y, k, seed)[y])


def fit(
    rows: Sequence[Mapping[str, float]],
    positive: Sequence[bool],
    *,
    judge: str,
    model: str,
    prompts_sha256: Mapping[str, str],
    features: Sequence[str] | None = None,
    fitted_on: Mapping[str, object] | None = None,
    folds: int = FOLDS,
    seed: int = 0,
) -> Calibration:
    """Fit an L2-regularised logistic regression on standardised features (feature name ->
    value; positive: strongly imbalanced). Classes are weighted to balance, so the cut at
    P = 0.5 is the one that serves balanced accuracy; no further threshold is searched (on a
    few dozen articles that search fits noise).

    The lower band cuts come from out-of-sample P: each article's P from the same fit made on
    the other folds (`folds`-fold, fold assignment `seed`). "Appears well balanced" is given
    only below the largest P with at most 5% of the strongly imbalanced articles' held-out P
    below it; the middle cut lies halfway between that and the threshold (`band_cuts`). With
    fewer than two articles of a class the cuts are equal thirds."""
    names = list(features or sorted(rows[0]))
    y = np.asarray(positive, dtype=bool)
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs labelled articles of both classes")
    x = _as_matrix(rows, names)
    mean, scale, model_ = _standardised_logistic(x, y)
    return Calibration(
        judge=judge,
        model=model,
        prompts_sha256=dict(prompts_sha256),
        features=names,
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
        weights=[round(float(v), 6) for v in model_.coef_[0]],
        intercept=round(float(model_.intercept_[0]), 6),
        threshold=THRESHOLD,
        cuts=held_out_cuts(x, y, folds, seed),
        feature_versions=feature_versions(names),
        fitted_on=dict(fitted_on or {}),
    )


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by bin size."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(p))


def balanced_accuracy_ci(
    y: np.ndarray, predicted: np.ndarray, seed: int = 0, resamples: int = 2000
) -> tuple[float, float] | None:
    """Bootstrap 95% percentile interval on balanced accuracy (resampling articles; resamples
    with one class only are left out)."""
    y, predicted = np.asarray(y, bool), np.asarray(predicted, bool)
    if len(y) < 2:
        return None
    rng = np.random.default_rng(seed)
    # All resamples at once (the same draws as one at a time): thousands of them in a test.
    idx = rng.integers(0, len(y), (resamples, len(y)))
    gold, hit = y[idx], y[idx] == predicted[idx]
    positives, negatives = gold.sum(axis=1), (~gold).sum(axis=1)
    both = (positives > 0) & (negatives > 0)
    if not both.any():
        return None
    recall = (hit & gold).sum(axis=1)[both] / positives[both]
    specificity = (hit & ~gold).sum(axis=1)[both] / negatives[both]
    low, high = np.percentile((recall + specificity) / 2, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def auc_ci(
    scores: Sequence[float], y: Sequence[bool], seed: int = 0, resamples: int = 2000
) -> tuple[float, float] | None:
    """Bootstrap 95% percentile interval on the AUC of `scores` against `y`, resampling the
    positive and the negative articles apart (stratified, so every resample has both classes
    and the class sizes of the data); None without two articles of each class, or with a score
    that is not a finite number."""
    from scipy.stats import rankdata

    s, y_ = np.asarray(scores, float), np.asarray(y, bool)
    pos, neg = s[y_], s[~y_]
    if len(pos) < 2 or len(neg) < 2 or not np.isfinite(s).all():
        return None
    rng = np.random.default_rng(seed)
    # All resamples at once: each row the positives' draws, then the negatives'.
    draws = np.concatenate(
        [
            pos[rng.integers(0, len(pos), (resamples, len(pos)))],
            neg[rng.integers(0, len(neg), (resamples, len(neg)))],
        ],
        axis=1,
    )
    ranks = rankdata(draws, axis=1)  # ties share their mean rank: a tie counts one half
    u = ranks[:, : len(pos)].sum(axis=1) - len(pos) * (len(pos) + 1) / 2
    low, high = np.percentile(u / (len(pos) * len(neg)), [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def score_quality(p: Sequence[float], y: Sequence[bool], predicted: Sequence[bool]) -> dict:
    """Balanced accuracy and AUC (each with a CI), Brier and ECE of probabilities against
    labels."""
    from sklearn.metrics import balanced_accuracy_score, brier_score_loss, roc_auc_score

    p_, y_, pred_ = np.asarray(p, float), np.asarray(y, bool), np.asarray(predicted, bool)
    both = len(set(y_.tolist())) == 2
    return {
        "balanced_accuracy": round(float(balanced_accuracy_score(y_, pred_)), 4),
        "balanced_accuracy_ci95": balanced_accuracy_ci(y_, pred_),
        "auc": round(float(roc_auc_score(y_, p_)), 4) if both else None,
        "auc_ci95": auc_ci(p_, y_),
        "brier": round(float(brier_score_loss(y_, p_)), 4),
        "ece": round(expected_calibration_error(p_, y_), 4),
    }


def held_out_probabilities(
    x: np.ndarray,
    y: np.ndarray,
    folds: int,
    seed: int,
    fit_predict: FitPredict = logistic_probabilities,
) -> np.ndarray:
    """Each article's P(strongly imbalanced) from a fit on the other folds (stratified k-fold,
    fold assignment `seed`); `fit_predict` is what `calibrate` fits unless told otherwise."""
    from sklearn.model_selection import StratifiedKFold

    p = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        p[test] = fit_predict(x[train], y[train], x[test])
    return p


def held_out_labels(
    x: np.ndarray, y: np.ndarray, folds: int, seed: int
) -> tuple[np.ndarray, list[str]]:
    """Each article's held-out P (as `held_out_probabilities`) and label, the label's band
    cuts also set on the other folds only (`held_out_cuts` on them), so the severe-error
    rates of these labels are out of sample too."""
    from sklearn.model_selection import StratifiedKFold

    p = np.zeros(len(y))
    labels = [""] * len(y)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        p[test] = logistic_probabilities(x[train], y[train], x[test])
        cuts = held_out_cuts(x[train], y[train], folds, seed)
        for i in test:
            labels[i] = label_for(float(p[i]), THRESHOLD, cuts)
    return p, labels


def cross_validate(
    ids: Sequence[str],
    rows: Sequence[Mapping[str, float]],
    positive: Sequence[bool],
    *,
    features: Sequence[str] | None = None,
    folds: int = FOLDS,
    seed: int = 0,
    repeats: int = REPEATS,
) -> CrossValidation:
    """Stratified k-fold: each article's probability and label come from a calibration fitted
    on the other folds (fold assignment `seed`); the balanced accuracy also over `repeats`
    fold assignments (seeds `seed`, `seed` + 1, ...)."""
    from sklearn.metrics import balanced_accuracy_score

    y = np.asarray(positive, dtype=bool)
    k = _folds(y, folds)
    if k < 2:
        raise ValueError("cross-validation needs at least two articles of each class")
    names = list(features or sorted(rows[0]))
    x = _as_matrix(rows, names)
    p, labels = held_out_labels(x, y, k, seed)
    runs = [p] + [held_out_probabilities(x, y, k, seed + r) for r in range(1, max(repeats, 1))]
    predicted = p >= THRESHOLD
    accuracies = [float(balanced_accuracy_score(y, q >= THRESHOLD)) for q in runs]
    return CrossValidation(
        folds=k,
        articles=len(rows),
        **score_quality(p, y, predicted),
        predictions={i: round(float(v), 4) for i, v in zip(ids, p, strict=True)},
        labels=dict(zip(ids, labels, strict=True)),
        fold_assignments=FoldAssignments(
            repeats=len(runs),
            mean=round(float(np.mean(accuracies)), 4),
            low=round(min(accuracies), 4),
            high=round(max(accuracies), 4),
        ),
    )


def _cv_balanced_accuracy(x: np.ndarray, y: np.ndarray, folds: int, seed: int) -> float:
    """Balanced accuracy at the threshold of these rows' held-out P (ordinary k-fold)."""
    from sklearn.metrics import balanced_accuracy_score

    k = _folds(y, folds)
    if k < 2:
        raise ValueError(
            "choosing among feature sets needs at least two articles of each class in every "
            "outer training part"
        )
    return float(balanced_accuracy_score(y, held_out_probabilities(x, y, k, seed) >= THRESHOLD))


def _best(scores: Sequence[float]) -> int:
    """The index of the best score; a tie goes to the earlier candidate."""
    return max(range(len(scores)), key=lambda i: (scores[i], -i))


def nested_cross_validate(
    ids: Sequence[str],
    rows: Sequence[Mapping[str, float]],
    positive: Sequence[bool],
    candidates: Sequence[Sequence[str]],
    *,
    folds: int = FOLDS,
    seed: int = 0,
) -> NestedCrossValidation:
    """Nested cross-validation of choosing a feature set among `candidates`: in each outer
    fold (stratified, fold assignment `seed`) an ordinary CV on the outer training part alone
    scores every candidate's balanced accuracy; the best (a tie: the earlier listed) is fitted
    on that part and predicts the outer test fold, which no choice has seen. The figure is the
    outer one. The shipped fit's choice is the candidate an ordinary CV on all articles picks
    (`selected`)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(positive, dtype=bool)
    k = _folds(y, folds)
    if k < 2:
        raise ValueError("cross-validation needs at least two articles of each class")
    if not candidates or any(not c for c in candidates):
        raise ValueError("give at least one candidate feature set, none of them empty")
    sets = [list(c) for c in candidates]
    known = set(rows[0]) if rows else set()
    missing = sorted({f for c in sets for f in c} - known)
    if missing:
        raise ValueError(
            f"no feature {', '.join(missing)}; the rows have {', '.join(sorted(known))}"
        )
    names = [candidate_name(c) for c in sets]
    matrices = [_as_matrix(rows, c) for c in sets]
    p = np.zeros(len(y))
    labels = [""] * len(y)
    choices: list[str] = []
    outer = StratifiedKFold(k, shuffle=True, random_state=seed)
    for train, test in outer.split(matrices[0], y):
        scores = [_cv_balanced_accuracy(x[train], y[train], folds, seed) for x in matrices]
        best = _best(scores)
        x = matrices[best]
        p[test] = logistic_probabilities(x[train], y[train], x[test])
        cuts = held_out_cuts(x[train], y[train], folds, seed)
        for i in test:
            labels[i] = label_for(float(p[i]), THRESHOLD, cuts)
        choices.append(names[best])
    selection = [_cv_balanced_accuracy(x, y, folds, seed) for x in matrices]
    return NestedCrossValidation(
        candidates=sets,
        folds=k,
        articles=len(rows),
        **score_quality(p, y, p >= THRESHOLD),
        choices=choices,
        chosen={n: choices.count(n) for n in names},
        selection={n: round(v, 4) for n, v in zip(names, selection, strict=True)},
        selected=sets[_best(selection)],
        predictions={i: round(float(v), 4) for i, v in zip(ids, p, strict=True)},
        labels=dict(zip(ids, labels, strict=True)),
    )


def read_calibration(path: Path) -> Calibration:
    """A calibration file; a clear one-line error for a missing, broken or newer file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read calibration {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"calibration {path} is not valid JSON: {exc}") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if version != CALIBRATION_VERSION:
        raise ConfigError(
            f"calibration {path} has version {version!r}; this debate-eval reads version "
            f"{CALIBRATION_VERSION}"
        )
    try:
        return Calibration.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"calibration {path}: {first_problem(exc)}") from exc


def write_calibration(calibration: Calibration, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")


def _shipped_dir() -> Path:
    return Path(__file__).resolve().parent / "calibrations"


@cache
def shipped_calibrations() -> tuple[Calibration, ...]:
    """The calibrations that come with debate-eval (fitted on the development set); read once
    per process (a run looks them up for the default judge, the check and the judge node)."""
    folder = _shipped_dir()
    return (
        tuple(read_calibration(p) for p in sorted(folder.glob("*.json"))) if folder.is_dir() else ()
    )


def feature_versions(features: Sequence[str]) -> dict[str, int]:
    """Today's definition version of each of `features` that is past version 1."""
    return {f: FEATURE_VERSIONS[f] for f in features if f in FEATURE_VERSIONS}


def matches(calibration: Calibration, kind: str, model: str) -> bool:
    """Whether `calibration` was fitted for this judge kind, model and the prompts in use, on
    features that still mean what they meant then."""
    return (
        calibration.judge == kind
        and calibration.model == model
        and calibration.prompts_sha256 == judge_prompts_sha256(kind)
        and calibration.feature_versions == feature_versions(calibration.features)
    )


def find_calibration(kind: str, model: str, path: Path | None = None) -> Calibration | None:
    """The calibration for this judge kind and model: the file at `path` (which must match:
    else a clear error), or the shipped one whose prompt hashes match the prompts in use (a
    changed prompt makes an old calibration not apply), or None."""
    if path is not None:
        calibration = read_calibration(path)
        if not matches(calibration, kind, model):
            raise ConfigError(
                f"calibration {path} is for the {calibration.judge} judge on "
                f"{calibration.model} with other prompts, settings or feature definitions; this "
                f"run uses the {kind} judge on {model} (calibrate again with "
                "`debate-eval calibrate`)"
            )
        return calibration
    return next((c for c in shipped_calibrations() if matches(c, kind, model)), None)


def default_rating_judge(model: str) -> str:
    """The judge marked best (cross-validated) for this model among the shipped calibrations,
    else the debate judge."""
    for calibration in shipped_calibrations():
        if calibration.model == model and calibration.fitted_on.get("default"):
            return calibration.judge
    return "debate"


def rating_choice(
    setting: str | None, calibration_path: str | None, model: str
) -> tuple[str, Calibration | None]:
    """The judge that chooses the label on judge model `model`, and its calibration. The judge:
    the setting, else the judge of the calibration file given, else the one shipped calibrated
    for the model (the best by cross-validation on the development set), else debate. The
    calibration: the file given (which must match that judge and model), else a matching
    shipped one, if any."""
    path = Path(calibration_path) if calibration_path else None
    if setting:
        judge = setting
    elif path is not None:
        judge = read_calibration(path).judge
    else:
        judge = default_rating_judge(model)
    return judge, find_calibration(judge, model, path)
