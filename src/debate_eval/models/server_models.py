"""Models for a run started by a LangGraph server (Studio), which can pass only JSON context."""

from __future__ import annotations

from debate_eval.core.errors import ConfigError
from debate_eval.models.backend import Backend
from debate_eval.models.chat import RoleModels, build_role_models
from debate_eval.models.settings import load_settings


def models_for_server(model: str | None, base_url: str | None) -> RoleModels:
    """Chat models for an OpenAI-compatible endpoint: the context's `model` and `base_url`,
    else the server environment's settings (OPENAI_BASE_URL, OPENAI_API_KEY, DEBATE_EVAL_*)."""
    settings = load_settings({"model": model, "base_url": base_url})
    if not settings.base_url and not settings.api_key:
        raise ConfigError(
            "no model endpoint: pass base_url (and model) in the run's context, or set "
            "OPENAI_BASE_URL or OPENAI_API_KEY where the LangGraph server runs"
        )
    backend = Backend("openai", settings)
    return build_role_models(backend.role_settings(), backend.structured_method)
