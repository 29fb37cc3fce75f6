"""The report from a finished debate: the measured rating, then the prose parts at once.

`judge` is a plain function so other tools (the eval harness) can re-judge a stored transcript.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from debate_eval.core.moves import role_fidelity
from debate_eval.core.schemas import (
    ArticleReading,
    Claim,
    Rating,
    RatingMeasurement,
    Report,
    ReportMeta,
    SummaryDraft,
    TokenUsage,
    TopicsDraft,
    Turn,
)
from debate_eval.debate.agents.judge.analysis import write_analysis
from debate_eval.debate.agents.judge.explanation import findings_text, write_explanation
from debate_eval.debate.agents.judge.parts import Parts, token_cap
from debate_eval.debate.rating import check_judge, measure_rating
from debate_eval.debate.scoring.calibration import Calibration
from debate_eval.models.calls import add_usage, gather_calls
from debate_eval.models.chat import model_name


def list_cap(schema: type[BaseModel], field: str) -> int:
    """A list part's cap: as many items as `schema` keeps, each at its longest, with the JSON
    around each."""
    items = schema.model_json_schema()["properties"][field]
    return token_cap(items["maxItems"] * (items["items"]["maxLength"] + 6))


SUMMARY_MAX_TOKENS = list_cap(SummaryDraft, "points")
TOPICS_MAX_TOKENS = list_cap(TopicsDraft, "topics")


async def ajudge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    *,
    method: str = "function_calling",
    template: str | None = None,
    rating_judge: str = "debate",
    calibration: Calibration | None = None,
    measurement: RatingMeasurement | None = None,
    reading: ArticleReading | None = None,
) -> Report:
    """Write the report from a finished debate (async). Meta covers the judge's calls only.

    The rating is measured, not written (debate/rating.py): `measurement` when the rater
    measured it already, else measured here. The prose parts (summary, explanation, analysis,
    topics) are small calls of their own; one that fails is listed in meta.problems and never
    costs the rating. reading: the screener's reading of the article (the checklist's paragraph
    question comes from it, and the report shows it).
    template: a replacement for prompts/rating.md (same placeholders), e.g. from an eval config.
    """
    check_judge(rating_judge)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    parts = Parts(article, model, method)
    usage = TokenUsage()
    if measurement is None or measurement.label is None:
        measurement = await measure_rating(
            article,
            model,
            judge=rating_judge,
            calibration=calibration,
            reading=reading,
            debate=(claims, transcript),
            checklist=measurement.checklist if measurement else None,
            template=template,
        )
        usage = measurement.usage
    assert measurement.label is not None
    items = measurement.checklist
    findings = findings_text(claims, items)
    # The prose parts, concurrently: the summary (from the article alone), the explanation, the
    # analysis and the topics (from the label and the findings).
    summary, explanation, analysis, topics = await gather_calls(
        parts.structured("summary", "summary", SummaryDraft, max_tokens=SUMMARY_MAX_TOKENS),
        write_explanation(parts, measurement.label, items, claims),
        write_analysis(parts, claims, transcript, items),
        parts.structured(
            "research topics",
            "topics",
            TopicsDraft,
            max_tokens=TOPICS_MAX_TOKENS,
            findings=findings,
        ),
    )
    return Report(
        summary=[s.strip() for s in summary.points] if summary else [],
        rating=Rating(
            label=measurement.label,
            explanation=(explanation or "(The explanation could not be written: see problems.)"),
            probabilities=measurement.probabilities,
            score=measurement.score,
            confidence=measurement.confidence,
            judge=measurement.judge,
            calibration=measurement.calibration,
        ),
        analysis=analysis,
        research_topics=[t.strip() for t in topics.topics] if topics else [],
        claims=list(claims),
        debate=list(transcript),
        checklist=items,
        reading=reading,
        meta=ReportMeta(
            models={"judge": model_name(model)},
            rounds=max((t.round for t in transcript), default=0),
            started_at=started.isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - t0, 3),
            usage={"judge": add_usage(usage, parts.usage)},
            problems=parts.problems,
            role_fidelity=role_fidelity(transcript),
            probabilities_method=measurement.method,
        ),
    )


def judge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    **options,
) -> Report:
    """Write the report from a finished debate (ajudge's options). Meta covers the judge's
    calls only."""
    from debate_eval.core.sync import run_sync

    return run_sync(ajudge(article, claims, transcript, model, **options))
