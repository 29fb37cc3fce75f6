"""The probability-scored rating: one call answered with a single letter A-D, read as the
probabilities of the four balance labels (G-Eval style), with the expected score on 1-4."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from debate_eval.core.schemas import RATING_LABELS, TokenUsage
from debate_eval.debate.prompts import build_messages
from debate_eval.debate.scoring.options import ask_option, expected_score, rounded

LETTERS: tuple[str, ...] = ("A", "B", "C", "D")
LABEL_OF_LETTER: dict[str, str] = dict(zip(LETTERS, RATING_LABELS, strict=True))
DEFAULT_PERSONA = "an experienced news editor"


@dataclass(frozen=True)
class LabelDistribution:
    """Probabilities of the four labels (summing to 1), read from one call."""

    probabilities: dict[str, float]  # label -> probability, in RATING_LABELS order
    method: str
    usage: TokenUsage

    @property
    def score(self) -> float:
        """Expected position on the 1 (well balanced) .. 4 (strongly imbalanced) scale."""
        return expected_score(self.probabilities, RATING_LABELS)

    @property
    def label(self) -> str:
        """The most probable label."""
        return max(RATING_LABELS, key=self.probabilities.__getitem__)


async def rate_article(
    article: str,
    model: BaseChatModel,
    *,
    evidence: str = "",
    persona: str = DEFAULT_PERSONA,
    role: str = "judge",
    template: str | None = None,
    trace: Mapping[str, object] | None = None,
) -> LabelDistribution:
    """The four label probabilities for the article (evidence: e.g. the debate, fenced)."""
    messages = build_messages(
        article,
        "rating",
        template=template,
        persona=persona,
        evidence=f"\n{evidence.strip()}\n" if evidence.strip() else "",
    )
    answer = await ask_option(model, messages, LETTERS, role=role, trace=trace)
    probabilities = rounded({LABEL_OF_LETTER[k]: v for k, v in answer.probabilities.items()})
    return LabelDistribution(probabilities, answer.method, answer.usage)
