"""The extractor: the article's central, checkable claims."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.core.schemas import Claim, ExtractedClaims
from debate_eval.debate.prompts import build_messages
from debate_eval.debate.state import DebateContext, GraphState
from debate_eval.models.calls import ask_structured


def to_claims(extracted: ExtractedClaims, max_claims: int) -> list[Claim]:
    """Number the claims c1, c2, …, dropping repeats and anything past `max_claims`."""
    seen: set[str] = set()
    claims: list[Claim] = []
    for item in extracted.claims:
        key = " ".join(item.text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        claims.append(
            Claim(id=f"c{len(claims) + 1}", text=item.text.strip(), passage=item.passage.strip())
        )
        if len(claims) == max_claims:
            break
    return claims


async def extract_claims(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    models = runtime.context.models
    messages = build_messages(state["article"], "extractor", max_claims=state["max_claims"])
    extracted, usage = await ask_structured(
        models.extractor,
        messages,
        ExtractedClaims,
        role="extractor",
        method=models.structured_method,
    )
    if models.share_prompt_cache is not None:
        # The claims' debates start together on the article just read: every server slot
        # should find it cached rather than read it again.
        await models.share_prompt_cache()
    return {"claims": to_claims(extracted, state["max_claims"]), "usage": {"extractor": usage}}
