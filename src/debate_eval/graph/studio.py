"""The graph as LangGraph's server and Studio load it (langgraph.json names `make_graph`).

Run context is JSON there: {"model": ..., "base_url": ...}; see state.DebateContext.
"""

from __future__ import annotations

from debate_eval.graph.builder import build_graph


def make_graph():
    """The whole debate graph; the server adds its own checkpointer."""
    return build_graph()
