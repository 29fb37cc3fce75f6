"""Graph wiring only: the nodes live in debate_eval.agents."""

from debate_eval.graph.builder import build_debate_graph, build_graph

__all__ = ["build_debate_graph", "build_graph"]
