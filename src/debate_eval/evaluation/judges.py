"""Judges the harness compares: each rates one article, from its text or its stored debate."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.schemas import (
    RATING_LABELS,
    ArticleReading,
    RatingDraft,
    RatingMeasurement,
    Transcript,
)
from debate_eval.debate.prompts import build_messages, load_prompt, prompt_hash
from debate_eval.debate.rating import measure_rating
from debate_eval.debate.scoring.calibration import (
    PROMPT_OF_KIND,
    Calibration,
    judge_prompts_sha256,
)
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.metrics import ORDINAL
from debate_eval.evaluation.store import Judgment
from debate_eval.models.calls import ask_structured
from debate_eval.models.chat import model_name

DEFAULT_PERSONA = "an experienced news editor"
# The built-in panel: three direct raters with different outlooks, majority vote. It is the
# voting baseline a debate has to beat (much of the reported gain from debate comes from voting).
PANEL_PERSONAS = (
    DEFAULT_PERSONA,
    "a media-literacy teacher who looks for missing perspectives",
    "a fact-checker who looks for unsupported claims",
)
# Judges whose label is read from probabilities (and whose features a calibration can fit).
SCORED_KINDS: tuple[str, ...] = ("baseline-prob", "checklist", "debate")
TIE_RULE = "lower median: a tie goes to the middle of all votes on the rating scale (the milder)"


def labels_text() -> str:
    return "; ".join(f'"{label}"' for label in RATING_LABELS)


def majority(votes: Sequence[str | None]) -> str | None:
    """The most common rating; ties go to the lower median of all scored votes (ordinal)."""
    scored = [v for v in votes if v is not None]
    if not scored:
        return None
    counts = Counter(scored).most_common()
    top = [label for label, n in counts if n == counts[0][1]]
    if len(top) == 1:
        return top[0]
    ordered = sorted(scored, key=ORDINAL.__getitem__)
    return ordered[(len(ordered) - 1) // 2]


@dataclass
class Rating:
    rating: str | None
    unscored_reason: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    votes: list[str | None] | None = None
    # Probability-scored judges: the label probabilities, the expected score (1-4) and the
    # features a calibration is fitted on; method says how probabilities were read.
    probabilities: dict[str, float] | None = None
    score: float | None = None
    features: dict[str, float] | None = None
    method: str | None = None
    confidence: float | None = None  # P(the label is right), as `run` reports it


@dataclass
class Judge:
    """A named way of rating an article. kind: baseline (a generated label), baseline-prob
    (label probabilities), checklist (probes), debate (the debate-informed, probability-scored
    judge) or panel."""

    name: str
    kind: str
    model: BaseChatModel | None = None
    method: str = "function_calling"
    template: str | None = None
    persona: str = DEFAULT_PERSONA
    temperature: float | None = None
    members: list[Judge] = field(default_factory=list)
    endpoint: str | None = None  # how settings name the endpoint (stable across runs)
    # The calibration `run` would apply for this judge and model (a shipped match or a file
    # given): the label comes from it, as in `run` (debate/rating.py). Not part of the stored
    # result's key: the features are, and the summary labels them with the calibration in use.
    calibration: Calibration | None = None

    @property
    def needs_debate(self) -> bool:
        return self.kind == "debate" or any(m.needs_debate for m in self.members)

    def settings(self) -> dict[str, Any]:
        """What defines this judge's results (written to every results.jsonl row)."""
        if self.kind == "panel":
            return {
                "kind": "panel",
                "tie_rule": TIE_RULE,
                "members": [m.settings() for m in self.members],
            }
        return {
            "kind": self.kind,
            "model": model_name(self.model) if self.model is not None else None,
            "base_url": self.endpoint or getattr(self.model, "openai_api_base", None),
            "temperature": self.temperature,
            "structured_method": self.method,
            "prompt_sha256": prompt_hash(self.template or load_prompt(PROMPT_OF_KIND[self.kind])),
            "prompts_sha256": self.prompts_sha256(),
            **({"persona": self.persona} if self.kind in ("baseline", "baseline-prob") else {}),
        }

    def prompts_sha256(self) -> dict[str, str]:
        """Hashes of every prompt the judge's calls use (what a calibration is keyed by)."""
        return judge_prompts_sha256(self.kind, self.template)

    async def rate(
        self, example: Example, debate: Transcript | None, reading: ArticleReading | None = None
    ) -> Rating:
        """The judge's rating of `example` (as the screener left it; `reading`: the screener's
        reading, whose paragraph answers the checklist reuses, as in `run`)."""
        t0 = time.perf_counter()
        if self.kind == "panel":
            ratings = [await m.rate(example, debate, reading) for m in self.members]
            votes = [r.rating for r in ratings]
            winner = majority(votes)
            return Rating(
                rating=winner,
                unscored_reason=None if winner else "no member gave a usable rating",
                tokens_in=sum(r.tokens_in for r in ratings),
                tokens_out=sum(r.tokens_out for r in ratings),
                latency_s=sum(r.latency_s for r in ratings),
                votes=votes,
            )
        try:
            if self.kind in SCORED_KINDS:
                return await self._rate_scored(example, debate, reading, t0)
            messages = build_messages(
                example.text,
                "baseline_judge",
                template=self.template,
                labels=labels_text(),
                persona=self.persona,
            )
            draft, usage = await ask_structured(
                self.model,
                messages,
                RatingDraft,
                role=self.name,
                method=self.method,
                trace={"article_id": example.id, "judge": self.name},
            )
            label = draft.label
        except DebateEvalError as exc:
            return Rating(None, str(exc), latency_s=time.perf_counter() - t0)
        return Rating(
            rating=label,
            tokens_in=usage.input_tokens,
            tokens_out=usage.output_tokens,
            latency_s=round(time.perf_counter() - t0, 3),
        )

    async def _rate_scored(
        self,
        example: Example,
        debate: Transcript | None,
        reading: ArticleReading | None,
        t0: float,
    ) -> Rating:
        if self.kind == "debate" and debate is None:
            return Rating(None, "no debate to judge (the debate failed)")
        measured = await measure_rating(
            example.text,
            self.model,
            judge=self.kind,
            calibration=self.calibration,
            reading=reading,
            debate=(debate.claims, debate.debate) if debate is not None else None,
            template=self.template,
            persona=self.persona,
            role=self.name,
            trace={"article_id": example.id, "judge": self.name},
            probes=False,
        )
        return scored(measured, t0)


