"""Running the graph on one article: events for a live view, and the finished report."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from debate_eval.graph import build_graph
from debate_eval.llm import RoleModels
from debate_eval.schemas import Claim, ClaimRuling, Report, ReportMeta, TokenUsage, Turn
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


async def arun_debate(
    article: str,
    models: RoleModels,
    options: RunOptions | None = None,
    *,
    on_event: EventHandler | None = None,
    run_id: str | None = None,
    callbacks: list | None = None,
) -> Report:
    """Debate `article` and return the report; `on_event` sees each step as it happens.

    callbacks: LangChain callback handlers, passed to every model call (tracing, benchmarks).
    """
    options = options or RunOptions()
    emit = on_event or (lambda _event: None)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
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
    usage: dict[str, TokenUsage] = {}
    report: Report | None = None
    pending: set[str] = set()
    async for namespace, update in build_graph().astream(
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
            if namespace:  # inside a claim's debate: for the live view only
                for turn in delta.get("turns", []):
                    if turn.role != "judge":
                        emit(TurnTaken(turn))
                for claim_id, ruling in delta.get("rulings", {}).items():
                    emit(ClaimRuled(claim_id, ruling))
                    pending.discard(claim_id)
                    if not pending:
                        emit(JudgeStarted())
                continue
            # Top-level updates carry each step's usage exactly once.
            usage = merge_usage(usage, delta.get("usage"))
            if node == "extract_claims":
                pending = {c.id for c in delta["claims"]}
                emit(ClaimsExtracted(delta["claims"]))
            elif node == "judge":
                report = delta["report"]
    if report is None:  # pragma: no cover - the graph always ends in the judge
        raise RuntimeError("the debate graph finished without a report")
    meta = ReportMeta(
        models=models.names(),
        rounds=options.rounds,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - t0, 3),
        usage=usage,
        run_id=run_id,
    )
    return report.model_copy(update={"meta": meta})
