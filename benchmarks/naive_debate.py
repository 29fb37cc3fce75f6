"""The same run as a plain sequential loop (no graph, one step and one claim after another): the
baseline benchmarks/run.py compares our concurrent graph with. The same nodes as the graph, so
the same prompts and calls (the screener's questions, the rater's probes, the move questions
about the content-free sentence, every evidence pick and move question, the claim judge's
calls, the report judge's parts), with the same models; only the scheduling differs. A step's
own calls (a pick asked in both orders, a turn's move questions, the probes) still go out
together, as inside the graph."""

from __future__ import annotations

from langgraph.runtime import Runtime

from debate_eval.debate.agents.advocate import advocate
from debate_eval.debate.agents.claim_judge import claim_judge
from debate_eval.debate.agents.debater import calibrate_moves, debaters_evidence, evidence_picked
from debate_eval.debate.agents.extractor import extract_claims
from debate_eval.debate.agents.judge import judge_node
from debate_eval.debate.agents.rater import rater
from debate_eval.debate.agents.screener import screen_article
from debate_eval.debate.agents.skeptic import skeptic
from debate_eval.debate.graph.routing import next_speaker
from debate_eval.debate.runner import RunOptions
from debate_eval.debate.scoring.calibration import rating_choice
from debate_eval.debate.state import DebateContext, merge_dicts
from debate_eval.models.chat import RoleModels, model_name

TURNS = {"advocate": advocate, "skeptic": skeptic}


def _calls(update: dict) -> int:
    return sum(u.calls for u in update.get("usage", {}).values())


async def naive_debate(article: str, models: RoleModels, options: RunOptions) -> int:
    """Run `article` step after step; returns the number of model calls made."""
    # The rating judge as arun_debate chooses it, so the report asks the same questions.
    judge, calibration = rating_choice(
        options.rating_judge, options.calibration, model_name(models.judge)
    )
    runtime = Runtime(
        context=DebateContext(
            models=models,
            words_per_turn=options.words_per_turn,
            history_turns=options.history_turns,
            rating_judge=judge,
            calibration=calibration,
        )
    )
    state = {"article": article, "rounds": options.rounds, "max_claims": options.max_claims}
    calls = 0
    for step in (screen_article, rater, extract_claims, calibrate_moves):
        update = await step(state, runtime)
        calls += _calls(update)
        state |= update
    turns, rulings = [], {}
    for claim in state["claims"]:
        debate = {"article": state["article"], "rounds": options.rounds, "claim": claim}
        debate |= {"move_baselines": state["move_baselines"]}
        debate |= {"turns": [], "evidence": {}, "skeptic_first": options.skeptic_first}
        while (speaker := next_speaker(debate)) != "claim_judge":
            # Both debaters' evidence at a round's start, as the graph picks it.
            steps = [TURNS[speaker]]
            if not evidence_picked(debate, speaker):
                steps.insert(0, debaters_evidence)
            for step in steps:
                update = await step(debate, runtime)
                calls += _calls(update)
                debate["turns"] = debate["turns"] + update.get("turns", [])
                debate["evidence"] = merge_dicts(debate["evidence"], update.get("evidence"))
                # The claim's content-free side check, measured once, at its first round.
                if "side_baseline" in update:
                    debate["side_baseline"] = update["side_baseline"]
        update = await claim_judge(debate, runtime)
        calls += _calls(update)
        turns += debate["turns"] + update["turns"]
        rulings |= update["rulings"]
    update = await judge_node({**state, "turns": turns, "rulings": rulings}, runtime)
    # The judge node's usage covers the report's calls and, for the debate judge, its letter.
    return calls + _calls(update)
