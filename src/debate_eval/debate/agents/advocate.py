"""The advocate: argues that the claim holds, flagging what the article does not support."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.debate.agents.debater import pick_evidence, take_turn
from debate_eval.debate.state import DebateContext, DebateState


async def advocate(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    return await take_turn("advocate", state, runtime)


async def advocate_evidence(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    return await pick_evidence("advocate", state, runtime)
