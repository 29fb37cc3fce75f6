"""Calibration: a logistic model from a judge's scores (label probabilities, checklist probes)
to the probability that the article is "strongly imbalanced", fitted on labelled data (the
score thresholds are where that probability crosses the label bands). Reported only by
k-fold cross-validation, never on the data it was fitted on.

The file `debate-eval calibrate` writes is keyed by model, judge and prompt hashes: a run uses
a calibration only when all three match what it is about to call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from debate_eval.core.errors import ConfigError, first_problem
from debate_eval.core.evidence import PICK_ORDERS
from debate_eval.core.schemas import RATING_LABELS

CALIBRATION_VERSION = 1
FOLDS = 5
# One fold assignment's balanced accuracy moves by a few points with which articles share a
# fold (on 40 articles one article is 2.5 points): also report its spread over this many.
REPEATS = 20
# Fits weight the classes to balance, so P = 0.5 is the cut that serves balanced accuracy.
THRESHOLD = 0.5
# What each judge's calibration is fitted on, chosen before seeing any labels and kept small
# (40 labelled articles do not support a weight per probe): the letter call's expected score,
# the whole-article probes' unweighted mean, for the checklist judge also the paragraph
# probe's mean, and for the debate judge also the verdict share.
CALIBRATION_FEATURES: dict[str, tuple[str, ...]] = {
    "baseline-prob": ("score",),
    "checklist": ("checklist", "persuasive_paragraphs"),
    "debate": ("checklist", "score", "verdict_share"),
}
# The prompt file each judge kind's rating call uses, and the others its calls use.
PROMPT_OF_KIND = {
    "baseline": "baseline_judge",
    "baseline-prob": "rating",
    "checklist": "probe",
    "debate": "rating",
}


def _extra_prompts(kind: str) -> tuple[str, ...]:
    from debate_eval.debate.prompts import DEBATE_PROMPTS

    # The debate judge's features (the verdict share) come from the debate: a calibration fitted
    # on debates made with other prompts does not match. The checklist judge also reads the
    # questions asked of each paragraph (prompts/paragraph_reader.md).
    if kind == "debate":
        return ("probe", *DEBATE_PROMPTS)
    if kind == "checklist":
        return ("paragraph_reader",)
    return ()


def judge_prompts_sha256(kind: str, template: str | None = None) -> dict[str, str]:
    """Hashes of every prompt a judge kind's calls use (`template` replacing its main one),
    and of the checklist questions for the judges that ask them; for the debate judge also
    the prompts its debates were made with."""
    from debate_eval.debate.prompts import load_prompt, prompt_hash
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
        # How the debaters' evidence picks are asked changes the debates too.
        hashes["evidence_pick_orders"] = prompt_hash("\n".join(PICK_ORDERS))
    return hashes


class FoldAssignments(BaseModel):
    """Cross-validated balanced accuracy over several fold assignments (seeds 0, 1, ...)."""

    repeats: int
    mean: float
    low: float = Field(description="The lowest of the repeats.")
    high: float = Field(description="The highest of the repeats.")


class CrossValidation(BaseModel):
    """Held-out quality of a calibration: every article predicted by a model fitted on the
    other folds (fold assignment seed 0), and the balanced accuracy's spread over others."""

    folds: int
    articles: int
    balanced_accuracy: float
    balanced_accuracy_ci95: tuple[float, float] | None
    auc: float | None
    brier: float
    ece: float
    predictions: dict[str, float] = Field(
        default_factory=dict, description="Held-out P(strongly imbalanced) per article id."
    )
    fold_assignments: FoldAssignments | None = Field(
        default=None, description="Balanced accuracy over repeated fold assignments."
    )


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
    fitted_on: dict[str, object] = Field(default_factory=dict)
    cross_validation: CrossValidation | None = None

    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.judge, self.model, tuple(sorted(self.prompts_sha256.items())))

    def probability(self, features: Mapping[str, float]) -> float:
        missing = [f for f in self.features if f not in features]
        if missing:
            raise ValueError(f"calibration needs features {', '.join(missing)}")
        x = (np.array([features[f] for f in self.features]) - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(x @ np.array(self.weights) + self.intercept))))

    def label(self, probability: float) -> str:
        return label_for(probability, self.threshold)

    def describe(self) -> str:
        """One line naming the calibration, e.g. for the report's rating line."""
        fitted = self.fitted_on.get("dataset", "labelled data")
        line = f"{self.judge} on {self.model}, fitted on {fitted}"
        if debate := self.fitted_on.get("debate"):
            line += f" (debates of {debate_length(debate['max_claims'], debate['rounds'])})"
        cv = self.cross_validation
        if cv is not None:
            ci = cv.balanced_accuracy_ci95
            auc = "–" if cv.auc is None else f"{cv.auc:.2f}"
            line += (
                f"; {cv.folds}-fold cross-validated balanced accuracy "
                f"{cv.balanced_accuracy:.2f}"
                + (f" (95% CI {ci[0]:.2f}–{ci[1]:.2f})" if ci else "")
                + f", AUC {auc}, Brier {cv.brier:.3f}, ECE {cv.ece:.3f}, {cv.articles} articles"
            )
            if (spread := cv.fold_assignments) is not None:
                line += (
                    f"; over {spread.repeats} fold assignments {spread.mean:.2f} "
                    f"({spread.low:.2f}–{spread.high:.2f})"
                )
        return line


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


