"""The skeptic: missing evidence, counterarguments, undisclosed interests, overreach."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.debate.agents.debater import take_turn
from debate_eval.debate.state import DebateContext, DebateState


async def skeptic(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    return await take_turn("skeptic", state, runtime)
