"""How the debaters' own sentences read with the prompts as they are now.

python evals/turn_wording.py REPORT.json ARTICLE [--json OUT]

Each debater turn of a stored report (`run --format json`) is written again with today's
prompt files, from what that turn was given: its claim, the turns before it (the same window a
run shows), its article sentence and its move. Prints the stored sentence and the new one side
by side with the side check's P(argues the claim holds) for the new one, and counts the new
sentences that echo a turn they were shown or repeat the prompt's own words. The sentences and
moves are the report's, so two prompt versions are compared on the same choices: run it before
and after a prompt change. Calls the model the settings select (the embedded one by default),
one at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from debate_eval.core.moves import holds_side
from debate_eval.core.novelty import echoed_turn
from debate_eval.core.schemas import Claim, Turn
from debate_eval.debate.agents.debater import (
    answered_turns,
    check_side,
    turn_values,
    write_move,
)
from debate_eval.debate.state import DebateContext
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

# Words of the skeptic's prompt (what a sentence leaves out) that the 1.5B model copies.
PROMPT_WORDS = "specific fact, source, view"


async def rewrite(report: dict, article: str, models) -> list[dict]:
    ctx = DebateContext(models=models)
    claims = {c["id"]: Claim.model_validate(c) for c in report["claims"]}
    turns = [Turn.model_validate(t) for t in report["debate"]]
    rows = []
    for i, turn in enumerate(turns):
        if turn.role == "judge" or turn.move is None:  # no move: a report from before moves
            continue
        earlier = [t for t in turns[:i] if t.claim_id == turn.claim_id and t.role != "judge"]
        window, history = answered_turns(earlier, ctx.history_turns)
        claim = claims[turn.claim_id]
        state = {"article": article, "claim": claim, "rounds": report["meta"]["rounds"]}
        evidence = turn.evidence.text if turn.evidence else ""
        values = turn_values(state, ctx, turn.role, turn.round, history, evidence)
        model = models.for_role(turn.role)
        trace = {"claim_id": turn.claim_id, "round": turn.round}
        content, _ = await write_move(model, state, values, turn.role, turn.move, trace)
        again = turn.model_copy(update={"content": content})
        argues_for, _ = await check_side(models.claim_judge, state, again, trace)
        again = again.model_copy(update={"argues_for": argues_for})
        rows.append(
            {
                "id": turn.id,
                "move": turn.move,
                "stored": turn.content,
                "new": content,
                "argues_for": argues_for,
                "on_side": holds_side(again),
                "echo": echoed_turn(content, window, claim) is not None,
                "prompt_words": PROMPT_WORDS in content,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a report written by `run --format json`")
    parser.add_argument("article", type=Path, help="the article the report was made from")
    parser.add_argument("--json", type=Path, help="write the sentences here")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    article = load_article(str(args.article)).text
    with open_models(select_backend(load_settings({}))) as models:
        rows = asyncio.run(rewrite(report, article, models))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    for r in rows:
        print(f"[{r['id']}] {r['move']} (P for {r['argues_for']:.2f})")
        print(f"    stored: {r['stored']}")
        print(f"    new:    {r['new']}")
    checked = [r["on_side"] for r in rows if r["on_side"] is not None]
    print(
        f"{len(rows)} turns: {sum(checked)} of {len(checked)} side-checked on their side, "
        f"{sum(r['echo'] for r in rows)} echo a turn they were shown, "
        f"{sum(r['prompt_words'] for r in rows)} repeat the prompt's list"
    )


if __name__ == "__main__":
    main()
