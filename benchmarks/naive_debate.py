"""The same debate as a plain sequential loop (no graph, one claim after another): the baseline
benchmarks/run.py compares our concurrent graph with. Same prompts and calls, same models."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.debate.agents.advocate import advocate
from debate_eval.debate.agents.claim_judge import claim_judge
from debate_eval.debate.agents.extractor import extract_claims
from debate_eval.debate.agents.judge import judge_node
from debate_eval.debate.agents.skeptic import skeptic
from debate_eval.debate.runner import RunOptions
from debate_eval.debate.state import DebateContext
from debate_eval.models.chat import RoleModels


async def naive_debate(article: str, models: RoleModels, options: RunOptions) -> int:
    """Debate `article` call after call; returns the number of model calls made."""
    runtime = Runtime(
        context=DebateContext(
            models=models,
            words_per_turn=options.words_per_turn,
            history_turns=options.history_turns,
        )
    )
    calls = 1
    state = {"article": article, "rounds": options.rounds, "max_claims": options.max_claims}
    state |= await extract_claims(state, runtime)
    turns, rulings = [], {}
    for claim in state["claims"]:
        debate = {"article": article, "rounds": options.rounds, "claim": claim, "turns": []}
        for _ in range(options.rounds):
            for speaker in (advocate, skeptic):
                update = await speaker(debate, runtime)
                debate["turns"] = debate["turns"] + update["turns"]
                calls += update["usage"][speaker.__name__].calls
        update = await claim_judge(debate, runtime)
        calls += 1
        turns += debate["turns"] + update["turns"]
        rulings |= update["rulings"]
    await judge_node({**state, "turns": turns, "rulings": rulings}, runtime)
    return calls + 1
