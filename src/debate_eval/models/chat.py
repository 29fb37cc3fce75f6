"""Building chat models. The only module that constructs ChatOpenAI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from langchain_core.caches import BaseCache
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from debate_eval.core.schemas import ROLES
from debate_eval.models import keys
from debate_eval.models.roles import RoleSettings, check_structured_method


def build_chat_model(
    settings: RoleSettings,
    *,
    cache: BaseCache | None = None,
    http_async_client: httpx.AsyncClient | None = None,
) -> ChatOpenAI:
    """A ChatOpenAI client for one role's settings.

    cache: answer repeated identical requests from it (the eval harness's store).
    http_async_client: share one client (and its connection limit) between models.
    """
    keys.remember(settings.api_key)
    # Own HTTP clients: langchain-openai's shared default async client keeps pooled connections
    # bound to the first event loop it served; a model must live in one event loop (sync
    # wrappers use debate_eval.core.sync.run_sync for that).
    return ChatOpenAI(
        http_client=httpx.Client(timeout=settings.timeout_s),
        http_async_client=http_async_client or httpx.AsyncClient(timeout=settings.timeout_s),
        cache=cache,
        seed=settings.seed,
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr(settings.api_key or keys.PLACEHOLDER_API_KEY),
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        # No limit on waiting for a pooled connection: a shared client's connection limit is
        # how the eval harness bounds calls in flight; the call's own timeout starts when sent.
        timeout=httpx.Timeout(settings.timeout_s, pool=None),
        max_retries=settings.max_retries,
    )


@dataclass
class RoleModels:
    """One chat model per role, plus how to ask them for structured output."""

    extractor: BaseChatModel
    advocate: BaseChatModel
    skeptic: BaseChatModel
    claim_judge: BaseChatModel
    judge: BaseChatModel
    structured_method: str = "function_calling"
    # For a server whose parallel slots keep separate prompt caches (the embedded one): copies
    # the article just read into every slot, before calls on it fan out. None: nothing to do.
    share_prompt_cache: Callable[[], Awaitable[None]] | None = None
    # How many calls the server runs at once (the embedded server's slots), for callers whose
    # calls must reach it in the order asked (the paragraph reader). None: no limit known.
    call_slots: int | None = None

    def __post_init__(self) -> None:
        check_structured_method(self.structured_method)

    @property
    def reading_slots(self) -> int | None:
        """Calls in flight while the article is read and the rating measured: one at a time on
        a server whose slots are known (the embedded one: on a CPU, reading in parallel is no
        faster, one call at a time keeps each question's prefix cached for the next, and the
        answers are the ones the calibration was fitted on, never the batched arithmetic of
        two slots); None (all at once) elsewhere."""
        return 1 if self.call_slots else None

    def for_role(self, role: str) -> BaseChatModel:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        return getattr(self, role)

    def names(self) -> dict[str, str]:
        """Model name per role, for the report's meta."""
        return {role: model_name(self.for_role(role)) for role in ROLES}


def build_role_models(
    settings: dict[str, RoleSettings],
    structured_method: str = "function_calling",
    *,
    cache: BaseCache | None = None,
    http_async_client: httpx.AsyncClient | None = None,
) -> RoleModels:
    """ChatOpenAI clients for every role from per-role settings."""
    missing = [role for role in ROLES if role not in settings]
    if missing:
        raise ValueError(f"no model settings for role(s): {', '.join(missing)}")
    return RoleModels(
        **{
            role: build_chat_model(settings[role], cache=cache, http_async_client=http_async_client)
            for role in ROLES
        },
        structured_method=structured_method,
    )


def model_name(model: BaseChatModel) -> str:
    return str(getattr(model, "model_name", None) or type(model).__name__)


def endpoint(model: BaseChatModel) -> str | None:
    """The base URL a model calls, if it calls one, without credentials or query string."""
    url = getattr(model, "openai_api_base", None) or (
        "https://api.openai.com/v1" if isinstance(model, ChatOpenAI) else None
    )
    return public_url(url) if url else None


def public_url(url: str) -> str:
    """`url` without user:password@ and ?query (where keys sometimes travel)."""
    parts = httpx.URL(url)
    return str(parts.copy_with(userinfo=b"", query=None, fragment=None))
