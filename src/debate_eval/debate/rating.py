"""The rating: measured, never written. One place for what the rating judges read and how the
label is chosen, used by `run` (the rater before the debate, the judge after it) and by `eval`,
so both give the same label for the same article, model and calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from debate_eval.core.moves import CONCEDE, against_claim, upheld_moves
from debate_eval.core.schemas import (
    RATING_JUDGES,
    RATING_LABELS,
    ArticleReading,
    ChecklistItem,
    Claim,
    RatingMeasurement,
    TokenUsage,
    Turn,
)
from debate_eval.debate.prompts import fence
from debate_eval.debate.scoring.calibration import Calibration, label_for
from debate_eval.debate.scoring.checklist import (
    PROBES,
    checklist_features,
    paragraph_item,
    run_probes,
)
from debate_eval.debate.scoring.rating import LabelDistribution, rate_article
from debate_eval.debate.transcript import format_claims, format_turns
from debate_eval.models.calls import add_usage


def verdict_share(claims: Sequence[Claim]) -> float:
    """Expected share of the debated claims that are unsupported or contested: by the verdict
    probabilities where there are some, else by the verdicts."""
    ruled = [c for c in claims if c.verdict is not None]
    if not ruled:
        return 0.0
    return sum(against_claim(c) for c in ruled) / len(ruled)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def debate_features(
    claims: Sequence[Claim], turns: Sequence[Turn] | None = None
) -> dict[str, float]:
    """What the debate found, each feature left out where nothing measures it (no claim with
    that probe, no skeptic move), as the checklist's features are:

    verdict_share: the expected share of claims ruled against (verdict_share);
    claims_without_evidence: mean over claims of 1 - probes["evidence"] (P(the article gives
      no data, named source or document for the claim));
    claims_without_view_against: mean of 1 - probes["view_against"];
    opinion_as_fact_claims: mean of probes["opinion_as_fact"];
    skeptic_upheld: of the skeptic's moves (concessions aside), the share that stood
      (core.moves.upheld_moves); needs `turns`, as the two after it do;
    skeptic_loaded_wording: mean over the skeptic's turns of the loaded-wording question's
      P(the answer that makes the move), about the sentence the skeptic picked;
    advocate_direct_evidence: the same over the advocate's turns for its direct-evidence
      question (data, a document, a named source).
    One question each, not the strongest of a menu: each question has its own level of "yes"
    whatever the sentence (core/moves.py), so a maximum would mostly say which question is
    asked, and the content-free answers that moves are read against are not stored.
    """
    features = {"verdict_share": verdict_share(claims)}
    for name, probe, flip in (
        ("claims_without_evidence", "evidence", True),
        ("claims_without_view_against", "view_against", True),
        ("opinion_as_fact_claims", "opinion_as_fact", False),
    ):
        values = [c.probes[probe] for c in claims if c.probes and probe in c.probes]
        if (mean := _mean([1.0 - v if flip else v for v in values])) is not None:
            features[name] = mean
    if turns is not None:
        moves = [t for t in turns if t.role == "skeptic" and t.move not in (None, CONCEDE)]
        if moves:
            features["skeptic_upheld"] = len(upheld_moves(claims, moves)) / len(moves)
        for name, role, question in (
            ("skeptic_loaded_wording", "skeptic", "loaded_wording"),
            ("advocate_direct_evidence", "advocate", "direct_evidence"),
        ):
            if (mean := _mean(move_answers(turns, role, question))) is not None:
                features[name] = mean
    return features


def move_answers(turns: Sequence[Turn], role: str, question: str) -> list[float]:
    """The answer to move `question` per turn of `role` that was asked it. Every such turn
    counts, concessions and off-side turns too: the answer measures the sentence, whatever
    move was then made of it."""
    return [
        answers[question]
        for t in turns
        if t.role == role and (answers := t.move_probabilities) and question in answers
    ]


# The features debate_features computes: what refreshed_debate_features replaces in a
# stored measurement.
DEBATE_FEATURES = (
    "verdict_share",
    "claims_without_evidence",
    "claims_without_view_against",
    "opinion_as_fact_claims",
    "skeptic_upheld",
    "skeptic_loaded_wording",
    "advocate_direct_evidence",
)


def refreshed_debate_features(
    features: dict[str, float], claims: Sequence[Claim], turns: Sequence[Turn]
) -> dict[str, float]:
    """A stored measurement's features with the debate's computed again from the debate it
    judged, by today's rules: a feature or rule added after the debates ran applies to them
    without running them again. Features measured without the debate (no `verdict_share`: no
    letter call over the claims) are returned as they are."""
    if "verdict_share" not in features:
        return features
    kept = {k: v for k, v in features.items() if k not in DEBATE_FEATURES}
    return {**kept, **stored_features(debate_features(claims, turns))}


def rating_features(
    items: Sequence[ChecklistItem],
    dist: LabelDistribution | None,
    claims: Sequence[Claim] | None = None,
    turns: Sequence[Turn] | None = None,
) -> dict[str, float]:
    """What a calibration reads. `run` and the eval harness both build it here, so a
    calibration fitted on eval results applies to runs. The names are stable (calibrations are
    keyed on them):

    the checklist probes by id, and `checklist`, their mean (checklist_features);
    with a letter call, `score`, its expected score on 1-4;
    with a letter call and the debated claims, the debate's features (debate_features:
    verdict_share, claims_without_evidence, claims_without_view_against,
    opinion_as_fact_claims, and with the debate's `turns` skeptic_upheld,
    skeptic_loaded_wording, advocate_direct_evidence).
    """
    features = checklist_features(items)
    if dist is not None:
        features["score"] = dist.score
        if claims is not None:
            features.update(debate_features(claims, turns))
    return features


def debate_evidence(claims: Sequence[Claim], transcript: Sequence[Turn]) -> str:
    """The claims with their verdicts and the debate, fenced (model-written text is data)."""
    return (
        "The claims, each with the claim judge's verdict:\n"
        + format_claims(claims)
        + "\n\nThe debates (each turn starts with its id in square brackets):\n"
        + fence("debate", format_turns(transcript))
    )


@dataclass
class RatingChoice:
    """How the report's label was chosen."""

    label: str
    confidence: float
    calibration: str | None


