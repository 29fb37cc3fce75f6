"""The rater: measures the rating right after screening, before the debate, so a reader sees
the answer first. The checklist and baseline-prob judges need nothing the debate makes; the
debate judge's label waits for the debate (the judge completes it with this checklist)."""

from __future__ import annotations

import time

from langgraph.runtime import Runtime

from debate_eval.debate.rating import measure_rating, rating_from_reading
from debate_eval.debate.state import DebateContext, GraphState, phase


async def rater(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    t0 = time.perf_counter()
    context = runtime.context
    known = rating_from_reading(context.rating_judge, context.calibration, state.get("reading"))
    if known is not None:
        # The label is known now: the live view shows it before the whole-article questions.
        # (runtime.stream_writer does nothing when the rater is called outside a graph.)
        runtime.stream_writer({"rating_known": known})
    measurement = await measure_rating(
        state["article"],
        context.models.judge,
        judge=context.rating_judge,
        calibration=context.calibration,
        reading=state.get("reading"),
        slots=context.models.reading_slots,
    )
    return {
        "rating": measurement,
        "usage": {"judge": measurement.usage},
        "timing": phase("rating", t0, measurement.usage),
    }
