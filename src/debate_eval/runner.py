"""Running the graph on one article: events for a live view, and the finished report."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from debate_eval.errors import DebateEvalError
from debate_eval.graph import build_graph
from debate_eval.llm import RoleModels
from debate_eval.schemas import (
    Claim,
    ClaimRuling,
    Report,
    ReportMeta,
    TokenUsage,
    Transcript,
    Turn,
)
from debate_eval.state import DebateContext, merge_usage


@dataclass(frozen=True)
class RunOptions:
    """Per-run debate settings."""

    rounds: int = 2
    max_claims: int = 5
    skeptic_first: bool = False
    words_per_turn: int = 150
    history_turns: int = 2
    # At most this many model calls in flight; None leaves every debate concurrent.
    max_concurrency: int | None = None


@dataclass(frozen=True)
class ClaimsExtracted:
    claims: list[Claim]


@dataclass(frozen=True)
class TurnTaken:
    turn: Turn


@dataclass(frozen=True)
class ClaimRuled:
    claim_id: str
    ruling: ClaimRuling


@dataclass(frozen=True)
class JudgeStarted:
    pass


Event = ClaimsExtracted | TurnTaken | ClaimRuled | JudgeStarted
EventHandler = Callable[[Event], None]


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class _Outcome:
    claims: list[Claim] = field(default_factory=list)
    # By id: a turn is seen inside its debate and again at the top.
    turns: dict[str, Turn] = field(default_factory=dict)
    rulings: dict[str, ClaimRuling] = field(default_factory=dict)
    usage: dict[str, TokenUsage] = field(default_factory=dict)
    report: Report | None = None


async def _run_graph(
    article: str,
    models: RoleModels,
    options: RunOptions,
    emit: EventHandler,
    callbacks: list | None,
    *,
    with_report: bool,
) -> _Outcome:
    """Stream the graph; a failure carries the finished claims and turns (exc.partial)."""
    out = _Outcome()
    try:
        await _stream(article, models, options, emit, callbacks, with_report, out)
    except DebateEvalError as exc:
        if out.turns:
            exc.partial = _transcript(out)
        raise
    return out


async def _stream(
    article: str,
    models: RoleModels,
    options: RunOptions,
    emit: EventHandler,
    callbacks: list | None,
    with_report: bool,
    out: _Outcome,
) -> None:
    """Run the graph, collecting into `out` as steps finish."""
    context = DebateContext(
        models=models,
        words_per_turn=options.words_per_turn,
        history_turns=options.history_turns,
    )
    inputs = {
        "article": article,
        "rounds": options.rounds,
        "max_claims": options.max_claims,
        "skeptic_first": options.skeptic_first,
    }
    pending: set[str] = set()
    async for namespace, update in build_graph(with_report=with_report).astream(
        inputs,
        config={
            **({"max_concurrency": options.max_concurrency} if options.max_concurrency else {}),
            **({"callbacks": callbacks} if callbacks else {}),
        },
        context=context,
        stream_mode="updates",
        subgraphs=True,
    ):
        for node, delta in update.items():
            if not delta:
                continue
            if namespace:  # inside a claim's debate: for the live view (and a failure's partial)
                for turn in delta.get("turns", []):
                    out.turns[turn.id] = turn
                    if turn.role != "judge":
                        emit(TurnTaken(turn))
                for claim_id, ruling in delta.get("rulings", {}).items():
                    emit(ClaimRuled(claim_id, ruling))
                    pending.discard(claim_id)
                    if not pending and with_report:
                        emit(JudgeStarted())
                continue
            # Top-level updates carry each step's usage exactly once.
            out.usage = merge_usage(out.usage, delta.get("usage"))
            if node == "extract_claims":
                out.claims = delta["claims"]
                pending = {c.id for c in out.claims}
                emit(ClaimsExtracted(out.claims))
            elif node == "debate":
                out.turns.update({t.id: t for t in delta.get("turns", [])})
                out.rulings.update(delta.get("rulings", {}))
            elif node == "judge":
                out.report = delta["report"]


def _transcript(out: _Outcome) -> Transcript:
    from debate_eval.agents.judge import claims_with_rulings, transcript_in_order

    claims = claims_with_rulings({"claims": out.claims, "rulings": out.rulings})
    return Transcript(
        claims=claims, debate=transcript_in_order(list(out.turns.values()), claims), usage=out.usage
    )


async def arun_debate(
    article: str,
    models: RoleModels,
    options: RunOptions | None = None,
    *,
    on_event: EventHandler | None = None,
    run_id: str | None = None,
    callbacks: list | None = None,
    notices: Sequence[str] = (),
) -> Report:
    """Debate `article` and return the report; `on_event` sees each step as it happens.

    callbacks: LangChain callback handlers, passed to every model call (tracing, benchmarks).
    notices: what the reader should know about the input (kept in the report's meta).
    """
    options = options or RunOptions()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    out = await _run_graph(
        article, models, options, on_event or (lambda _e: None), callbacks, with_report=True
    )
    if out.report is None:  # pragma: no cover - the graph always ends in the judge
        raise RuntimeError("the debate graph finished without a report")
    meta = ReportMeta(
        models=models.names(),
        rounds=options.rounds,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - t0, 3),
        usage=out.usage,
        run_id=run_id,
        notices=list(notices),
    )
    return out.report.model_copy(update={"meta": meta})


async def arun_transcript(
    article: str,
    models: RoleModels,
    options: RunOptions | None = None,
    *,
    on_event: EventHandler | None = None,
) -> Transcript:
    """Debate `article` without writing the report: the claims with their verdicts and the
    debate, for judges to rate later (the eval harness stores these)."""
    options = options or RunOptions()
    out = await _run_graph(
        article, models, options, on_event or (lambda _e: None), None, with_report=False
    )
    return _transcript(out)
