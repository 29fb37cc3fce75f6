"""The claim judge: a verdict on one debated claim and the point that decided it."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.calls import ask_structured
from debate_eval.prompts import build_messages
from debate_eval.schemas import ClaimRuling, Turn, turn_id
from debate_eval.state import DebateContext, DebateState
from debate_eval.transcript import format_claim, format_turns


async def claim_judge(state: DebateState, runtime: Runtime[DebateContext]) -> DebateState:
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
    verdict_turn = Turn(
        id=turn_id(claim.id, last_round, "judge"),
        claim_id=claim.id,
        round=last_round,
        role="judge",
        content=f"Verdict: {ruling.verdict}. {ruling.decisive_point}",
    )
    return {"rulings": {claim.id: ruling}, "turns": [verdict_turn], "usage": {"claim_judge": usage}}
