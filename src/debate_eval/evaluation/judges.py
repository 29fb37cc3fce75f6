"""Judges the harness compares: each rates one article, from its text or its stored debate."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.schemas import RATING_LABELS, RatingDraft, TokenUsage, Transcript
from debate_eval.debate.agents.judge import debate_evidence, rating_features
from debate_eval.debate.prompts import build_messages, load_prompt, prompt_hash
from debate_eval.debate.scoring.calibration import PROMPT_OF_KIND, judge_prompts_sha256, label_for
from debate_eval.debate.scoring.checklist import checklist_features, run_probes
from debate_eval.debate.scoring.rating import LabelDistribution, rate_article
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.metrics import ORDINAL
from debate_eval.evaluation.store import Judgment
from debate_eval.models.calls import add_usage, ask_structured, gather_calls
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

    async def rate(self, example: Example, debate: Transcript | None) -> Rating:
        t0 = time.perf_counter()
        if self.kind == "panel":
            ratings = [await m.rate(example, debate) for m in self.members]
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
                return await self._rate_scored(example, debate, t0)
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

    async def _rate_scored(self, example: Example, debate: Transcript | None, t0: float) -> Rating:
        trace = {"article_id": example.id, "judge": self.name}
        if self.kind == "baseline-prob":
            dist = await rate_article(
                example.text,
                self.model,
                persona=self.persona,
                role=self.name,
                template=self.template,
                trace=trace,
            )
            return _scored(dist.label, dist.usage, t0, dist, {"score": dist.score}, dist.method)
        if self.kind == "debate" and debate is None:
            return Rating(None, "no debate to judge (the debate failed)")
        if self.kind == "checklist":
            items, usage = await run_probes(example.text, self.model, role=self.name, trace=trace)
            features = checklist_features(items)
            label = label_for(features["checklist"], 0.5)
            return _scored(label, usage, t0, None, features, items[0].method)
        assert debate is not None
        (items, usage), dist = await gather_calls(
            run_probes(example.text, self.model, role=self.name, trace=trace),
            rate_article(
                example.text,
                self.model,
                evidence=debate_evidence(debate.claims, debate.debate),
                role=self.name,
                template=self.template,
                trace=trace,
            ),
        )
        features = rating_features(items, dist, debate.claims)
        return _scored(dist.label, add_usage(usage, dist.usage), t0, dist, features, dist.method)


def _scored(
    label: str,
    usage: TokenUsage,
    t0: float,
    dist: LabelDistribution | None,
    features: dict[str, float],
    method: str | None,
) -> Rating:
    return Rating(
        rating=label,
        tokens_in=usage.input_tokens,
        tokens_out=usage.output_tokens,
        latency_s=round(time.perf_counter() - t0, 3),
        probabilities=dist.probabilities if dist else None,
        score=round(dist.score, 4) if dist else None,
        features={k: round(v, 6) for k, v in features.items()},
        method=method,
    )


def to_judgment(
    judge: Judge,
    example: Example,
    repeat: int,
    order: str,
    rating: Rating,
    settings: dict[str, Any],
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
    )
