"""What the advocate and the skeptic share: taking one turn in a claim's debate."""

from __future__ import annotations

import logging
import time

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from debate_eval.core.evidence import candidate_sentences
from debate_eval.core.novelty import echoes
from debate_eval.core.quotes import Quote, quotes_in
from debate_eval.core.schemas import TokenUsage, Turn, turn_id
from debate_eval.core.sentences import first_sentence
from debate_eval.debate.evidence import pick_sentence
from debate_eval.debate.prompts import build_messages, fence
from debate_eval.debate.state import DebateContext, DebateState, phase
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

# What a turn is asked again for (once): repeating an earlier turn. Part of a stored debate's
# key (a change in it is a change in the debate). A turn needs no retry for quoting nothing:
# its evidence is an article sentence the debater picked by letter.
RETRY_NOTES = {
    "echo": "Your first draft repeated an earlier turn. Make a point of your own that nobody "
    "has made yet.",
}


def _gist(turn: Turn) -> Turn:
    """The turn cut to its first sentence, so a model cannot copy it whole."""
    first = first_sentence(turn.content)
    return turn.model_copy(update={"content": first[:200].rstrip() + " […]"})


async def choose_evidence(
    model: BaseChatModel, state: DebateState, role: str, trace: dict[str, object]
) -> tuple[str, TokenUsage]:
    """The article sentence `role` argues from ("" when the article has none), picked by letter
    from the sentences closest to the claim (the ones this role cited in earlier rounds left
    out, so each round brings new evidence); read from the letter's probabilities, one token."""
    article, claim = state["article"], state["claim"]
    used = [t.evidence.text for t in state.get("turns", []) if t.role == role and t.evidence]
    query = f"{claim.text} {claim.passage}"
    sentences = candidate_sentences(article, query, exclude=used) or candidate_sentences(
        article, query
    )
    return await pick_sentence(
        model,
        article,
        f"{role}_evidence",
        sentences,
        role=role,
        trace={**trace, "part": "evidence"},
        claim_id=claim.id,
        claim=format_claim(claim),
    )


def _messages(
    state: DebateState, ctx: DebateContext, role: str, round_: int, history: str, evidence: str
):
    claim = state["claim"]
    return build_messages(
        state["article"],
        role,
        round=round_,
        rounds=state["rounds"],
        claim_id=claim.id,
        claim=format_claim(claim),
        history=history,
        evidence=fence("evidence", evidence) if evidence else "(none: argue from the claim)",
        words=ctx.words_per_turn,
    )


async def pick_evidence(
    role: str, state: DebateState, runtime: Runtime[DebateContext]
) -> DebateState:
    """The step before `role`'s turn: the article sentence the turn will argue from."""
    t0 = time.perf_counter()
    claim = state["claim"]
    round_ = next_round(state.get("turns", []), role)
    model = runtime.context.models.for_role(role)
    trace = {"claim_id": claim.id, "round": round_}
    sentence, usage = await choose_evidence(model, state, role, trace)
    return {
        "evidence": {turn_id(claim.id, round_, role): sentence},
        "usage": {role: usage},
        "timing": phase(f"debate {claim.id}", t0, usage),
    }


async def take_turn(role: str, state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    """One turn by `role` (advocate or skeptic) on the state's claim, arguing from the article
    sentence picked for it."""
    t0 = time.perf_counter()
    ctx = runtime.context
    claim = state["claim"]
    turns = state.get("turns", [])
    round_ = next_round(turns, role)
    window = turns[-ctx.history_turns :] if ctx.history_turns > 0 else []
    history = format_turns(window, empty="(nothing yet: you open the debate)")
    model = ctx.models.for_role(role)
    trace = {"claim_id": claim.id, "round": round_}
    evidence = state.get("evidence", {}).get(turn_id(claim.id, round_, role), "")
    content, usage = await ask_text(
        model, _messages(state, ctx, role, round_, history, evidence), role=role, trace=trace
    )
    if copied := next((t for t in window if echoes(content, t.content)), None):
        logger.info("%s: turn %s-r%s repeated %s, asked again", role, claim.id, round_, copied.id)
        # Small models tend to copy a turn they were shown: the earlier turns are cut to their
        # first sentence, enough to answer them, too little to copy.
        retry_history = format_turns([_gist(t) for t in window]) + "\n\n" + RETRY_NOTES["echo"]
        content, more = await ask_text(
            model,
            _messages(state, ctx, role, round_, retry_history, evidence),
            role=role,
            trace={**trace, "retry": "echo"},
        )
        usage = add_usage(usage, more)
    turn = Turn(
        id=turn_id(claim.id, round_, role),
        claim_id=claim.id,
        round=round_,
        role=role,
        content=content,
        quotes=quotes_in(content, state["article"]),
        evidence=Quote(text=evidence, verified=True) if evidence else None,
    )
    return {
        "turns": [turn],
        "usage": {role: usage},
        "timing": phase(f"debate {claim.id}", t0, usage),
    }
