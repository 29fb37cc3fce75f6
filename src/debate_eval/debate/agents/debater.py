"""What the advocate and the skeptic share: taking one turn in a claim's debate."""

from __future__ import annotations

import logging
import time
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langgraph.runtime import Runtime

from debate_eval.core.errors import ModelCallError
from debate_eval.core.evidence import candidate_sentences, claim_sentences
from debate_eval.core.moves import (
    CONCEDE,
    CONTENT_FREE,
    FIXED_TURN,
    MOVE_QUESTIONS,
    MOVES,
    SIDE_STATEMENTS,
    against_content_free,
    chosen_move,
    holds_side,
    is_fixed_turn,
    move_label,
    role_questions,
)
from debate_eval.core.novelty import echoed_turn
from debate_eval.core.quotes import Quote, quotes_in
from debate_eval.core.schemas import TokenUsage, Turn, turn_id
from debate_eval.core.sentences import first_sentence
from debate_eval.debate.evidence import (
    Pick,
    most_probable,
    option_probabilities,
    picks_probabilities,
)
from debate_eval.debate.prompts import (
    RETRY_NOTES,
    RETRY_SAMPLING,
    build_messages,
    context_message,
    fence,
)
from debate_eval.debate.scoring.options import ask_yes_no
from debate_eval.debate.state import DebateContext, DebateState, GraphState, phase
from debate_eval.debate.transcript import format_claim, format_turns
from debate_eval.models.calls import add_usage, ask_text, gather_calls, read_prefix, sum_usage


def next_round(turns: list[Turn], role: str) -> int:
    """The round `role` speaks in next: the current round, or a new one if it already spoke."""
    if not turns:
        return 1
    current = max(t.round for t in turns)
    spoke = any(t.round == current and t.role == role for t in turns)
    return current + 1 if spoke else current


def evidence_picked(state: DebateState, speaker: str) -> bool:
    """Whether `speaker`'s evidence for its next turn is picked (debaters_evidence picks both
    debaters' at a round's start)."""
    round_ = next_round(state.get("turns", []), speaker)
    return turn_id(state["claim"].id, round_, speaker) in state.get("evidence", {})


logger = logging.getLogger(__name__)

SIDES = {"advocate": "FOR", "skeptic": "AGAINST"}


NOTHING_YET = "(nothing yet: you open the debate)"


def retry_history(window: list[Turn], note: str) -> str:
    """The history a retried turn is shown: the turns it answers cut to their first sentence,
    enough to answer them, too little to copy (small models copy a turn they were shown), then
    what the retry is for."""
    return format_turns([_gist(t) for t in window], empty=NOTHING_YET) + "\n\n" + note


def answered_turns(turns: list[Turn], history_turns: int) -> tuple[list[Turn], str]:
    """The turns a new turn answers (the last `history_turns` of its debate, the other side's
    included) and the history text its prompt shows of them."""
    window = turns[-history_turns:] if history_turns > 0 else []
    return window, format_turns(window, empty=NOTHING_YET)


def _gist(turn: Turn) -> Turn:
    """The turn cut to its first sentence, so a model cannot copy it whole. No mark of the cut:
    the 1.5B model copied a trailing " […]" into its own turn."""
    first = first_sentence(turn.content)
    return turn.model_copy(update={"content": first[:200].rstrip()})


def evidence_pick(model: BaseChatModel, state: DebateState, role: str, round_: int) -> Pick:
    """The pick of the article sentence `role` argues from in `round_`, by letter among the
    sentences closest to the claim (the ones this role cited in earlier rounds left out, so
    each round brings new evidence). The advocate is not offered the claim itself (its
    one-sentence passage, any sentence restating it: core/evidence.claim_sentences): a claim
    is no evidence for itself (on the first 7 development debates, 7 of 10 advocate turns
    cited it); the skeptic may attack them."""
    article, claim = state["article"], state["claim"]
    used = [t.evidence.text for t in state.get("turns", []) if t.role == role and t.evidence]
    if role == "advocate":
        used += claim_sentences(article, claim.text, claim.passage)
    query = f"{claim.text} {claim.passage}"
    sentences = candidate_sentences(article, query, exclude=used) or candidate_sentences(
        article, query
    )
    return Pick(
        model,
        f"{role}_evidence",
        sentences,
        role,
        trace={"claim_id": claim.id, "round": round_, "part": "evidence"},
        values={"claim_id": claim.id, "claim": format_claim(claim)},
    )


