"""The report's prose parts, each its own model call: a part that fails is recorded, never
raised, so it never costs the rating or the other parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.schemas import TokenUsage
from debate_eval.debate.evidence import pick_sentence
from debate_eval.debate.prompts import build_messages
from debate_eval.models.calls import add_usage, ask_structured, ask_text

T = TypeVar("T", bound=BaseModel)


class Parts:
    """Writes the report's prose parts; a part that fails is recorded, never raised."""

    def __init__(self, article: str, model: BaseChatModel, method: str) -> None:
        self.article, self.model, self.method = article, model, method
        self.usage = TokenUsage()
        self.problems: list[str] = []

    async def structured(self, part: str, prompt: str, schema: type[T], **values) -> T | None:
        messages = build_messages(self.article, prompt, **values)
        try:
            draft, usage = await ask_structured(
                self.model, messages, schema, role="judge", method=self.method
            )
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return draft

    async def sentence(
        self, part: str, prompt: str, sentences: Sequence[str], **values
    ) -> str | None:
        """The article sentence picked by letter among `sentences`; None when the call failed."""
        try:
            picked, usage = await pick_sentence(
                self.model, self.article, prompt, sentences, role="judge", **values
            )
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return picked or None

    async def text(self, part: str, prompt: str, **values) -> str | None:
        messages = build_messages(self.article, prompt, **values)
        try:
            text, usage = await ask_text(self.model, messages, role="judge")
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return text
