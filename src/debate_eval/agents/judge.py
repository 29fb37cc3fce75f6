"""The judge: turns the article, the claims, their verdicts and the debate into the report.

`judge` is a plain function so other tools (the eval harness) can re-judge a stored transcript.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime
from pydantic import Field, create_model, field_validator, model_validator

from debate_eval.calls import ask_structured
from debate_eval.llm import model_name
from debate_eval.novelty import content_words
from debate_eval.prompts import build_messages
from debate_eval.schemas import (
    RATING_LABELS,
    AnalysisParagraph,
    Claim,
    Rating,
    Report,
    ReportDraft,
    ReportMeta,
    Turn,
)
from debate_eval.state import DebateContext, GraphState
from debate_eval.transcript import format_claims, format_turns


def _ids_field(ids: Sequence[str], description: str, *, required: bool):
    if not ids:
        return (list[str], Field(default_factory=list, max_length=0, description=description))
    kind = list[Literal[tuple(ids)]]  # type: ignore[valid-type]
    if required:
        return (kind, Field(min_length=1, description=description))
    return (kind, Field(default_factory=list, description=description))


_CITED_ID_RE = re.compile(r"\bc\d+(?:-r\d+-(?:advocate|skeptic|judge))?\b")


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _closest_claim(text: str, claim_texts: dict[str, str]) -> str | None:
    words = content_words(text)
    overlap = {cid: len(words & content_words(ct)) for cid, ct in claim_texts.items()}
    best = max(overlap, key=overlap.__getitem__, default=None)
    return best if best is not None and overlap[best] >= 1 else None


def _grounder(
    claim_ids: Sequence[str], turn_ids: Sequence[str], claim_texts: dict[str, str] | None = None
) -> Callable[[Any], tuple[Any, str | None]]:
    """A function giving a paragraph with its known citations, or the reason it has none.

    Small models mix turn ids into claim_ids or cite an id that does not exist; grounding
    survives as long as one real claim is cited, so unknown ids are dropped rather than failing
    the whole report, and a cited turn also grounds the paragraph in its claim. A paragraph
    that cites nothing is grounded in the claim whose words it shares most, if any.
    """
    known_claims, known_turns = set(claim_ids), set(turn_ids)

    def ground(data: Any) -> tuple[Any, str | None]:
        if isinstance(data, str):  # a bare paragraph, without its id lists
            data = {"text": data}
        if not isinstance(data, dict):
            return data, None
        cited = [
            *_as_list(data.get("claim_ids")),
            *_as_list(data.get("turn_ids")),
            *_CITED_ID_RE.findall(str(data.get("text", ""))),
        ]
        cited = [c.strip(" []'\"") for c in cited]
        turns = [c for c in dict.fromkeys(cited) if c in known_turns]
        from_turns = [t.split("-", 1)[0] for t in turns]
        claims = [c for c in dict.fromkeys([*cited, *from_turns]) if c in known_claims]
        near = _closest_claim(str(data.get("text")), claim_texts or {}) if not claims else None
        if near is not None:
            # No id at all: ground the paragraph in the claim it talks about.
            claims = [near]
        if not claims:
            return data, (
                f"the paragraph cites no claim of this debate (it cited: "
                f"{', '.join(cited) or 'nothing'}); cite one of {', '.join(claim_ids)}"
            )
        return {**data, "claim_ids": claims, "turn_ids": turns}, None

    return ground


def _citation_cleaner(ground: Callable[[Any], tuple[Any, str | None]]):
    """A before-validator for one paragraph: its known citations, or a clear error."""

    def clean(data: Any) -> Any:
        grounded, problem = ground(data)
        if problem:
            raise ValueError(problem)
        return grounded

    return model_validator(mode="before")(clean)


def _ungrounded_dropper(ground: Callable[[Any], tuple[Any, str | None]]):
    """A before-validator for the analysis: paragraphs that cannot be grounded in any claim are
    left out when at least two grounded ones remain (a report need not fail for one stray
    paragraph); with fewer, they stay and fail validation with the reason."""

    def drop(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        kept = [p for p in value if ground(p)[1] is None]
        return kept if len(kept) >= 2 else value

    return field_validator("analysis", mode="before")(drop)


def grounded_report_schema(
    claim_ids: Sequence[str],
    turn_ids: Sequence[str],
    claim_texts: dict[str, str] | None = None,
) -> type[ReportDraft]:
    """ReportDraft whose paragraphs may only cite the given claim and turn ids."""
    ground = _grounder(claim_ids, turn_ids, claim_texts)
    paragraph = create_model(
        "AnalysisParagraph",
        __base__=AnalysisParagraph,
        __validators__={"keep_known_ids": _citation_cleaner(ground)},
        claim_ids=_ids_field(
            claim_ids, "Ids of the claims this paragraph rests on.", required=True
        ),
        turn_ids=_ids_field(
            turn_ids, "Ids of the debate turns this paragraph rests on.", required=False
        ),
    )
    return create_model(
        "ReportDraft",
        __base__=ReportDraft,
        __doc__=ReportDraft.__doc__,
        __validators__={"drop_ungrounded": _ungrounded_dropper(ground)},
        analysis=(
            list[paragraph],  # type: ignore[valid-type]
            Field(
                min_length=2,
                max_length=5,
                description=ReportDraft.model_fields["analysis"].description,
            ),
        ),
    )


async def ajudge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    *,
    method: str = "function_calling",
    template: str | None = None,
) -> Report:
    """Write the report from a finished debate (async). Meta covers the judge call only.

    template: a replacement for prompts/judge.md (same placeholders), e.g. from an eval config.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    schema = grounded_report_schema(
        [c.id for c in claims], [t.id for t in transcript], {c.id: c.text for c in claims}
    )
    messages = build_messages(
        article,
        "judge",
        template=template,
        claims=format_claims(claims),
        transcript=format_turns(transcript),
        labels="; ".join(f'"{label}"' for label in RATING_LABELS),
    )
    draft, usage = await ask_structured(model, messages, schema, role="judge", method=method)
    return Report(
        summary=[s.strip() for s in draft.summary],
        rating=Rating(label=draft.rating.label, explanation=draft.rating.explanation.strip()),
        analysis=[AnalysisParagraph.model_validate(p.model_dump()) for p in draft.analysis],
        research_topics=[t.strip() for t in draft.research_topics],
        claims=list(claims),
        debate=list(transcript),
        meta=ReportMeta(
            models={"judge": model_name(model)},
            rounds=max((t.round for t in transcript), default=0),
            started_at=started.isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - t0, 3),
            usage={"judge": usage},
        ),
    )