def choose_label(
    judge_kind: str,
    dist: LabelDistribution | None,
    features: dict[str, float],
    calibration: Calibration | None,
) -> RatingChoice:
    """The label: from a matching calibration if there is one, else the judge's own rule
    (most probable label; checklist: the mean probe probability as P(strongly))."""
    if calibration is not None:
        p = calibration.probability(features)
        label = calibration.label(p)
        confidence = p if label == RATING_LABELS[3] else 1.0 - p
        return RatingChoice(label, confidence, calibration.describe())
    if judge_kind == "checklist" or dist is None:
        p = features["checklist"]
        label = label_for(p, 0.5)
        return RatingChoice(label, p if label == RATING_LABELS[3] else 1.0 - p, None)
    return RatingChoice(dist.label, dist.probabilities[dist.label], None)


def stored_features(features: dict[str, float]) -> dict[str, float]:
    """The features as a measurement keeps them (6 digits)."""
    return {k: round(v, 6) for k, v in features.items()}


def with_label(
    measured: RatingMeasurement,
    dist: LabelDistribution | None,
    features: dict[str, float],
    calibration: Calibration | None,
) -> RatingMeasurement:
    """`measured` with its label, confidence and calibration (choose_label): the one step the
    early rating and the full measurement share, so the two cannot drift apart."""
    choice = choose_label(measured.judge, dist, features, calibration)
    return measured.model_copy(
        update={
            "label": choice.label,
            "confidence": round(choice.confidence, 4),
            "calibration": choice.calibration,
        }
    )


def check_judge(rating_judge: str) -> None:
    if rating_judge not in RATING_JUDGES:
        raise ValueError(
            f"rating judge must be one of {', '.join(RATING_JUDGES)}, not {rating_judge!r}"
        )


def rating_from_reading(
    judge: str, calibration: Calibration | None, reading: ArticleReading | None
) -> RatingMeasurement | None:
    """The checklist judge's label and confidence from the screener's reading alone, when the
    calibration in use reads nothing else (the paragraph questions' features): known before the
    whole-article questions, and what their full measurement will choose (`measure_rating`
    computes the same features from the same reading). None when the label needs more."""
    if judge != "checklist" or calibration is None or reading is None:
        return None
    items = [paragraph_item(p, reading) for p in PROBES if p.paragraph_question]
    features = checklist_features(items)
    if not set(calibration.features) <= set(features):
        return None
    measured = RatingMeasurement(
        judge=judge,
        checklist=items,
        features=stored_features(features),
        method=items[0].method if items else None,
    )
    return with_label(measured, None, features, calibration)


async def measure_rating(
    article: str,
    model: BaseChatModel,
    *,
    judge: str,
    calibration: Calibration | None = None,
    reading: ArticleReading | None = None,
    debate: tuple[Sequence[Claim], Sequence[Turn]] | None = None,
    checklist: Sequence[ChecklistItem] | None = None,
    template: str | None = None,
    persona: str | None = None,
    role: str = "judge",
    trace: dict | None = None,
    probes: bool = True,
    slots: int | None = None,
) -> RatingMeasurement:
    """The rating judge's measurement and label for `article` (as the agents read it).

    checklist: the probes' answers when already measured (the rater's, before the debate).
    debate: the claims and turns, for the debate judge; without them its label is left pending
    (None), to be completed after the debate with the same checklist.
    probes: False asks the baseline-prob judge its letter alone (no checklist: nothing to
    report it in).
    slots: the probes' calls in flight at once (run_probes; None: all at once).
    """
    check_judge(judge)
    usage = TokenUsage()
    if checklist is not None:
        items = list(checklist)
    elif probes or judge != "baseline-prob":
        items, usage = await run_probes(
            article, model, role=role, reading=reading, trace=trace, slots=slots
        )
    else:  # the letter alone: what baseline-prob reads (eval, with no report to write)
        items = []
    dist: LabelDistribution | None = None
    claims: Sequence[Claim] | None = None
    turns: Sequence[Turn] | None = None
    if judge == "baseline-prob" or (judge == "debate" and debate is not None):
        evidence = ""
        if judge == "debate" and debate is not None:
            claims, turns = debate
            evidence = debate_evidence(*debate)
        extra = {"persona": persona} if persona else {}
        dist = await rate_article(
            article, model, evidence=evidence, role=role, template=template, trace=trace, **extra
        )
        usage = add_usage(usage, dist.usage)
    features = rating_features(items, dist, claims, turns)
    measured = RatingMeasurement(
        judge=judge,
        checklist=items,
        features=stored_features(features),
        probabilities=dist.probabilities if dist else None,
        score=round(dist.score, 4) if dist else None,
        method=dist.method if dist else (items[0].method if items else None),
        usage=usage,
    )
    if judge == "debate" and debate is None:
        return measured  # the label waits for the debate
    return with_label(measured, dist, features, calibration)
