"""Graph wiring only: the nodes live in debate_eval.debate.agents."""

from debate_eval.debate.graph.builder import build_debate_graph, build_graph

__all__ = ["build_debate_graph", "build_graph"]