def turn_values(
    state: DebateState, ctx: DebateContext, role: str, round_: int, history: str, evidence: str
):
    """What every prompt of a turn is filled with."""
    claim = state["claim"]
    return {
        "round": round_,
        "rounds": state["rounds"],
        "claim_id": claim.id,
        "claim": format_claim(claim),
        "history": history,
        "evidence": fence("evidence", evidence) if evidence else "(none: argue from the claim)",
        "words": ctx.words_per_turn,
        "speaker": role,
    }


def move_question_messages(article: str, kind: str, sentence: str) -> list[BaseMessage]:
    """The messages asking whether `sentence` makes move `kind` (its worked examples are in
    the debate's shared context, prompts.move_examples)."""
    return build_messages(
        article,
        "move_question",
        question=MOVE_QUESTIONS[kind].question,
        sentence=fence("sentence", sentence),
    )


async def move_probabilities(
    model: BaseChatModel, article: str, role: str, sentence: str, trace: dict[str, object]
) -> tuple[dict[str, float], TokenUsage]:
    """P(the answer that makes each of `role`'s moves) to its question about `sentence`, the
    questions asked concurrently (one token each); traced as part "move" unless `trace` names
    its own part (the content-free questions: "baseline")."""
    return await ask_yes_no(
        model,
        {
            kind: (move_question_messages(article, kind, sentence), MOVE_QUESTIONS[kind].makes)
            for kind in role_questions(role)
        },
        role=role,
        trace={"part": "move", **trace},
        key="move",
    )


async def choose_move(
    model: BaseChatModel, state: DebateState, role: str, evidence: str, trace: dict[str, object]
) -> tuple[str, dict[str, float], TokenUsage]:
    """The move `role`'s sentence makes: each move's question asked of it, read against the
    run's content-free answers (core/moves.chosen_move); a concession when it makes none. A
    turn with no article sentence is asked about the claim."""
    sentence = evidence or state["claim"].text
    probabilities, usage = await move_probabilities(model, state["article"], role, sentence, trace)
    baselines = state.get("move_baselines", {}).get(role, {})
    return chosen_move(probabilities, baselines), probabilities, usage


