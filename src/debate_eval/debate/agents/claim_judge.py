"""The claim judge: three yes/no probes about a debated claim, the move that decided it, the
point in the judge's own words, and a verdict read as probabilities."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.runtime import Runtime

from debate_eval.core.claim_probes import CLAIM_PROBES, PROBE_FINDINGS, VERDICT_MEANINGS
from debate_eval.core.evidence import LETTERS, lettered
from debate_eval.core.moves import move_label
from debate_eval.core.novelty import echoed_turn
from debate_eval.core.schemas import VERDICTS, Claim, ClaimRuling, TokenUsage, Turn, turn_id
from debate_eval.debate.evidence import lettered_options, most_probable, option_probabilities
from debate_eval.debate.prompts import build_messages, render
from debate_eval.debate.scoring.options import ask_option, ask_yes_no, rounded
from debate_eval.debate.state import DebateContext, DebateState, phase
from debate_eval.debate.transcript import ROLE_TITLES, format_claim
from debate_eval.models.calls import add_usage, ask_text, gather_calls, sum_usage

# The verdict is asked with the verdicts in each of these orders (each verdict once at each
# letter), and each verdict's probability averaged over them: offered in one order, the embedded
# model gave the first letter the most probability on all 10 claims of the first 7 development
# debates, and the last the least (docs/evaluation.md).
VERDICT_ORDERS: tuple[tuple[str, ...], ...] = tuple(
    VERDICTS[i:] + VERDICTS[:i] for i in range(len(VERDICTS))
)

# ClaimRuling.decisive_point's minimum: a shorter reply ("Yes.") is replaced by the fixed form.
MIN_POINT_CHARS = 8
# The fixed form when no debater spoke (the graph always has turns; a caller may not).
NO_MOVE = "No debater made a move on this claim."


def move_name(turn: Turn) -> str:
    """The turn's move as a reader sees it (the role's title for a turn without a move)."""
    return move_label(turn.role, turn.move) if turn.move else ROLE_TITLES[turn.role]


def move_option(turn: Turn) -> str:
    """One debater turn on one line: id, role, move, evidence sentence and what it said."""
    parts = [f"[{turn.id}] {ROLE_TITLES[turn.role]}"]
    if turn.move:
        parts.append(f"move: {move_name(turn)}")
    if turn.evidence:
        parts.append(f"evidence: “{turn.evidence.text}”")
    parts.append(f"says: {turn.content}")
    return " ".join("; ".join(parts).split())


def in_own_words(claim: Claim, turns: Sequence[Turn]) -> bool | None:
    """Whether a ruled claim's decisive point is the judge's own (not the fixed form that
    replaces one copying a turn); None for a claim without a decisive turn."""
    decisive = next((t for t in turns if t.id == claim.decisive_turn), None)
    if decisive is None or claim.decisive_point is None:
        return None
    return claim.decisive_point != fixed_point(decisive)


def decided_move(decisive: Turn | None) -> str:
    """The decided move as the point's prompt names it: its move and turn id (no letter: the
    1.5B model copied "C" into its prose, which a reader cannot follow)."""
    if decisive is None:
        return "(no debater spoke)"
    return f"{move_name(decisive)} ({decisive.id})"


def fixed_point(turn: Turn) -> str:
    """The decisive point built from the move alone, for a model that only copies turns."""
    sentence = f": “{turn.evidence.text}”" if turn.evidence else ""
    return f"{move_name(turn)} ({turn.id}){sentence}"


def probe_lines(probes: Mapping[str, float]) -> str:
    """The probe answers as plain lines, e.g. 'Evidence in the article: yes (P=0.82)'."""
    return "\n".join(
        f"{PROBE_FINDINGS[probe]}: {'yes' if p >= 0.5 else 'no'} (P={p:.2f})"
        for probe, p in probes.items()
    )


async def ask_probes(
    model: BaseChatModel, article: str, claim: Claim, trace: Mapping[str, object]
) -> tuple[dict[str, float], TokenUsage]:
    """P(yes) to each of CLAIM_PROBES about `claim`, asked concurrently."""
    questions = {
        probe: (
            build_messages(
                article,
                "claim_probe",
                claim_id=claim.id,
                claim=format_claim(claim),
                question=question,
            ),
            "yes",
        )
        for probe, question in CLAIM_PROBES.items()
    }
    return await ask_yes_no(
        model, questions, role="claim_judge", trace={**trace, "part": "probe"}, key="probe"
    )


async def pick_decisive(
    model: BaseChatModel,
    article: str,
    claim: Claim,
    turns: Sequence[Turn],
    trace: Mapping[str, object],
) -> tuple[Turn | None, TokenUsage]:
    """The debater turn that decided the claim, picked by letter in both orders (a single turn
    without a call; None without any)."""
    if not turns:
        return None, TokenUsage()
    probabilities, usage = await option_probabilities(
        model,
        article,
        "decisive_move",
        [move_option(t) for t in turns],
        role="claim_judge",
        trace={**trace, "part": "decisive_move"},
        field="debate",
        claim_id=claim.id,
        claim=format_claim(claim),
    )
    return turns[most_probable(probabilities)], usage


async def decisive_point(
    model: BaseChatModel,
    messages: list[BaseMessage],
    decisive: Turn | None,
    turns: Sequence[Turn],
    claim: Claim,
    trace: Mapping[str, object],
) -> tuple[str, TokenUsage]:
    """The judge's own sentences on why the move decides the claim: asked once more when they
    copy a turn (restating the claim is not copying), then replaced by the move's fixed form."""
    trace = {**trace, "part": "decisive_point"}
    point, usage = await ask_text(model, messages, role="claim_judge", trace=trace)
    copied = echoed_turn(point, turns, claim)
    if copied is not None:
        retry = [
            *messages,
            AIMessage(content=point),
            HumanMessage(content=render("claim_judge_retry", turn_id=copied.id)),
        ]
        point, more = await ask_text(model, retry, role="claim_judge", trace=trace)
        usage = add_usage(usage, more)
        copied = echoed_turn(point, turns, claim)
    if copied is not None or len(point) < MIN_POINT_CHARS:
        point = fixed_point(decisive) if decisive else NO_MOVE
    return point, usage


