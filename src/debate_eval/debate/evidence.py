"""Picking one of the article's sentences by letter: the evidence a debate turn or an analysis
paragraph rests on (one token, read from its probabilities)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from langchain_core.language_models import BaseChatModel

from debate_eval.core.evidence import LETTERS, lettered
from debate_eval.core.schemas import TokenUsage
from debate_eval.debate.prompts import build_messages, fence
from debate_eval.debate.scoring.options import ask_option


async def pick_sentence(
    model: BaseChatModel,
    article: str,
    prompt: str,
    sentences: Sequence[str],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    **values: object,
) -> tuple[str, TokenUsage]:
    """The sentence the model picks among `sentences` with prompt `prompt` (which lists them
    and the letters to answer with); "" when there is none, the only one without a call."""
    if len(sentences) <= 1:
        return (sentences[0] if sentences else ""), TokenUsage()
    letters = list(LETTERS[: len(sentences)])
    messages = build_messages(
        article,
        prompt,
        sentences=fence("sentences", lettered(list(sentences))),
        letters=", ".join(letters),
        **values,
    )
    answer = await ask_option(model, messages, letters, role=role, trace=trace)
    return sentences[letters.index(answer.best)], answer.usage
