"""Graph state: TypedDicts with explicit reducers, and the run-time context nodes receive."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict

from debate_eval.core.schemas import Claim, ClaimRuling, Report, TokenUsage, Turn
from debate_eval.debate.scoring.calibration import Calibration
from debate_eval.models.calls import add_usage
from debate_eval.models.chat import RoleModels


def merge_usage(
    left: dict[str, TokenUsage] | None, right: dict[str, TokenUsage] | None
) -> dict[str, TokenUsage]:
    """Sum token usage per role."""
    merged = dict(left or {})
    for role, usage in (right or {}).items():
        merged[role] = add_usage(merged[role], usage) if role in merged else usage
    return merged


def merge_dicts(left: dict | None, right: dict | None) -> dict:
    """Union of two dicts; the right side wins on a shared key."""
    return {**(left or {}), **(right or {})}


class DebateState(TypedDict, total=False):
    """State of one claim's debate (the `debate` subgraph)."""

    article: str
    rounds: int
    skeptic_first: bool
    claim: Claim
    # The article sentence each turn argues from, picked before the turn (turn id -> sentence;
    # "" when the article offered none): its own step, so a resumed run does not ask again.
    evidence: Annotated[dict[str, str], merge_dicts]
    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]


class DebateOutput(TypedDict, total=False):
    """What a claim's debate hands back to the run (concurrent debates merge via reducers)."""

    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]


class GraphState(TypedDict, total=False):
    """State of a whole run."""

    article: str  # as the agents read it (the screener may leave paragraphs out)
    rounds: int
    max_claims: int
    skeptic_first: bool
    notices: Annotated[list[str], operator.add]  # what the reader should know about the input
    claims: list[Claim]
    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]
    report: Report


@dataclass
class DebateContext:
    """What every node gets at run time and is not part of the checkpointed state.

    Callers inject `models` (a LangGraph server, which can pass only JSON, uses
    graph.studio.StudioContext, which builds them).
    """

    models: RoleModels
    words_per_turn: int = 150
    history_turns: int = 2
    # How the report's label is chosen (debate, checklist or baseline-prob) and the
    # calibration that matches the judge model, if any.
    rating_judge: str = "debate"
    calibration: Calibration | None = None
