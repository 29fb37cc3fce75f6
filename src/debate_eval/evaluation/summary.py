"""From judgments to results.jsonl rows and summary.json metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from debate_eval.core.schemas import RATING_LABELS
from debate_eval.debate.scoring.calibration import CALIBRATION_FEATURES
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
                "tokens_in": j.tokens_in,
                "tokens_out": j.tokens_out,
                "latency_s": j.latency_s,
                "settings": j.settings,
            }
        )
    return rows


def _primary(judgments: Sequence[Judgment]) -> list[Judgment]:
    return [j for j in judgments if j.repeat == 0 and j.speaking_order == ADVOCATE_FIRST]


def summarise(
    judgments: Sequence[Judgment],
    examples: Sequence[Example],
    scheme: LabelScheme,
    debates: dict[tuple[str, str], StoredDebate],
    judge_names: Sequence[str],
) -> dict:
    """summary.json: metrics per judge, agreement between judges, and debate costs."""
    ids = [e.id for e in examples]
    gold = {e.id: scheme.gold_class(e.label) for e in examples}
    by_judge: dict[str, list[Judgment]] = defaultdict(list)
    for j in judgments:
        by_judge[j.judge].append(j)
    ratings = {
        name: {j.article_id: j.rating for j in _primary(by_judge[name])} for name in judge_names
    }
    positive_class = scheme.predicted_class(RATING_LABELS[3])
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
        scored = [j for j in _primary(own) if j.features]
        if scored and scheme.kind != "four_way":
            kind = scored[0].settings["judge"]["kind"]
            judges[name]["probability_scored"] = metrics.probability_scored(
                [j.article_id for j in scored],
                [with_checklist_mean(j.features) for j in scored],
                [gold[j.article_id] == positive_class for j in scored],
                CALIBRATION_FEATURES[kind],
            )
    done = [d for d in debates.values() if d.transcript is not None]
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
        "kappa_between_judges": metrics.pairwise_kappa(ratings),
        "alpha": metrics.ordinal_alpha(ratings),
        "debates": {
            "count": len(done),
            "failed": len(debates) - len(done),
            "tokens_in": metrics.mean_p95([d.tokens_in for d in done]),
            "tokens_out": metrics.mean_p95([d.tokens_out for d in done]),
            "latency_s": metrics.mean_p95([d.latency_s for d in done]),
        },
    }