def label_for(probability: float, threshold: float) -> str:
    """The four labels as bands of P(strongly imbalanced): from the threshold up "strongly",
    below it three equal bands (the binary labels fit only the top cut)."""
    if probability >= threshold:
        return RATING_LABELS[3]
    band = int(3 * probability / threshold) if threshold > 0 else 0
    return RATING_LABELS[min(band, 2)]


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


def fit(
    rows: Sequence[Mapping[str, float]],
    positive: Sequence[bool],
    *,
    judge: str,
    model: str,
    prompts_sha256: Mapping[str, str],
    features: Sequence[str] | None = None,
    fitted_on: Mapping[str, object] | None = None,
) -> Calibration:
    """Fit an L2-regularised logistic regression on standardised features (feature name ->
    value; positive: strongly imbalanced). Classes are weighted to balance, so the cut at
    P = 0.5 is the one that serves balanced accuracy; no further threshold is searched (on a
    few dozen articles that search fits noise)."""
    names = list(features or sorted(rows[0]))
    y = np.asarray(positive, dtype=bool)
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs labelled articles of both classes")
    mean, scale, model_ = _standardised_logistic(_as_matrix(rows, names), y)
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
    """Bootstrap 95% percentile interval on balanced accuracy (resampling articles)."""
    from sklearn.metrics import balanced_accuracy_score

    if len(y) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        if len(set(y[idx].tolist())) < 2:
            continue
        values.append(balanced_accuracy_score(y[idx], predicted[idx]))
    if not values:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def score_quality(p: Sequence[float], y: Sequence[bool], predicted: Sequence[bool]) -> dict:
    """Balanced accuracy (with CI), AUC, Brier and ECE of probabilities against labels."""
    from sklearn.metrics import balanced_accuracy_score, brier_score_loss, roc_auc_score

    p_, y_, pred_ = np.asarray(p, float), np.asarray(y, bool), np.asarray(predicted, bool)
    both = len(set(y_.tolist())) == 2
    return {
        "balanced_accuracy": round(float(balanced_accuracy_score(y_, pred_)), 4),
        "balanced_accuracy_ci95": balanced_accuracy_ci(y_, pred_),
        "auc": round(float(roc_auc_score(y_, p_)), 4) if both else None,
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
    k = min(folds, int(y.sum()), int((~y).sum()))
    if k < 2:
        raise ValueError("cross-validation needs at least two articles of each class")
    names = list(features or sorted(rows[0]))
    x = _as_matrix(rows, names)
    runs = [held_out_probabilities(x, y, k, seed + r) for r in range(max(repeats, 1))]
    p, predicted = runs[0], runs[0] >= THRESHOLD
    accuracies = [float(balanced_accuracy_score(y, q >= THRESHOLD)) for q in runs]
    return CrossValidation(
        folds=k,
        articles=len(rows),
        **score_quality(p, y, predicted),
        predictions={i: round(float(v), 4) for i, v in zip(ids, p, strict=True)},
        fold_assignments=FoldAssignments(
            repeats=len(runs),
            mean=round(float(np.mean(accuracies)), 4),
            low=round(min(accuracies), 4),
            high=round(max(accuracies), 4),
        ),
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


def matches(calibration: Calibration, kind: str, model: str) -> bool:
    """Whether `calibration` was fitted for this judge kind, model and the prompts in use."""
    return (
        calibration.judge == kind
        and calibration.model == model
        and calibration.prompts_sha256 == judge_prompts_sha256(kind)
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
                f"{calibration.model} with other prompts or settings; this run uses the {kind} "
                f"judge on {model} (calibrate again with `debate-eval calibrate`)"
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
