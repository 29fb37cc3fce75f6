"""The moves a debater can make: each turn's kind, read from one yes/no question per move
about the sentence the turn argues from.

The skeptic's moves follow the critical questions of argumentation schemes (Walton): each names
one way a sentence can fall short. The advocate's name one way a sentence backs a claim. Each
move is a property of the turn's sentence that one short question with worked examples can
measure (`MOVE_QUESTIONS`); gaps of the whole article (a view against the claim left out) are
the claim judge's probes, not moves. A debater whose sentence shows none concedes. Ids are
stable (they are stored in reports and keyed calibrations); labels are what a reader sees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from debate_eval.core.schemas import Claim, Turn

CONCEDE = "concede"

SKEPTIC_MOVES: Mapping[str, str] = {
    "no_source": "no named source or evidence",
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
    CONCEDE: "concede: the skeptic's point stands",
}

MOVES: Mapping[str, Mapping[str, str]] = {"advocate": ADVOCATE_MOVES, "skeptic": SKEPTIC_MOVES}

# The side check's two answers about a turn's sentence (debate/agents/debater.check_side),
# offered by letter in both orders: the first is the advocate's side. A sentence's P(first) is
# read against a content-free sentence's, once per claim.
SIDE_STATEMENTS: tuple[str, str] = (
    "It argues that claim {claim_id} holds: it gives or points to support for it.",
    "It argues against claim {claim_id}, or points out a gap in its support.",
)


@dataclass(frozen=True)
class MoveQuestion:
    """The yes/no question that measures one move in a sentence, after worked examples."""

    question: str
    makes: str  # the answer ("yes" or "no") that means the sentence makes the move
    examples: tuple[tuple[str, str], ...]  # (made-up sentence, answer), two of each answer


# One question per move (CONCEDE aside). The examples are made up, on no development article's
# topic. The embedded 1.5B model tells the sentences that make a move from those that do not
# (on the made-up cases of evals/move_choice.py, AUC 0.62-1.00 per question), except the
# no-source question: in three wordings it could not tell a named source from none (AUC
# 0.05-0.40), so on that model the move is in effect never chosen (docs/evaluation.md). Each
# question has its own level of "yes": a move is read against the same question asked of a
# content-free sentence (CONTENT_FREE), see `move_scores`.
MOVE_QUESTIONS: Mapping[str, MoveQuestion] = {
    "no_source": MoveQuestion(
        "Does this sentence say who or what its information comes from?",
        "no",
        (
            ("The city's 2023 budget report lists the road spending.", "yes"),
            ("Everybody knows the road spending was wasted.", "no"),
            ("'Prices rose,' the central bank governor told reporters.", "yes"),
            ("Prices are clearly rising fast.", "no"),
        ),
    ),
    "loaded_wording": MoveQuestion(
        "Does this sentence use loaded, emotional or insulting words?",
        "yes",
        (
            ("These shameless crooks robbed the taxpayer blind.", "yes"),
            ("The council approved the budget on Monday.", "no"),
            ("It was a disgusting betrayal of every worker.", "yes"),
            ("The company reported lower profits.", "no"),
        ),
    ),
    "figure_without_context": MoveQuestion(
        "Does this sentence give a number without a comparison (no earlier year, no total, "
        "no other place)?",
        "yes",
        (
            ("The charity raised 40,000 dollars.", "yes"),
            ("Sales rose from 7 to 9 million units over last year.", "no"),
            ("Sales reached 9 million units.", "yes"),
            ("The mayor spoke to residents.", "no"),
        ),
    ),
    "cause_without_evidence": MoveQuestion(
        "Does this sentence say one thing caused another without showing it?",
        "yes",
        (
            ("Sales fell after the new logo, so the logo drove customers away.", "yes"),
            (
                "A trial of 2,000 patients found the drug lowered blood pressure against a "
                "placebo.",
                "no",
            ),
            ("The rain cost the mayor the election.", "yes"),
            ("The store opens at nine.", "no"),
        ),
    ),
    "prediction_as_certain": MoveQuestion(
        "Does this sentence state a prediction about the future as certain?",
        "yes",
        (
            ("Next year the company will double its profits.", "yes"),
            ("The company expects profits to grow, its chief said.", "no"),
            ("This law will end poverty.", "yes"),
            ("Profits doubled last year.", "no"),
        ),
    ),
    "one_case": MoveQuestion(
        "Does this sentence draw a general rule from a single example?",
        "yes",
        (
            ("My uncle smoked and lived to 95, so smoking is harmless.", "yes"),
            ("A survey of 3,000 students found one in ten admitted cheating.", "no"),
            ("One student cheated, which shows the whole school is dishonest.", "yes"),
            ("The museum closed for repairs.", "no"),
        ),
    ),
    "direct_evidence": MoveQuestion(
        "Does this sentence give data, a document or a named source?",
        "yes",
        (
            ("Census data show the population grew 4% since 2010.", "yes"),
            ("Many people feel the town is growing.", "no"),
            ("The court ruling, published on Friday, orders a new vote.", "yes"),
            ("It is a great time for the town.", "no"),
        ),
    ),
    "quoted_expert": MoveQuestion(
        "Does this sentence quote or report what a named participant or expert said?",
        "yes",
        (
            ("'The bridge is safe,' said chief engineer Maria Lopez.", "yes"),
            ("The bridge is safe.", "no"),
            ("Economist Ian Park told the inquiry that rents would fall.", "yes"),
            ("Rents are expected to fall.", "no"),
        ),
    ),
    "mechanism": MoveQuestion(
        "Does this sentence explain how or why something happens?",
        "yes",
        (
            ("Because warm air rises, the upper floors heat up first.", "yes"),
            ("The upper floors are warmer.", "no"),
            ("The filter traps dust, so the air that comes out is cleaner.", "yes"),
            ("The air is cleaner now.", "no"),
        ),
    ),
}
# The sentence each move question is also asked of once per run: what the model answers
# whatever the sentence (contextual calibration, Zhao et al. 2021, "Calibrate before use").
CONTENT_FREE = "N/A"


def role_questions(role: str) -> list[str]:
    """The moves of `role`'s menu that a question measures (all but the concession)."""
    return [kind for kind in MOVES[role] if kind != CONCEDE]


