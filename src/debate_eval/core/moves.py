"""The moves a debater can make: each turn's kind, picked by letter from its role's menu.

The skeptic's menu follows the critical questions of argumentation schemes (Walton): each names
one way a claim can fall short. The advocate's names one way the article backs a claim. Both end
with a concession, so that a debater with nothing to say need not invent it. Ids are stable (they
are stored in reports and keyed calibrations); labels are what a reader and the model see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from debate_eval.core.schemas import Claim, Turn

CONCEDE = "concede"
# The advocate's answer to the skeptic's point: offered only once the skeptic has spoken.
ANSWERED = "answered"

SKEPTIC_MOVES: Mapping[str, str] = {
    "no_source": "no named source or evidence",
    "view_left_out": "a view against it left out",
    "loaded_wording": "loaded or emotional wording",
    "figure_without_context": "a figure without context or comparison",
    "cause_without_evidence": "a cause asserted without evidence",
    "prediction_as_certain": "a prediction stated as certain",
    "one_case": "a generalisation from one case",
    CONCEDE: "concede: no serious gap",
}

ADVOCATE_MOVES: Mapping[str, str] = {
    "direct_evidence": "direct evidence: data, a document or a named source",
    "quoted_expert": "a participant or expert quoted",
    "mechanism": "a mechanism explained",
    ANSWERED: "the skeptic's point answered by the article",
    CONCEDE: "concede: the skeptic's point stands",
}

MOVES: Mapping[str, Mapping[str, str]] = {"advocate": ADVOCATE_MOVES, "skeptic": SKEPTIC_MOVES}

# The checklist findings (scoring/checklist.py probe ids) each skeptic move is a sign of: the
# analysis cites upheld moves of these kinds in the paragraph on that finding.
FINDING_MOVES: Mapping[str, tuple[str, ...]] = {
    "unsourced_claims": ("no_source", "figure_without_context", "cause_without_evidence"),
    "one_side_quoted": ("view_left_out",),
    "opposing_views_fair": ("view_left_out",),
    "loaded_language": ("loaded_wording",),
    "persuasive_paragraphs": ("loaded_wording",),
    "promotes_one_side": ("loaded_wording", "view_left_out"),
    "opinion_as_fact": ("prediction_as_certain", "one_case", "cause_without_evidence"),
    "risks_left_out": ("view_left_out", "prediction_as_certain"),
}


def move_label(role: str, kind: str) -> str:
    """The label of `kind` in `role`'s menu; a clear error naming the allowed kinds."""
    menu = MOVES.get(role)
    if menu is None:
        raise ValueError(f"no moves for role {role!r}; expected one of {', '.join(MOVES)}")
    if kind not in menu:
        raise ValueError(f"unknown {role} move {kind!r}; expected one of {', '.join(menu)}")
    return menu[kind]


# How a reader sees a turn marked off side (Turn.off_side).
OFF_SIDE_MARK = "(argued the other side)"


def move_text(turn: Turn) -> str | None:
    """The label of a debater turn's move, e.g. "no named source or evidence"; None for a turn
    with no move (the judge's, or a report written before moves)."""
    if turn.move is None or turn.role not in MOVES:
        return None
    try:
        return move_label(turn.role, turn.move)
    except ValueError:
        # A report written by a version with another menu still renders: its kind id as stored.
        return turn.move


def holds_side(turn: Turn) -> bool | None:
    """Whether a debater's turn argued its own side by the side check (None: not checked, a
    concession, or the judge's turn)."""
    if turn.argues_for is None or turn.move == CONCEDE or turn.role not in MOVES:
        return None
    return turn.argues_for >= 0.5 if turn.role == "advocate" else turn.argues_for < 0.5


def role_fidelity(turns: Sequence[Turn]) -> float | None:
    """The share of side-checked turns (concessions aside) that argued their own side."""
    checked = [s for t in turns if (s := holds_side(t)) is not None]
    return round(sum(checked) / len(checked), 4) if checked else None


def against_claim(claim: Claim) -> float:
    """P(a ruled claim is unsupported or contested): by the verdict probabilities where there
    are some, else by the verdict (1 or 0)."""
    if claim.verdict_probabilities:
        return 1.0 - claim.verdict_probabilities["supported"]
    return float(claim.verdict != "supported")


def upheld_moves(claims: Sequence[Claim], turns: Sequence[Turn]) -> list[Turn]:
    """The skeptic's moves that stood: a move other than a concession, on its own side, in the
    debate of a claim the claim judge did not find supported (P(supported) below 0.5)."""
    standing = {c.id for c in claims if c.verdict is not None and against_claim(c) > 0.5}
    return [
        t
        for t in turns
        if t.role == "skeptic"
        and t.claim_id in standing
        and t.move not in (None, CONCEDE)
        and not t.off_side
    ]
