"""Running the graph on one article: events for a live view, and the finished report."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.schemas import (
    Claim,
    ClaimRuling,
    PhaseTiming,
    RatingMeasurement,
    Report,
    TokenUsage,
    Transcript,
    Turn,
)
from debate_eval.debate.graph import build_graph
from debate_eval.debate.scoring.calibration import rating_choice
from debate_eval.debate.state import DebateContext, merge_timing, merge_usage
from debate_eval.models.calls import calls_in_order
from debate_eval.models.chat import RoleModels, model_name
from debate_eval.models.settings import RunOptions

__all__ = ["RunOptions", "arun_debate", "arun_transcript"]


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
class RatingMeasured:
    """The rating as measured before the debate (label None: it follows the debate)."""

    rating: RatingMeasurement


@dataclass(frozen=True)
class RatingKnown:
    """The label and confidence, known from the screener's reading before the checklist's
    whole-article questions (a calibration that reads only the paragraph questions);
    RatingMeasured follows with the findings, and the same label."""

    rating: RatingMeasurement


@dataclass(frozen=True)
class JudgeStarted:
    pass


Event = RatingKnown | RatingMeasured | ClaimsExtracted | TurnTaken | ClaimRuled | JudgeStarted
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
    timing: dict[str, PhaseTiming] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # the screener's
    report: Report | None = None


@dataclass(frozen=True)
class Durability:
    """Checkpoint a run under `thread_id` (the run id); `resume` continues it from there."""

    checkpointer: object
    thread_id: str
    resume: bool = False


async def _run_graph(
    article: str,
    models: RoleModels,
    options: RunOptions,
    emit: EventHandler,
    callbacks: list | None,
    *,
    with_report: bool,
    durability: Durability | None = None,
) -> _Outcome:
    """Stream the graph; a failure carries the finished claims and turns (exc.partial)."""
    out = _Outcome()
    try:
        # On the embedded server, the calls go out one per slot in the order asked: on one
        # slot, what the run measures is then the same every time.
        with calls_in_order(models.call_slots):
            await _stream(article, models, options, emit, callbacks, with_report, out, durability)
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
    durability: Durability | None,
) -> None:
    """Run the graph, collecting into `out` as steps finish."""
    rating_judge, calibration = rating_choice(
        options.rating_judge, options.calibration, model_name(models.judge)
    )
    context = DebateContext(
        models=models,
        words_per_turn=options.words_per_turn,
        history_turns=options.history_turns,
        rating_judge=rating_judge,
        calibration=calibration,
    )
    graph = build_graph(
        checkpointer=durability.checkpointer if durability else None, with_report=with_report
    )
    config: dict = {
        **({"max_concurrency": options.max_concurrency} if options.max_concurrency else {}),
        **({"callbacks": callbacks} if callbacks else {}),
    }
    inputs: dict | None = {
        "article": article,
        "rounds": options.rounds,
        "max_claims": options.max_claims,
        "skeptic_first": options.skeptic_first,
    }
    extra: dict = {}
    if durability is not None:
        config["configurable"] = {"thread_id": durability.thread_id}
        # Each step's writes are on disk before the next starts: a kill loses at most the calls
        # in flight.
        extra["durability"] = "sync"
        if durability.resume:
            inputs = None
            await _replay_checkpoint(graph, config, out, emit)
    pending = {c.id for c in out.claims} - set(out.rulings)
    if durability is not None and durability.resume and out.claims and not pending and with_report:
        emit(JudgeStarted())
    async for namespace, mode, update in graph.astream(
        inputs,
        config=config,
        context=context,
        stream_mode=["updates", "custom"],
        subgraphs=True,
        **extra,
    ):
        if mode == "custom":  # what a node says before it finishes (agents/rater.py)
            if (known := update.get("rating_known")) is not None:
                emit(RatingKnown(known))
            continue
        for node, delta in update.items():
            if not delta or node.startswith("__"):  # e.g. __metadata__ of a cached task
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
            out.timing = merge_timing(out.timing, delta.get("timing"))
            if node == "screen_article":
                out.notices += delta.get("notices", [])
            elif node == "rater":
                emit(RatingMeasured(delta["rating"]))
            elif node == "extract_claims":
                out.claims = delta["claims"]
                pending = {c.id for c in out.claims}
                emit(ClaimsExtracted(out.claims))
            elif node == "debate":
                out.turns.update({t.id: t for t in delta.get("turns", [])})
                out.rulings.update(delta.get("rulings", {}))
            elif node == "judge":
                out.report = delta["report"]
    if durability is not None:
        # The checkpoint is the whole run, before and after a resume: take the totals from it.
        values = (await graph.aget_state(config)).values
        out.claims = values.get("claims", out.claims)
        out.turns.update({t.id: t for t in values.get("turns", [])})
        out.rulings.update(values.get("rulings", {}))
        out.usage = values.get("usage", out.usage)
        out.timing = values.get("timing", out.timing)
        out.notices = values.get("notices", out.notices)
        out.report = values.get("report", out.report)


async def _replay_checkpoint(graph, config: dict, out: _Outcome, emit: EventHandler) -> None:
    """Load what a checkpointed run had finished into `out`, and show it again."""
    snapshot = await graph.aget_state(config, subgraphs=True)
    if snapshot.created_at is None:
        raise DebateEvalError(f"run {config['configurable']['thread_id']} has no checkpoint")
    values = snapshot.values
    out.claims = list(values.get("claims", []))
    out.usage = dict(values.get("usage", {}))
    out.timing = dict(values.get("timing", {}))
    if (rating := values.get("rating")) is not None:
        emit(RatingMeasured(rating))
    turns = list(values.get("turns", []))
    rulings = dict(values.get("rulings", {}))
    for task in snapshot.tasks:  # debates still running when the run stopped
        inner = getattr(task.state, "values", None) or {}
        turns += inner.get("turns", [])
        rulings.update(inner.get("rulings", {}))
    if out.claims:
        emit(ClaimsExtracted(out.claims))
    for turn in turns:
        if turn.id not in out.turns:
            out.turns[turn.id] = turn
            if turn.role != "judge":
                emit(TurnTaken(turn))
    for claim_id, ruling in rulings.items():
        out.rulings[claim_id] = ruling
        emit(ClaimRuled(claim_id, ruling))


def _transcript(out: _Outcome) -> Transcript:
    from debate_eval.debate.agents.judge import claims_with_rulings, transcript_in_order

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
    durability: Durability | None = None,
) -> Report:
    """Debate `article` and return the report; `on_event` sees each step as it happens.

    callbacks: LangChain callback handlers, passed to every model call (tracing, benchmarks).
    notices: what the reader should know about the input (kept in the report's meta).
    durability: checkpoint the run (and, with resume=True, continue a stopped one).
    """
    options = options or RunOptions()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    out = await _run_graph(
        article,
        models,
        options,
        on_event or (lambda _e: None),
        callbacks,
        with_report=True,
        durability=durability,
    )
    if out.report is None:  # pragma: no cover - the graph always ends in the judge
        raise RuntimeError("the debate graph finished without a report")
    meta = out.report.meta.model_copy(
        update={
            "models": models.names(),
            "rounds": options.rounds,
            "started_at": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - t0, 3),
            "usage": out.usage,
            "timing": out.timing,
            "run_id": run_id,
            "notices": [*notices, *out.notices],
        }
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
