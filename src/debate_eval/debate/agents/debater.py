"""What the advocate and the skeptic share: taking one turn in a claim's debate."""

from __future__ import annotations

import logging

from langgraph.runtime import Runtime

from debate_eval.core.novelty import echoes
from debate_eval.core.quotes import Quote, quotes_in
from debate_eval.core.schemas import Turn, turn_id
from debate_eval.core.sentences import first_sentence
from debate_eval.debate.prompts import build_messages
from debate_eval.debate.state import DebateContext, DebateState
from debate_eval.debate.transcript import format_claim, format_turns
from debate_eval.models.calls import add_usage, ask_text


def next_round(turns: list[Turn], role: str) -> int:
    """The round `role` speaks in next: the current round, or a new one if it already spoke."""
    if not turns:
        return 1
    current = max(t.round for t in turns)
    spoke = any(t.round == current and t.role == role for t in turns)
    return current + 1 if spoke else current


logger = logging.getLogger(__name__)

# What a turn is asked again for (once): repeating an earlier turn, or quoting nothing of the
# article. Part of a stored debate's key (a change in them is a change in the debate).
RETRY_NOTES = {
    "echo": "Your first draft repeated an earlier turn. Make a point of your own that nobody "
    "has made yet.",
    "quote": "Your first draft quoted nothing from the article. Quote at least one sentence of "
    "the article in double quotes, exactly as written.",
}


def _verified(quotes: list[Quote]) -> bool:
    return any(q.verified for q in quotes)


def _gist(turn: Turn) -> Turn:
    """The turn cut to its first sentence, so a model cannot copy it whole."""
    first = first_sentence(turn.content)
    return turn.model_copy(update={"content": first[:200].rstrip() + " […]"})


def _messages(state: DebateState, ctx: DebateContext, role: str, round_: int, history: str):
    claim = state["claim"]
    return build_messages(
        state["article"],
        role,
        round=round_,
        rounds=state["rounds"],
        claim_id=claim.id,
        claim=format_claim(claim),
        history=history,
        words=ctx.words_per_turn,
    )


async def take_turn(role: str, state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    """One turn by `role` (advocate or skeptic) on the state's claim."""
    ctx = runtime.context
    claim = state["claim"]
    turns = state.get("turns", [])
    round_ = next_round(turns, role)
    window = turns[-ctx.history_turns :] if ctx.history_turns > 0 else []
    history = format_turns(window, empty="(nothing yet: you open the debate)")
    model = ctx.models.for_role(role)
    trace = {"claim_id": claim.id, "round": round_}
    content, usage = await ask_text(
        model, _messages(state, ctx, role, round_, history), role=role, trace=trace
    )
    quotes = quotes_in(content, state["article"])
    copied = next((t for t in window if echoes(content, t.content)), None)
    kinds = (["echo"] if copied else []) + ([] if _verified(quotes) else ["quote"])
    if kinds:
        logger.info("%s: turn %s-r%s asked again (%s)", role, claim.id, round_, "+".join(kinds))
        # Small models tend to copy a turn they were shown: the earlier turns are cut to their
        # first sentence, enough to answer them, too little to copy.
        retry_history = format_turns([_gist(t) for t in window]) if copied else history
        retry_history += "\n\n" + " ".join(RETRY_NOTES[k] for k in kinds)
        again, more = await ask_text(
            model,
            _messages(state, ctx, role, round_, retry_history),
            role=role,
            trace={**trace, "retry": "+".join(kinds)},
        )
        usage = add_usage(usage, more)
        again_quotes = quotes_in(again, state["article"])
        # An echo is always replaced; an unquoted turn only by one that quotes the article.
        if copied is not None or _verified(again_quotes):
            content, quotes = again, again_quotes
    turn = Turn(
        id=turn_id(claim.id, round_, role),
        claim_id=claim.id,
        round=round_,
        role=role,
        content=content,
        quotes=quotes,
    )
    return {"turns": [turn], "usage": {role: usage}}
