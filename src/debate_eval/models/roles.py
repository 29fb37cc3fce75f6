"""How each role's model is called: its settings and the structured-output methods. Light on
purpose (no client library): the settings model and the CLI's help read it at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

# function_calling: a forced tool call; json_mode: response_format json_object, schema in the
# prompt; json_text: a plain reply with the schema in the prompt, parsed client-side (fastest on
# the embedded llama.cpp server, whose grammar-constrained sampling halves generation speed).
StructuredMethod = Literal["function_calling", "json_mode", "json_text"]
STRUCTURED_METHODS: tuple[str, ...] = get_args(StructuredMethod)


def check_structured_method(method: str) -> None:
    """Refuse a structured-output method other than STRUCTURED_METHODS, naming them."""
    if method not in STRUCTURED_METHODS:
        raise ValueError(
            f"structured_method must be one of {', '.join(STRUCTURED_METHODS)}, not {method!r}"
        )


@dataclass(frozen=True)
class RoleSettings:
    """How to call the model for one role."""

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    max_tokens: int = 800
    timeout_s: float = 120.0
    max_retries: int = 2
    seed: int | None = None
