"""Judges the harness compares: each rates one article, from its text or its stored debate."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel

from debate_eval.agents.judge import ajudge
from debate_eval.calls import ask_structured
from debate_eval.errors import DebateEvalError
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.metrics import ORDINAL
from debate_eval.evaluation.store import Judgment
from debate_eval.llm import model_name
from debate_eval.prompts import build_messages, load_prompt
from debate_eval.schemas import RATING_LABELS, RatingDraft, Transcript

DEFAULT_PERSONA = "an experienced news editor"
# The built-in panel: three direct raters with different outlooks, majority vote. It is the
# voting baseline a debate has to beat (much of the reported gain from debate comes from voting).
PANEL_PERSONAS = (
    DEFAULT_PERSONA,
    "a media-literacy teacher who looks for missing perspectives",
    "a fact-checker who looks for unsupported claims",
)
TIE_RULE = "lower median: a tie goes to the middle of all votes on the rating scale (the milder)"


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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


@dataclass
class Judge:
    """A named way of rating an article. kind: baseline, debate or panel."""

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
        prompt = self.template or load_prompt(
            "baseline_judge" if self.kind == "baseline" else "judge"
        )
        return {
            "kind": self.kind,
            "model": model_name(self.model) if self.model is not None else None,
            "base_url": self.endpoint or getattr(self.model, "openai_api_base", None),
            "temperature": self.temperature,
            "structured_method": self.method,
            "prompt_sha256": prompt_hash(prompt),
            **({"persona": self.persona} if self.kind == "baseline" else {}),
        }

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
            if self.kind == "baseline":
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
            else:
                if debate is None:
                    return Rating(None, "no debate to judge (the debate failed)")
                report = await ajudge(
                    example.text,
                    [c.model_copy() for c in debate.claims],
                    debate.debate,
                    self.model,
                    method=self.method,
                    template=self.template,
                )
                label, usage = report.rating.label, report.meta.usage["judge"]
        except DebateEvalError as exc:
            return Rating(None, str(exc), latency_s=time.perf_counter() - t0)
        return Rating(
            rating=label,
            tokens_in=usage.input_tokens,
            tokens_out=usage.output_tokens,
            latency_s=round(time.perf_counter() - t0, 3),
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
    )
