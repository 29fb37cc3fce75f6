"""The extractor: the article's central, checkable claims."""

from __future__ import annotations

import re
import time

from langgraph.runtime import Runtime

from debate_eval.core.schemas import Claim, ExtractedClaims
from debate_eval.debate.prompts import build_messages
from debate_eval.debate.state import DebateContext, GraphState, phase
from debate_eval.models.calls import ask_structured

# "The article argues that X": a small model reports the claim instead of stating it, and
# "the article argues X" is true of any article that does: a debate over it is about
# whether the article says X, not whether X holds up.
_ATTRIBUTION_RE = re.compile(
    r"^\s*(?:according to the (?:article|author|writer)\s*,\s*|"
    r"(?:the|this) (?:article|author|writer|piece|op-ed|column|story|text)(?:'s author)?\s+"
    r"(?:(?:also|further|repeatedly|strongly)\s+)?"
    r"(?:argues|asserts|believes|claims|concludes|contends|implies|insists|maintains|notes|"
    r"predicts|reports|says|states|suggests|warns|writes)\b(?:\s+that\b)?[\s,:]*)",
    re.IGNORECASE,
)


def claim_itself(text: str) -> str:
    """The claim without a leading "The article argues that": what the article asserts."""
    stripped = _ATTRIBUTION_RE.sub("", text.strip(), count=1).strip()
    if len(stripped) < 8:  # nothing left worth debating: keep the model's words
        return text.strip()
    return stripped[0].upper() + stripped[1:]


def to_claims(extracted: ExtractedClaims, max_claims: int) -> list[Claim]:
    """Number the claims c1, c2, … (each stated as the article asserts it), dropping repeats
    and anything past `max_claims`."""
    seen: set[str] = set()
    claims: list[Claim] = []
    for item in extracted.claims:
        text = claim_itself(item.text)
        key = " ".join(text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        claims.append(Claim(id=f"c{len(claims) + 1}", text=text, passage=item.passage.strip()))
        if len(claims) == max_claims:
            break
    return claims


async def extract_claims(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    t0 = time.perf_counter()
    models = runtime.context.models
    messages = build_messages(state["article"], "extractor", max_claims=state["max_claims"])
    extracted, usage = await ask_structured(
        models.extractor,
        messages,
        ExtractedClaims,
        role="extractor",
        method=models.structured_method,
    )
    return {
        "claims": to_claims(extracted, state["max_claims"]),
        "usage": {"extractor": usage},
        "timing": phase("extraction", t0, usage),
    }
