"""Who speaks next in a claim's debate, and when the debate ends."""

from __future__ import annotations

from debate_eval.core.moves import CONCEDE, is_fixed_turn
from debate_eval.core.novelty import adds_new_point
from debate_eval.core.schemas import Turn
from debate_eval.debate.state import DebateState


def speaking_order(state: DebateState) -> tuple[str, str]:
    return ("skeptic", "advocate") if state.get("skeptic_first") else ("advocate", "skeptic")


def round_adds_new_point(turns: list[Turn], round_: int) -> bool:
    """Whether any turn of `round_` says something the earlier rounds did not (a turn left
    with its move and sentence alone, having only copied, says nothing of its own)."""
    earlier = [t.content for t in turns if t.round < round_ and t.role != "judge"]
    return any(
        adds_new_point(t.content, earlier)
        for t in turns
        if t.round == round_ and t.role != "judge" and not is_fixed_turn(t)
    )


def next_speaker(state: DebateState) -> str:
    """The next node of the debate: a debater, or claim_judge once the debate is over."""
    first, second = speaking_order(state)
    turns = [t for t in state.get("turns", []) if t.role != "judge"]
    if not turns:
        return first
    current = max(t.round for t in turns)
    spoken = {t.role for t in turns if t.round == current}
    if first not in spoken:
        return first
    if second not in spoken:
        return second
    if current >= state["rounds"]:
        return "claim_judge"
    # A skeptic who concedes has no gap left to argue.
    if any(t.role == "skeptic" and t.move == CONCEDE for t in turns if t.round == current):
        return "claim_judge"
    if current >= 2 and not round_adds_new_point(turns, current):
        return "claim_judge"
    return first
