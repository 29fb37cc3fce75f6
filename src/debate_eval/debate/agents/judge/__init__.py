"""The judge: turns the article, the claims, their verdicts and the debate into the report.

One job per module: `checks` (text checks on the prose), `parts` (the fault-tolerant runner of
the prose parts' calls), `explanation` and `analysis` (their writers), `writer` (`ajudge` and
`judge`: the report from a finished debate) and `node` (the graph's judge node).
"""

from debate_eval.debate.agents.judge.node import (
    claims_with_rulings,
    judge_node,
    transcript_in_order,
)
from debate_eval.debate.agents.judge.writer import ajudge, judge

__all__ = ["ajudge", "claims_with_rulings", "judge", "judge_node", "transcript_in_order"]
