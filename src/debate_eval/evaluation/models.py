"""The models an evaluation uses, with the store's LLM cache and a bound on calls in flight."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import httpx
from langchain_core.language_models import BaseChatModel

from debate_eval.evaluation.store import StoreCache
from debate_eval.models.backend import Backend, open_endpoint, with_prompt_sharing
from debate_eval.models.chat import RoleModels, RoleSettings, build_chat_model, build_role_models


@dataclass
class EvalModels:
    """The models an evaluation uses: the debaters' and a factory for judges' models."""

    debate: RoleModels
    judge_base: RoleSettings
    make_judge_model: Callable[[RoleSettings], BaseChatModel]
    structured_method: str
    article_concurrency: int
    endpoint_label: str | None = None  # a stable name for an endpoint whose URL changes


@contextlib.contextmanager
def open_eval_models(backend: Backend, cache: StoreCache, concurrency: int) -> Iterator[EvalModels]:
    """Models with the store's LLM cache and one shared HTTP client whose connection limit
    bounds the calls in flight; the embedded model gets one article at a time and one call per
    server slot."""
    embedded = backend.local_model is not None
    limit = backend.local_model.slots if embedded else max(1, concurrency)
    with open_endpoint(backend) as base_url:
        label = None
        if embedded and base_url:
            label = f"embedded:{backend.local_model.name}"
            cache.aliases[base_url] = label
        settings = backend.role_settings(base_url)
        timeout = max(s.timeout_s for s in settings.values())
        # Calls queue for a connection without a time limit: the pool is the concurrency bound;
        # each call's own timeout starts once it is sent.
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, pool=None),
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        )
        method = backend.structured_method
        yield EvalModels(
            debate=with_prompt_sharing(
                backend,
                replace(
                    build_role_models(settings, method, cache=cache, http_async_client=client),
                    call_slots=backend.local_model.slots if embedded else None,
                ),
                base_url,
            ),
            judge_base=settings["judge"],
            make_judge_model=lambda s: build_chat_model(s, cache=cache, http_async_client=client),
            structured_method=method,
            article_concurrency=1 if embedded else limit,
            endpoint_label=label,
        )
