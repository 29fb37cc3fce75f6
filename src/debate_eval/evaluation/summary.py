"""From judgments to results.jsonl rows and summary.json metrics."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from debate_eval.core.moves import role_fidelity
from debate_eval.core.schemas import RATING_LABELS
from debate_eval.debate.agents.claim_judge import in_own_words
from debate_eval.debate.rating import choose_label
from debate_eval.debate.scoring.calibration import (
    CALIBRATION_FEATURES,
    Calibration,
    score_quality,
)
from debate_eval.debate.scoring.checklist import with_checklist_mean
from debate_eval.evaluation import metrics
from debate_eval.evaluation.datasets import Example, LabelScheme
from debate_eval.evaluation.harness import ADVOCATE_FIRST, SKEPTIC_FIRST
from debate_eval.evaluation.store import Judgment, StoredDebate


def result_rows(
    judgments: Sequence[Judgment], examples: Sequence[Example], scheme: LabelScheme
) -> list[dict]:
    """One row per article x judge x repeat (x speaking order), with the full settings."""
    by_id = {e.id: e for e in examples}
    rows = []
    for j in judgments:
        example = by_id[j.article_id]
        gold = scheme.gold_class(example.label)
        predicted = scheme.predicted_class(j.rating) if j.rating else None
        rows.append(
            {
                "article_id": j.article_id,
                "title": example.title,
                "gold_label": example.label,
                "gold_class": gold,
                "judge": j.judge,
                "repeat": j.repeat,
                "speaking_order": j.speaking_order,
                "rating": j.rating,
                "predicted_class": predicted,
                "correct": None if predicted is None else predicted == gold,
                "unscored_reason": j.unscored_reason,
                "votes": j.votes,
                "probabilities": j.probabilities,
                "score": j.score,
                "features": j.features,
                "probabilities_method": j.method,
                "screened_out": j.screened_out,
                "tokens_in": j.tokens_in,
                "tokens_out": j.tokens_out,
                "latency_s": j.latency_s,
                "settings": j.settings,
            }
        )
    return rows


def debate_rows(debates: Mapping[tuple[str, str], StoredDebate]) -> list[dict]:
    """One row per stored debate: its article and speaking order, the error of a failed one,
    and its role fidelity (core.moves.role_fidelity; None when no turn was side-checked)."""
    return [
        {
            "article_id": d.article_id,
            "speaking_order": d.speaking_order,
            "error": d.error,
            "role_fidelity": role_fidelity(d.transcript.debate) if d.transcript else None,
        }
        for d in debates.values()
    ]


def debate_choices(done: Sequence[StoredDebate]) -> dict:
    """What the finished debates chose: each move kind's turns per role, the verdicts, the
    decisive points in the judge's own words against those replaced by the move's fixed form
    (they copied a turn twice), and the mean model calls per debate."""
    turns = [t for d in done for t in d.transcript.debate if t.role != "judge"]
    claims = [(c, d.transcript.debate) for d in done for c in d.transcript.claims]
    own = [w for c, debate in claims if (w := in_own_words(c, debate)) is not None]
    calls = [sum(u.calls for u in d.transcript.usage.values()) for d in done]
    return {
        "moves": {
            role: dict(Counter(t.move or "none" for t in turns if t.role == role).most_common())
            for role in ("advocate", "skeptic")
        },
        "verdicts": dict(Counter(c.verdict for c, _ in claims if c.verdict).most_common()),
        "decisive_points": {"own_words": sum(own), "fixed_form": len(own) - sum(own)},
        "calls": metrics.mean_p95(calls),
    }


def _primary(judgments: Sequence[Judgment]) -> list[Judgment]:
    return [j for j in judgments if j.repeat == 0 and j.speaking_order == ADVOCATE_FIRST]


IN_SAMPLE = "in-sample, not an accuracy"


def fitted_articles(calibration: Calibration, dataset: str | None, ids: Sequence[str]) -> set[str]:
    """Which of these articles `calibration` was fitted on: those it was cross-validated on
    (every article of its fit); for a calibration without that record (older files), all of
    them when the file has the name of the one it was fitted on."""
    cv = calibration.cross_validation
    if cv is not None and cv.predictions:
        return set(ids) & set(cv.predictions)
    return set(ids) if calibration.fitted_on.get("dataset") == dataset else set()


def as_shipped(
    scored: Sequence[Judgment],
    kind: str,
    calibration: Calibration,
    positive: Mapping[str, bool],
    dataset: str | None,
) -> dict:
    """The labels `run` would give these articles with this calibration, chosen from their
    stored features by the rating policy itself (debate.rating.choose_label), against gold:
    on the articles it was not fitted on (out of sample) when there are any, the ones it was
    fitted on left out of the figures; on all of them, marked in-sample, when there are not."""
    ids: list[str] = []
    p: list[float] = []
    labels: list[str] = []
    missing = 0
    for j in scored:
        features = with_checklist_mean(j.features or {})
        try:
            choice = choose_label(kind, None, features, calibration)
            probability = calibration.probability(features)
        except ValueError:  # rows stored before a feature the calibration reads was recorded
            missing += 1
            continue
        ids.append(j.article_id)
        p.append(probability)
        labels.append(choice.label)
    # Counted among the articles it can label (rows missing a feature are counted apart).
    fitted = fitted_articles(calibration, dataset, ids)
    unseen = [k for k, i in enumerate(ids) if i not in fitted]
    out_of_sample: bool | None = bool(unseen) if ids else None
    figures = unseen if out_of_sample else list(range(len(ids)))
    out: dict = {
        "calibration": calibration.describe(),
        "fitted_on": calibration.fitted_on.get("dataset"),
        "out_of_sample": out_of_sample,
        "articles_it_was_fitted_on": len(fitted),
        "articles": len(figures),
        "missing_features": missing,
    }
    if out_of_sample is None:
        out["note"] = "no article has every feature the calibration reads"
    elif not out_of_sample:
        out["note"] = IN_SAMPLE
    elif fitted:
        n = len(fitted)
        out["note"] = (
            f"the {n} article{'s' * (n != 1)} it was fitted on {'are' if n != 1 else 'is'} "
            "left out of these figures"
        )
    if figures:
        y = [positive[ids[k]] for k in figures]
        out.update(
            score_quality(
                [p[k] for k in figures], y, [labels[k] == RATING_LABELS[3] for k in figures]
            )
        )
        out["severe_errors"] = metrics.severe_errors([labels[k] for k in figures], y)
    out["labels"] = dict(zip(ids, labels, strict=True))
    return out


def screener_alarms(judgments: Sequence[Judgment], gold: Mapping[str, str]) -> dict:
    """Articles the screener left text out of (as written to AI systems), per gold class: on
    labelled articles with no such text each one is a false alarm."""
    recorded: dict[str, bool] = {}
    for j in judgments:
        if j.screened_out is not None:
            recorded[j.article_id] = recorded.get(j.article_id, False) or bool(j.screened_out)
    by_class: dict[str, dict[str, int]] = {}
    for article, cls in gold.items():
        counts = by_class.setdefault(cls, {"articles": 0, "with_text_left_out": 0})
        counts["articles"] += 1
        counts["with_text_left_out"] += recorded.get(article, False)
    return {
        "by_gold_class": by_class,
        "articles_with_text_left_out": sum(recorded.values()),
        "unrecorded": sum(a not in recorded for a in gold),
    }


def summarise(
    judgments: Sequence[Judgment],
    examples: Sequence[Example],
    scheme: LabelScheme,
    debates: dict[tuple[str, str], StoredDebate],
    judge_names: Sequence[str],
    calibrations: Mapping[str, Calibration | None] | None = None,
    dataset: str | None = None,
) -> dict:
    """summary.json: metrics per judge, agreement between judges, and debate costs.

    calibrations: judge name -> the calibration `run` would apply (its labels as shipped are
    reported beside a cross-validation on this dataset); dataset: the dataset's file name,
    which tells a calibration's own data from new data."""
    calibrations = calibrations or {}
    ids = [e.id for e in examples]
    gold = {e.id: scheme.gold_class(e.label) for e in examples}
    by_judge: dict[str, list[Judgment]] = defaultdict(list)
    for j in judgments:
        by_judge[j.judge].append(j)
    ratings = {
        name: {j.article_id: j.rating for j in _primary(by_judge[name])} for name in judge_names
    }
    positive_class = scheme.predicted_class(RATING_LABELS[3])
    binary_gold = scheme.kind != "four_way"  # one class is "strongly imbalanced"
    positive = {i: gold[i] == positive_class for i in ids}
    judges = {}
    for name in judge_names:
        own = by_judge[name]
        primary = ratings[name]
        predicted = [scheme.predicted_class(primary[i]) if primary.get(i) else None for i in ids]
        repeats: dict[str, list[str | None]] = defaultdict(list)
        for j in own:
            if j.speaking_order == ADVOCATE_FIRST:
                repeats[j.article_id].append(j.rating)
        swapped = {
            j.article_id: j.rating
            for j in own
            if j.repeat == 0 and j.speaking_order == SKEPTIC_FIRST
        }
        judges[name] = {
            **metrics.gold_metrics([gold[i] for i in ids], predicted, scheme.classes),
            "swap_consistency": metrics.swap_consistency(
                [(primary.get(i), swapped[i]) for i in ids if i in swapped]
            ),
            "self_consistency": metrics.self_consistency(repeats),
            "unscored_reasons": sorted({j.unscored_reason for j in own if j.unscored_reason}),
            "tokens_in": metrics.mean_p95([j.tokens_in for j in own]),
            "tokens_out": metrics.mean_p95([j.tokens_out for j in own]),
            "latency_s": metrics.mean_p95([j.latency_s for j in own]),
            "ratings": {i: primary.get(i) for i in ids},
        }
        if binary_gold:
            judges[name]["severe_errors"] = metrics.severe_errors(
                [primary.get(i) for i in ids], [positive[i] for i in ids]
            )
        scored = [j for j in _primary(own) if j.features]
        if scored and binary_gold:
            kind = scored[0].settings["judge"]["kind"]
            calibration = calibrations.get(name)
            # Cross-validate the design the calibration in use has, so the two figures compare.
            fitted = calibration.features if calibration else CALIBRATION_FEATURES[kind]
            judges[name]["probability_scored"] = metrics.probability_scored(
                [j.article_id for j in scored],
                [with_checklist_mean(j.features) for j in scored],
                [positive[j.article_id] for j in scored],
                fitted,
            )
            cv = judges[name]["probability_scored"]["cross_validation"]
            judges[name]["cross_validated"] = {"features": list(fitted), **cv}
            if calibration is not None:
                shipped = as_shipped(scored, kind, calibration, positive, dataset)
                judges[name]["as_shipped"] = shipped
                # The judge's own figures above label every article, those it was fitted on too.
                judges[name]["fitted_articles_included"] = shipped["articles_it_was_fitted_on"]
    done = [d for d in debates.values() if d.transcript is not None]
    rows = debate_rows(debates)
    fidelity = [r["role_fidelity"] for r in rows if r["role_fidelity"] is not None]
    # Left out when no debate was side-checked (debates stored before the side check).
    fidelity_summary = (
        {"role_fidelity": round(sum(fidelity) / len(fidelity), 4), "side_checked": len(fidelity)}
        if fidelity
        else {}
    )
    return {
        "articles": len(examples),
        "label_mapping": {
            "name": scheme.name,
            "kind": scheme.kind,
            "classes": list(scheme.classes),
            "weak_directional_check": scheme.weak,
            "note": (
                "Gold labels are political lean, not balance: a weak directional check only."
                if scheme.weak
                else ""
            ),
        },
        "judges": judges,
        "screener": screener_alarms(judgments, gold),
        "kappa_between_judges": metrics.pairwise_kappa(ratings),
        "alpha": metrics.ordinal_alpha(ratings),
        "debates": {
            "count": len(done),
            "failed": len(debates) - len(done),
            "tokens_in": metrics.mean_p95([d.tokens_in for d in done]),
            "tokens_out": metrics.mean_p95([d.tokens_out for d in done]),
            "latency_s": metrics.mean_p95([d.latency_s for d in done]),
            **fidelity_summary,
            **(debate_choices(done) if done else {}),
            "rows": rows,
        },
    }