async def calibrate_moves(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    """Each debater's answers to its move questions about a content-free sentence, once per run:
    what its model says whatever the sentence, which a move must beat (core/moves.py). Nothing
    to ask when there is no claim to debate."""
    if not state.get("claims"):
        return {}
    t0 = time.perf_counter()
    models = runtime.context.models
    roles = list(MOVES)
    read = TokenUsage()
    if models.share_prompt_cache is not None:
        # The debate's calls open with one prefix (the article, the move questions' worked
        # examples), and those asked together land in different server slots: read it once
        # and copy it into every slot, rather than each slot reading it.
        opening = context_message(state["article"], debate=True)
        try:
            read = await read_prefix(models.advocate, opening, role="advocate")
        except ModelCallError as exc:
            # Only time is lost: the debate's calls read the prefix themselves.
            logger.info("could not read the debate's prefix ahead: %s", exc)
        else:
            await models.share_prompt_cache()
    found = await gather_calls(
        *(
            move_probabilities(
                models.for_role(role), state["article"], role, CONTENT_FREE, {"part": "baseline"}
            )
            for role in roles
        )
    )
    usage = {role: more for role, (_, more) in zip(roles, found, strict=True)}
    usage["advocate"] = add_usage(usage["advocate"], read)
    return {
        "move_baselines": {role: p for role, (p, _) in zip(roles, found, strict=True)},
        "usage": usage,
        "timing": phase("move baselines", t0, sum_usage(usage.values())),
    }


async def write_move(
    model: BaseChatModel,
    state: DebateState,
    values: dict,
    role: str,
    move: str,
    trace: dict[str, object],
    retry: Literal["echo", "side"] | None = None,
) -> tuple[str, TokenUsage]:
    """The turn's one sentence of the debater's own: how its evidence makes the move. A retry
    (`retry` says why) is sampled (retry_sampling), so it can come out different, and its
    trace names it."""
    prompt = "concession" if move == CONCEDE else role
    messages = build_messages(state["article"], prompt, move=move_label(role, move), **values)
    if retry is None:
        return await ask_text(model, messages, role=role, trace=trace)
    trace = {**trace, "retry": retry}
    return await ask_text(model, messages, role=role, trace=trace, sampling=retry_sampling(model))


def retry_sampling(model: BaseChatModel) -> dict[str, float | int]:
    """How a retry is sampled: at RETRY_SAMPLING's temperature at least (the model's own when
    higher), with the model's seed when it has one (an eval's repeats differ), else
    RETRY_SAMPLING's."""
    temperature = getattr(model, "temperature", None) or 0.0
    seed = getattr(model, "seed", None)
    return {
        "temperature": max(temperature, RETRY_SAMPLING["temperature"]),
        "seed": RETRY_SAMPLING["seed"] if seed is None else seed,
    }


async def side_probability(
    model: BaseChatModel, state: DebateState, sentence: str, trace: dict[str, object]
) -> tuple[float, TokenUsage]:
    """P that `sentence` argues the state's claim holds: the claim judge's model picks by
    letter, in both orders, between arguing for the claim and against it. It sees the sentence
    alone: shown the speaker's role and move, the embedded model followed them and leaned to
    "no" (evals/side_check.py, docs/evaluation.md)."""
    claim = state["claim"]
    sides = [statement.format(claim_id=claim.id) for statement in SIDE_STATEMENTS]
    probabilities, usage = await option_probabilities(
        model,
        state["article"],
        "side_check",
        sides,
        role="claim_judge",
        trace=trace,
        field="sides",
        claim_id=claim.id,
        claim=format_claim(claim),
        sentence=fence("sentence", sentence),
    )
    return probabilities[0], usage


async def check_side(
    model: BaseChatModel, state: DebateState, turn: Turn, trace: dict[str, object]
) -> tuple[float, TokenUsage]:
    """P that `turn` argues its claim holds, read against the claim's content-free sentence
    (the state's side_baseline, measured at its first round): the embedded model gives the
    side "against" a little more whatever the sentence, and a sentence's side is what it
    adds to that."""
    p, usage = await side_probability(model, state, turn.content, {**trace, "part": "side check"})
    return round(against_content_free(p, state.get("side_baseline", 0.5)), 4), usage


async def debaters_evidence(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    """The step before a round: the article sentence each debater will argue from ("" when
    the article has none), both picks asked together (one token each, in both orders), so
    the sentences both are offered are read once (debate/evidence.picks_probabilities); at the
    first round, also the side check's answer for a content-free sentence (side_baseline)."""
    t0 = time.perf_counter()
    claim = state["claim"]
    turns = state.get("turns", [])
    models = runtime.context.models
    roles = list(MOVES)
    rounds = [next_round(turns, role) for role in roles]
    picks = [
        evidence_pick(models.for_role(role), state, role, round_)
        for role, round_ in zip(roles, rounds, strict=True)
    ]
    # The side check's content-free answer for this claim, once, beside its first picks.
    baseline = (
        []
        if "side_baseline" in state
        else [
            side_probability(
                models.claim_judge,
                state,
                CONTENT_FREE,
                {"claim_id": claim.id, "round": 1, "part": "side baseline"},
            )
        ]
    )
    found, *measured = await gather_calls(picks_probabilities(state["article"], picks), *baseline)
    chosen = {
        turn_id(claim.id, round_, role): (
            pick.options[most_probable(probabilities)] if pick.options else ""
        )
        for role, round_, pick, (probabilities, _) in zip(roles, rounds, picks, found, strict=True)
    }
    usage = {role: more for role, (_, more) in zip(roles, found, strict=True)}
    side = {}
    for p, more in measured:
        side = {"side_baseline": round(p, 4)}
        usage["claim_judge"] = more
    return {
        "evidence": chosen,
        **side,
        "usage": usage,
        "timing": phase(f"debate {claim.id}", t0, sum_usage(usage.values())),
    }


async def take_turn(role: str, state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    """One turn by `role` (advocate or skeptic) on the state's claim: the move its picked
    sentence makes (one question per move), one sentence of its own on how (asked once more if
    it copies a turn it was shown; if the retry copies too, the turn keeps its move and
    sentence alone, FIXED_TURN), and the side check; a turn that argues the other side is
    written once more, then kept and marked."""
    t0 = time.perf_counter()
    ctx = runtime.context
    claim = state["claim"]
    turns = state.get("turns", [])
    round_ = next_round(turns, role)
    window, history = answered_turns(turns, ctx.history_turns)
    model = ctx.models.for_role(role)
    trace = {"claim_id": claim.id, "round": round_}
    evidence = state.get("evidence", {}).get(turn_id(claim.id, round_, role), "")
    values = turn_values(state, ctx, role, round_, history, evidence)
    move, probabilities, usage = await choose_move(model, state, role, evidence, trace)
    content, more = await write_move(model, state, values, role, move, trace)
    usage = add_usage(usage, more)
    if copied := echoed_turn(content, window, claim):
        logger.info("%s: turn %s-r%s repeated %s, asked again", role, claim.id, round_, copied.id)
        values = {**values, "history": retry_history(window, RETRY_NOTES["echo"])}
        content, more = await write_move(model, state, values, role, move, trace, retry="echo")
        usage = add_usage(usage, more)
        if again := echoed_turn(content, window, claim):
            logger.info("%s: the retry repeated %s too, kept the move alone", role, again.id)
            content = FIXED_TURN
    turn = Turn(
        id=turn_id(claim.id, round_, role),
        claim_id=claim.id,
        round=round_,
        role=role,
        content=content,
        quotes=quotes_in(content, state["article"]),
        evidence=Quote(text=evidence, verified=True) if evidence else None,
        move=move,
        move_probabilities=probabilities,
    )
    checked = TokenUsage()
    # A turn left with its move and sentence has no words of its own to check the side of.
    if move != CONCEDE and not is_fixed_turn(turn):
        turn, rewritten, checked = await keep_side(model, state, values, turn, window, trace, ctx)
        usage = add_usage(usage, rewritten)
    spent = add_usage(usage, checked)
    return {
        "turns": [turn],
        "usage": {role: usage, "claim_judge": checked},
        "timing": phase(f"debate {claim.id}", t0, spent),
    }


async def keep_side(
    model: BaseChatModel,
    state: DebateState,
    values: dict,
    turn: Turn,
    window: list[Turn],
    trace: dict[str, object],
    ctx: DebateContext,
) -> tuple[Turn, TokenUsage, TokenUsage]:
    """`turn` with its side checked: written once more if it argued the other side (the side
    check's model is the claim judge's), then kept, marked off side if it still does. The
    rewrite is shown the turns it answers (`window`) cut to their first sentence, as an echo
    retry is; a rewrite that still copies one is dropped and the first draft kept, marked (on
    a development article a skeptic's rewrite was the advocate's turn word for word). Returns
    the turn, what the rewrite cost the debater and what the side checks cost the judge."""
    judge = ctx.models.claim_judge
    argues_for, checked = await check_side(judge, state, turn, trace)
    turn = turn.model_copy(update={"argues_for": argues_for})
    if holds_side(turn):
        return turn, TokenUsage(), checked
    logger.info(
        "%s: turn %s argued the other side (P=%.2f), asked again", turn.role, turn.id, argues_for
    )
    note = RETRY_NOTES["side"].format(side=SIDES[turn.role], claim_id=turn.claim_id)
    values = {**values, "history": retry_history(window, note)}
    content, rewritten = await write_move(
        model, state, values, turn.role, turn.move or "", trace, retry="side"
    )
    if copied := echoed_turn(content, window, state["claim"]):
        logger.info(
            "%s: the rewrite of %s repeated %s, kept the draft", turn.role, turn.id, copied.id
        )
        return turn.model_copy(update={"off_side": True}), rewritten, checked
    again = turn.model_copy(
        update={"content": content, "quotes": quotes_in(content, state["article"])}
    )
    argues_for, more = await check_side(judge, state, again, {**trace, "retry": "side"})
    again = again.model_copy(update={"argues_for": argues_for})
    again = again.model_copy(update={"off_side": not holds_side(again)})
    return again, rewritten, add_usage(checked, more)