async def verdict_probabilities(
    model: BaseChatModel,
    messages: list[BaseMessage],
    claim_id: str,
    probes: str,
    trace: Mapping[str, object],
) -> tuple[dict[str, float], TokenUsage]:
    """P(each verdict) as the model answers the verdict letter after `messages` (the claim
    judge's prompt and its decisive point) and the probes' answers, averaged over the verdicts'
    rotated orders (VERDICT_ORDERS), asked at once after the same prefix."""
    letters = tuple(LETTERS[: len(VERDICTS)])

    def asked(order: Sequence[str]) -> HumanMessage:
        verdicts = lettered([VERDICT_MEANINGS[v] for v in order])
        return HumanMessage(
            content=render(
                "verdict",
                claim_id=claim_id,
                probes=probes,
                verdicts=verdicts,
                letters=", ".join(letters),
            )
        )

    answers = await gather_calls(
        *(
            ask_option(
                model,
                [*messages, asked(order)],
                letters,
                role="claim_judge",
                trace={**trace, "part": "verdict", "order": " ".join(order)},
            )
            for order in VERDICT_ORDERS
        )
    )
    found = {
        verdict: sum(
            answer.probabilities[letters[order.index(verdict)]]
            for order, answer in zip(VERDICT_ORDERS, answers, strict=True)
        )
        / len(VERDICT_ORDERS)
        for verdict in VERDICTS
    }
    return found, sum_usage(a.usage for a in answers)


async def claim_judge(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    t0 = time.perf_counter()
    model = runtime.context.models.claim_judge
    article, claim = state["article"], state["claim"]
    turns = state.get("turns", [])
    last_round = max((t.round for t in turns), default=1)
    trace = {"claim_id": claim.id, "round": last_round}
    # Judge turns are rulings, not moves; past the letters, the latest turns are offered.
    debaters = [t for t in turns if t.role != "judge"][-len(LETTERS) :]
    (probes, usage), (decisive, more) = await gather_calls(
        ask_probes(model, article, claim, trace),
        pick_decisive(model, article, claim, debaters, trace),
    )
    usage = add_usage(usage, more)
    # The point's prompt opens as the pick's did (the moves lettered in the order offered): a
    # prefix-caching server reads the claim and the moves once for both.
    messages = build_messages(
        article,
        "claim_judge",
        claim_id=claim.id,
        claim=format_claim(claim),
        debate=lettered_options("debate", [move_option(t) for t in debaters]),
        move=decided_move(decisive),
    )
    point, more = await decisive_point(model, messages, decisive, turns, claim, trace)
    usage = add_usage(usage, more)
    # The verdict is measured, not taken from the prose: a letter after the decisive point and
    # the probes' answers, read as probabilities (in three orders).
    found, more = await verdict_probabilities(
        model, [*messages, AIMessage(content=point)], claim.id, probe_lines(probes), trace
    )
    usage = add_usage(usage, more)
    probabilities = rounded(found)
    ruling = ClaimRuling(
        decisive_point=point,
        verdict=max(VERDICTS, key=probabilities.__getitem__),
        probabilities=probabilities,
        probes=probes,
        decisive_turn=decisive.id if decisive else None,
    )
    verdict_turn = Turn(
        id=turn_id(claim.id, last_round, "judge"),
        claim_id=claim.id,
        round=last_round,
        role="judge",
        content=f"Verdict: {ruling.verdict}. {ruling.decisive_point}",
    )
    return {
        "rulings": {claim.id: ruling},
        "turns": [verdict_turn],
        "usage": {"claim_judge": usage},
        "timing": phase(f"claim judge {claim.id}", t0, usage),
    }
