"""The debate graph: screen_article → rater → extract_claims → calibrate_moves → one debate
per claim (concurrently, via Send: each round both debaters' evidence picks, then their turns,
then the claim judge) → judge."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from debate_eval.debate.agents.advocate import advocate
from debate_eval.debate.agents.claim_judge import claim_judge
from debate_eval.debate.agents.debater import (
    calibrate_moves,
    debaters_evidence,
    evidence_picked,
)
from debate_eval.debate.agents.extractor import extract_claims
from debate_eval.debate.agents.judge import judge_node
from debate_eval.debate.agents.rater import rater
from debate_eval.debate.agents.screener import screen_article
from debate_eval.debate.agents.skeptic import skeptic
from debate_eval.debate.graph.routing import next_speaker
from debate_eval.debate.state import DebateContext, DebateOutput, DebateState, GraphState

# Where a debate goes next: both debaters' evidence picks (at a round's start), a debater's
# turn, or the claim judge.
NEXT_STEPS = ["debaters_evidence", "advocate", "skeptic", "claim_judge"]


async def route_debate(state: DebateState) -> str:
    # Async on purpose: LangGraph runs a sync edge function of an async graph in a worker
    # thread, a thread hop per turn that costs more than the decision itself.
    speaker = next_speaker(state)
    if speaker == "claim_judge":
        return speaker
    return speaker if evidence_picked(state, speaker) else "debaters_evidence"


def build_debate_graph():
    """The subgraph that debates one claim and rules on it."""
    graph = StateGraph(DebateState, context_schema=DebateContext, output_schema=DebateOutput)
    graph.add_node("debaters_evidence", debaters_evidence)
    graph.add_node("advocate", advocate)
    graph.add_node("skeptic", skeptic)
    graph.add_node("claim_judge", claim_judge)
    graph.add_conditional_edges(START, route_debate, NEXT_STEPS)
    graph.add_conditional_edges("debaters_evidence", route_debate, NEXT_STEPS)
    graph.add_conditional_edges("advocate", route_debate, NEXT_STEPS)
    graph.add_conditional_edges("skeptic", route_debate, NEXT_STEPS)
    graph.add_edge("claim_judge", END)
    return graph.compile()


async def fan_out_debates(state: GraphState) -> list[Send]:
    """One concurrent debate per claim (async: no worker-thread hop, see route_debate)."""
    return [
        Send(
            "debate",
            {
                "article": state["article"],
                "rounds": state["rounds"],
                "skeptic_first": state.get("skeptic_first", False),
                "claim": claim,
                "move_baselines": state.get("move_baselines", {}),
            },
        )
        for claim in state["claims"]
    ]


def build_graph(
    checkpointer=None, *, with_report: bool = True, context_schema: type = DebateContext
):
    """The whole run, compiled. Models arrive at run time through the context (a
    DebateContext, or a subclass of it such as Studio's).

    with_report=False stops after the claims' verdicts (the eval harness judges later), and
    measures no rating.
    """
    graph = StateGraph(GraphState, context_schema=context_schema)
    graph.add_node("screen_article", screen_article)
    graph.add_node("extract_claims", extract_claims)
    graph.add_node("calibrate_moves", calibrate_moves)
    graph.add_node("debate", build_debate_graph())
    graph.add_edge(START, "screen_article")
    if with_report:
        # The rating before the debate, not beside it: on a one-slot server the rater's
        # one-token calls would otherwise queue behind the extractor's long reply.
        graph.add_node("rater", rater)
        graph.add_edge("screen_article", "rater")
        graph.add_edge("rater", "extract_claims")
    else:
        graph.add_edge("screen_article", "extract_claims")
    graph.add_edge("extract_claims", "calibrate_moves")
    graph.add_conditional_edges("calibrate_moves", fan_out_debates, ["debate"])
    if with_report:
        graph.add_node("judge", judge_node)
        graph.add_edge("debate", "judge")
        graph.add_edge("judge", END)
    else:
        graph.add_edge("debate", END)
    return graph.compile(checkpointer=checkpointer)
