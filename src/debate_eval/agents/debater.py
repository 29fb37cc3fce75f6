"""What the advocate and the skeptic share: taking one turn in a claim's debate."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from debate_eval.calls import add_usage, ask_text
from debate_eval.novelty import echoes
from debate_eval.prompts import build_messages
from debate_eval.schemas import Turn, turn_id
from debate_eval.state import DebateContext, DebateState
from debate_eval.transcript import format_claim, format_turns


def next_round(turns: list[Turn], role: str) -> int:
    """The round `role` speaks in next: the current round, or a new one if it already spoke."""
    if not turns:
        return 1
    current = max(t.round for t in turns)
    spoke = any(t.round == current and t.role == role for t in turns)
    return current + 1 if spoke else current


async def take_turn(role: str, state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    """One turn by `role` (advocate or skeptic) on the state's claim."""
    ctx = runtime.context
    claim = state["claim"]
    turns = state.get("turns", [])
    round_ = next_round(turns, role)
    window = turns[-ctx.history_turns :] if ctx.history_turns > 0 else []
    messages = build_messages(
        state["article"],
        role,
        round=round_,
        rounds=state["rounds"],
        claim_id=claim.id,
        claim=format_claim(claim),
        history=format_turns(window, empty="(nothing yet: you open the debate)"),
        words=ctx.words_per_turn,
    )
    model = ctx.models.for_role(role)
    content, usage = await ask_text(model, messages, role=role)
    if window and echoes(content, window[-1].content):
        # Small models tend to echo the turn they were shown; ask once for their own argument.
        retry = [
            *messages,
            AIMessage(content=content),
            HumanMessage(
                content=(
                    f"That repeats the previous turn. As the {role}, give your own argument "
                    f"in at most {ctx.words_per_turn} words."
                )
            ),
        ]
        content, more = await ask_text(model, retry, role=role)
        usage = add_usage(usage, more)
    turn = Turn(
        id=turn_id(claim.id, round_, role),
        claim_id=claim.id,
        round=round_,
        role=role,
        content=content,
    )
    return {"turns": [turn], "usage": {role: usage}}