def move_scores(
    probabilities: Mapping[str, float], baselines: Mapping[str, float]
) -> dict[str, float]:
    """How much more each move's answer is given for this sentence than for a content-free one:
    the log-odds of P(the move's answer) minus the same for CONTENT_FREE (0: no more)."""
    return {kind: _logit(p) - _logit(baselines.get(kind, 0.5)) for kind, p in probabilities.items()}


def chosen_move(probabilities: Mapping[str, float], baselines: Mapping[str, float]) -> str:
    """The move a sentence makes most above what the model says of any sentence; CONCEDE when
    it makes none (no score above 0). A tie goes to the earlier move."""
    scores = move_scores(probabilities, baselines)
    best = max(scores, key=lambda kind: (scores[kind], -list(scores).index(kind)), default=None)
    return best if best is not None and scores[best] > 0 else CONCEDE


def against_content_free(p: float, baseline: float) -> float:
    """`p` read against the same question's answer for CONTENT_FREE, as a probability: the
    sigmoid of their log-odds difference (0.5: no more than for a content-free sentence)."""
    return 1 / (1 + math.exp(-(_logit(p) - _logit(baseline))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


# The checklist findings (scoring/checklist.py probe ids) each skeptic move is a sign of: the
# analysis cites upheld moves of these kinds in the paragraph on that finding. Findings about
# the article as a whole (one side quoted, views against it) have no sentence move.
FINDING_MOVES: Mapping[str, tuple[str, ...]] = {
    "unsourced_claims": ("no_source", "figure_without_context", "cause_without_evidence"),
    "loaded_language": ("loaded_wording",),
    "persuasive_paragraphs": ("loaded_wording",),
    "promotes_one_side": ("loaded_wording",),
    "opinion_as_fact": ("prediction_as_certain", "one_case", "cause_without_evidence"),
    "risks_left_out": ("prediction_as_certain",),
}


def move_label(role: str, kind: str) -> str:
    """The label of `kind` in `role`'s menu; a clear error naming the allowed kinds."""
    menu = MOVES.get(role)
    if menu is None:
        raise ValueError(f"no moves for role {role!r}; expected one of {', '.join(MOVES)}")
    if kind not in menu:
        raise ValueError(f"unknown {role} move {kind!r}; expected one of {', '.join(menu)}")
    return menu[kind]


# The text of a turn whose draft and retry both copied a turn it was shown: the turn keeps its
# move and sentence, which every report shows beside it, and no words of its own.
FIXED_TURN = "(no sentence of its own: its draft and its retry both copied an earlier turn)"


def is_fixed_turn(turn: Turn) -> bool:
    """Whether `turn` is left with its move and sentence alone (FIXED_TURN)."""
    return turn.role in MOVES and turn.content == FIXED_TURN


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
    debate of a claim whose verdict is not "supported". By the verdict the reader sees, not by
    P(supported) < 0.5: a claim ruled "supported" at P 0.4 (three labels near a third each)
    would otherwise show as supported with the skeptic's points standing against it."""
    standing = {c.id for c in claims if c.verdict not in (None, "supported")}
    return [
        t
        for t in turns
        if t.role == "skeptic"
        and t.claim_id in standing
        and t.move not in (None, CONCEDE)
        and not t.off_side
    ]
