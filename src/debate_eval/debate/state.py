"""Graph state: TypedDicts with explicit reducers, and the run-time context nodes receive."""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass
from typing import Annotated, TypedDict

from debate_eval.core.schemas import (
    ArticleReading,
    Claim,
    ClaimRuling,
    PhaseTiming,
    RatingMeasurement,
    Report,
    TokenUsage,
    Turn,
)
from debate_eval.debate.scoring.calibration import Calibration, rating_choice
from debate_eval.models.calls import add_usage
from debate_eval.models.chat import RoleModels, model_name


def merge_usage(
    left: dict[str, TokenUsage] | None, right: dict[str, TokenUsage] | None
) -> dict[str, TokenUsage]:
    """Sum token usage per role."""
    merged = dict(left or {})
    for role, usage in (right or {}).items():
        merged[role] = add_usage(merged[role], usage) if role in merged else usage
    return merged


def merge_timing(
    left: dict[str, PhaseTiming] | None, right: dict[str, PhaseTiming] | None
) -> dict[str, PhaseTiming]:
    """Sum seconds and tokens per phase (a claim's debate is several steps); phases keep the
    order they first ran in."""
    merged = dict(left or {})
    for name, more in (right or {}).items():
        if name in merged:
            before = merged[name]
            more = PhaseTiming(
                seconds=round(before.seconds + more.seconds, 3),
                usage=add_usage(before.usage, more.usage),
            )
        merged[name] = more
    return merged


def phase(name: str, started: float, usage: TokenUsage | None = None) -> dict[str, PhaseTiming]:
    """A step's contribution to `timing`: the seconds since `started` (time.perf_counter)."""
    seconds = round(time.perf_counter() - started, 3)
    return {name: PhaseTiming(seconds=seconds, usage=usage or TokenUsage())}


def merge_dicts(left: dict | None, right: dict | None) -> dict:
    """Union of two dicts; the right side wins on a shared key."""
    return {**(left or {}), **(right or {})}


class DebateState(TypedDict, total=False):
    """State of one claim's debate (the `debate` subgraph)."""

    article: str
    rounds: int
    skeptic_first: bool
    claim: Claim
    # Each debater's answers to its move questions about a content-free sentence (role -> move
    # -> P), measured once per run (agents/debater.calibrate_moves).
    move_baselines: dict[str, dict[str, float]]
    # The side check's P(argues for) of a content-free sentence about this claim, measured at
    # its first round (agents/debater.debaters_evidence): each turn's is read against it.
    side_baseline: float
    # The article sentence each turn argues from, picked before the turn (turn id -> sentence;
    # "" when the article offered none): its own step, so a resumed run does not ask again.
    evidence: Annotated[dict[str, str], merge_dicts]
    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]
    timing: Annotated[dict[str, PhaseTiming], merge_timing]


class DebateOutput(TypedDict, total=False):
    """What a claim's debate hands back to the run (concurrent debates merge via reducers)."""

    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]
    timing: Annotated[dict[str, PhaseTiming], merge_timing]


class GraphState(TypedDict, total=False):
    """State of a whole run."""

    article: str  # as the agents read it (the screener may leave paragraphs out)
    rounds: int
    max_claims: int
    skeptic_first: bool
    notices: Annotated[list[str], operator.add]  # what the reader should know about the input
    claims: list[Claim]
    move_baselines: dict[str, dict[str, float]]  # handed to each claim's debate
    turns: Annotated[list[Turn], operator.add]
    rulings: Annotated[dict[str, ClaimRuling], merge_dicts]
    usage: Annotated[dict[str, TokenUsage], merge_usage]
    timing: Annotated[dict[str, PhaseTiming], merge_timing]
    # The article paragraph by paragraph, as the screener read it (and the persuasion question).
    reading: ArticleReading
    # The rating as measured before the debate (its label pending where the judge needs it).
    rating: RatingMeasurement
    report: Report


@dataclass
class DebateContext:
    """What every node gets at run time and is not part of the checkpointed state.

    Callers inject `models` (a LangGraph server, which can pass only JSON, uses
    graph.studio.StudioContext, which builds them).
    """

    models: RoleModels
    words_per_turn: int = 30
    history_turns: int = 2
    # How the report's label is chosen (debate, checklist or baseline-prob; None: the one
    # shipped calibrated as the best for the judge model, as `run` chooses) and the calibration
    # that matches the judge model, if any.
    rating_judge: str | None = None
    calibration: Calibration | None = None

    def __post_init__(self) -> None:
        if self.rating_judge is None and self.models is not None:
            self.rating_judge, self.calibration = rating_choice(
                None, None, model_name(self.models.judge)
            )
