"""Turning claims and debate turns into fenced text for prompts."""

from __future__ import annotations

from collections.abc import Sequence

from debate_eval.core.moves import move_label
from debate_eval.core.schemas import Claim, Turn
from debate_eval.debate.prompts import fence

ROLE_TITLES = {"advocate": "Advocate", "skeptic": "Skeptic", "judge": "Judge"}


def format_claim(claim: Claim) -> str:
    """The claim and its source passage, each fenced: both can carry article text."""
    return "\n".join(
        [
            fence("claim", claim.text, id=claim.id),
            fence("passage", claim.passage),
        ]
    )


def format_turns(turns: Sequence[Turn], *, empty: str = "(no turns yet)") -> str:
    """Turns as fenced text, each line starting with the turn's id."""
    if not turns:
        return empty
    body = "\n\n".join(
        f"[{t.id}] {ROLE_TITLES[t.role]}{making(t)}{citing(t)}: {t.content}" for t in turns
    )
    return fence("debate", body)


def making(turn: Turn) -> str:
    """' (move: …)' for a turn that made one of its role's moves (empty otherwise)."""
    return f" (move: {move_label(turn.role, turn.move)})" if turn.move else ""


def citing(turn: Turn) -> str:
    """', citing "…"' for a turn with chosen evidence (empty otherwise)."""
    return f', citing "{turn.evidence.text}"' if turn.evidence else ""


def format_claims(claims: Sequence[Claim], *, rulings: bool = True) -> str:
    """Claims (with their verdicts, unless `rulings` is false), fenced."""
    lines = []
    for c in claims:
        ruling = f" — verdict: {c.verdict}. {c.decisive_point}" if c.verdict and rulings else ""
        lines.append(f"[{c.id}] {c.text}{ruling}")
    return fence("claims", "\n".join(lines))
