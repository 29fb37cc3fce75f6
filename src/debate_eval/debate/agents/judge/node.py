"""The judge as the graph's last node: the claims with their rulings, the turns in reading
order, the debate judge's label, then the report."""

from __future__ import annotations

import time
from collections.abc import Sequence

from langgraph.runtime import Runtime

from debate_eval.core.schemas import Claim, Turn
from debate_eval.debate.agents.judge.writer import ajudge
from debate_eval.debate.rating import measure_rating
from debate_eval.debate.state import DebateContext, GraphState, merge_timing, merge_usage, phase
from debate_eval.models.calls import add_usage


def claims_with_rulings(state: GraphState) -> list[Claim]:
    rulings = state.get("rulings", {})
    return [
        c.model_copy(
            update={
                "verdict": rulings[c.id].verdict,
                "decisive_point": rulings[c.id].decisive_point,
                "verdict_probabilities": rulings[c.id].probabilities,
                "probes": rulings[c.id].probes,
                "decisive_turn": rulings[c.id].decisive_turn,
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
    """The report, after the debate: the debate judge's label first (its own phase), then the
    prose."""
    models, context = runtime.context.models, runtime.context
    claims = claims_with_rulings(state)
    transcript = transcript_in_order(state.get("turns", []), claims)
    measurement = state.get("rating")
    timing: dict = {}
    if measurement is None or measurement.label is None:
        t0 = time.perf_counter()
        measurement = await measure_rating(
            state["article"],
            models.judge,
            judge=context.rating_judge,
            calibration=context.calibration,
            reading=state.get("reading"),
            debate=(claims, transcript),
            checklist=measurement.checklist if measurement else None,
        )
        timing = phase("rating", t0, measurement.usage)
    t0 = time.perf_counter()
    report = await ajudge(
        state["article"],
        claims,
        transcript,
        models.judge,
        method=models.structured_method,
        rating_judge=context.rating_judge,
        calibration=context.calibration,
        measurement=measurement,
        reading=state.get("reading"),
    )
    usage = report.meta.usage["judge"]
    update: GraphState = {
        "rating": measurement,
        "usage": {"judge": add_usage(usage, measurement.usage) if timing else usage},
        "timing": {**timing, **phase("report", t0, usage)},
    }
    # The report's meta covers the whole run (a graph served without the runner returns it).
    meta = report.meta.model_copy(
        update={
            "usage": merge_usage(state.get("usage"), update["usage"]),
            "timing": merge_timing(state.get("timing"), update["timing"]),
            "notices": [*report.meta.notices, *state.get("notices", [])],
        }
    )
    return {**update, "report": report.model_copy(update={"meta": meta})}
