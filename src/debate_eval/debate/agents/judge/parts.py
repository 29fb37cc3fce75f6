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

# English runs about four characters to a token.
CHARS_PER_TOKEN = 4


def token_cap(chars: int) -> int:
    """A part's cap on generated tokens from its character limit: a small model that runs on
    (a list repeating its last item to the role's 900 tokens, ~50 s on 2 cores) stops near
    where its reply would be cut to fit anyway."""
    return chars // CHARS_PER_TOKEN


class Parts:
    """Writes the report's prose parts; a part that fails is recorded, never raised."""

    def __init__(self, article: str, model: BaseChatModel, method: str) -> None:
        self.article, self.model, self.method = article, model, method
        self.usage = TokenUsage()
        self.problems: list[str] = []

    def cap(self, max_tokens: int | None) -> int | None:
        """A part's cap as sent: only where replies are read as plain text (json_text, the
        small-model profile, whose models run on), never above the role's own limit. Other
        models keep the role's limit: a reasoning model spends its cap on reasoning first."""
        if max_tokens is None or self.method != "json_text":
            return None
        role_limit = getattr(self.model, "max_tokens", None)
        return min(max_tokens, role_limit) if role_limit else max_tokens

    async def structured(
        self, part: str, prompt: str, schema: type[T], max_tokens: int | None = None, **values
    ) -> T | None:
        """max_tokens: the part's cap on the reply (see `cap`)."""
        messages = build_messages(self.article, prompt, **values)
        try:
            draft, usage = await ask_structured(
                self.model,
                messages,
                schema,
                role="judge",
                method=self.method,
                max_tokens=self.cap(max_tokens),
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

    async def text(
        self, part: str, prompt: str, max_tokens: int | None = None, **values
    ) -> str | None:
        """max_tokens: the part's cap on the reply (see `cap`); a reply it cuts off ends at
        its last whole sentence."""
        messages = build_messages(self.article, prompt, **values)
        capped = self.cap(max_tokens)
        sampling = {"max_tokens": capped} if capped else None
        try:
            text, usage = await ask_text(self.model, messages, role="judge", sampling=sampling)
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return text