def scored(measured: RatingMeasurement, t0: float) -> Rating:
    """An eval row's rating from the measurement `run` would make."""
    return Rating(
        rating=measured.label,
        tokens_in=measured.usage.input_tokens,
        tokens_out=measured.usage.output_tokens,
        latency_s=round(time.perf_counter() - t0, 3),
        probabilities=measured.probabilities,
        score=measured.score,
        features=measured.features,
        method=measured.method,
        confidence=measured.confidence,
    )


def to_judgment(
    judge: Judge,
    example: Example,
    repeat: int,
    order: str,
    rating: Rating,
    settings: dict[str, Any],
    screened_out: list[dict[str, Any]] | None = None,
    paragraphs: list[dict[str, float]] | None = None,
) -> Judgment:
    return Judgment(
        article_id=example.id,
        judge=judge.name,
        repeat=repeat,
        speaking_order=order,
        rating=rating.rating,
        unscored_reason=rating.unscored_reason,
        tokens_in=rating.tokens_in,
        tokens_out=rating.tokens_out,
        latency_s=rating.latency_s,
        settings=settings,
        votes=rating.votes,
        probabilities=rating.probabilities,
        score=rating.score,
        features=rating.features,
        method=rating.method,
        confidence=rating.confidence,
        screened_out=screened_out,
        paragraphs=paragraphs,
    )
