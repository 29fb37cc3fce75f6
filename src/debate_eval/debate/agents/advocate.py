"""The advocate: argues that the claim holds, flagging what the article does not support."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.debate.agents.debater import take_turn
from debate_eval.debate.state import DebateContext, DebateState


async def advocate(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    return await take_turn("advocate", state, runtime)
