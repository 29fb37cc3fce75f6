"""The graph as LangGraph's server and Studio load it (langgraph.json names `make_graph`).

Run context is JSON there: {"model": ..., "base_url": ...}; StudioContext builds the models.
"""

from __future__ import annotations

from dataclasses import dataclass

from debate_eval.debate.graph.builder import build_graph
from debate_eval.debate.state import DebateContext
from debate_eval.models.chat import RoleModels
from debate_eval.models.server_models import models_for_server


@dataclass
class StudioContext(DebateContext):
    """A run's context from JSON: `model` and `base_url` (or OPENAI_BASE_URL /
    OPENAI_API_KEY in the server's environment) name the OpenAI-compatible endpoint."""

    models: RoleModels | None = None  # type: ignore[assignment]
    model: str | None = None
    base_url: str | None = None

    def __post_init__(self) -> None:
        if self.models is None:
            self.models = models_for_server(self.model, self.base_url)
        super().__post_init__()


def make_graph():
    """The whole debate graph; the server adds its own checkpointer."""
    return build_graph(context_schema=StudioContext)
