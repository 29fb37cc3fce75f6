"""The claim judge: a verdict on one debated claim and the point that decided it."""

from __future__ import annotations

import time

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from debate_eval.core.schemas import VERDICTS, ClaimRuling, Turn, turn_id
from debate_eval.debate.prompts import build_messages, render
from debate_eval.debate.scoring.options import ask_option, rounded
from debate_eval.debate.state import DebateContext, DebateState, phase
from debate_eval.debate.transcript import format_claim, format_turns
from debate_eval.models.calls import add_usage, ask_structured

VERDICT_LETTERS = ("A", "B", "C")  # supported, contested, unsupported (VERDICTS' order)


async def claim_judge(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
    t0 = time.perf_counter()
    models = runtime.context.models
    claim = state["claim"]
    turns = state.get("turns", [])
    messages = build_messages(
        state["article"],
        "claim_judge",
        claim_id=claim.id,
        claim=format_claim(claim),
        transcript=format_turns(turns),
    )
    last_round = max((t.round for t in turns), default=1)
    ruling, usage = await ask_structured(
        models.claim_judge,
        messages,
        ClaimRuling,
        role="claim_judge",
        method=models.structured_method,
        trace={"claim_id": claim.id, "round": last_round},
    )
    # The verdict is measured, not taken from the prose: one letter call after the decisive
    # point, read as probabilities (the decisive point stays the model's own words).
    answer = await ask_option(
        models.claim_judge,
        [
            *messages,
            AIMessage(content=ruling.decisive_point),
            HumanMessage(content=render("verdict", claim_id=claim.id)),
        ],
        VERDICT_LETTERS,
        role="claim_judge",
        trace={"claim_id": claim.id, "round": last_round, "part": "verdict"},
    )
    probabilities = rounded(
        {
            verdict: answer.probabilities[letter]
            for letter, verdict in zip(VERDICT_LETTERS, VERDICTS, strict=True)
        }
    )
    ruling = ruling.model_copy(
        update={
            "verdict": max(VERDICTS, key=probabilities.__getitem__),
            "probabilities": probabilities,
        }
    )
    usage = add_usage(usage, answer.usage)
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