def judge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    *,
    method: str = "function_calling",
    template: str | None = None,
) -> Report:
    """Write the report from a finished debate. Meta covers the judge call only."""
    from debate_eval.sync import run_sync

    return run_sync(ajudge(article, claims, transcript, model, method=method, template=template))


def claims_with_rulings(state: GraphState) -> list[Claim]:
    rulings = state.get("rulings", {})
    return [
        c.model_copy(
            update={
                "verdict": rulings[c.id].verdict,
                "decisive_point": rulings[c.id].decisive_point,
            }
        )
        if c.id in rulings
        else c
        for c in state.get("claims", [])
    ]


def transcript_in_order(turns: Sequence[Turn], claims: Sequence[Claim]) -> list[Turn]:
    """Turns grouped by claim (in claim order), then by round, advocate/skeptic/judge order kept."""
    order = {c.id: i for i, c in enumerate(claims)}
    position = {id(t): i for i, t in enumerate(turns)}
    return sorted(
        turns,
        key=lambda t: (
            order.get(t.claim_id, len(order)),
            t.round,
            t.role == "judge",
            position[id(t)],
        ),
    )


async def judge_node(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    models = runtime.context.models
    claims = claims_with_rulings(state)
    transcript = transcript_in_order(state.get("turns", []), claims)
    report = await ajudge(
        state["article"], claims, transcript, models.judge, method=models.structured_method
    )
    return {"report": report, "usage": report.meta.usage}
