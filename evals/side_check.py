"""Does the side check read which side a debater's sentence argues?

python evals/side_check.py ARTICLE [--json OUT]

Each made-up case is a claim and one sentence about it, written the way the embedded model's
turns read ("The article directly supports…", "The article gives no figures…"), whose side is
plain: it argues the claim holds, or it argues against it / points out a gap. Each sentence is
checked twice, once as an advocate's turn and once as a skeptic's (each with its role's usual
move), so a check that follows the speaker's role or move instead of the sentence shows it: a
sentence should get the same P(argues for) whoever is said to have written it. Prints the AUC
of P(argues for) over the cases, how many land on the right side of 0.5 under each role, and
how far the role shown moves P. ARTICLE is the context every call carries (none of the cases
comes from it or from the development data). Calls the model the settings select (the
embedded one by default), one at a time, through debate/agents/debater.check_side (and the
claim's content-free answer, as a debate measures it), so it measures the side check this
code ships. The check it replaced (a yes/no question shown the turn with its role and move)
was measured with this script on the package of 1ba102e (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from sklearn.metrics import roc_auc_score

from debate_eval.core.moves import CONTENT_FREE
from debate_eval.core.schemas import Claim, Turn
from debate_eval.debate.agents.debater import check_side, side_probability
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

# (claim, sentence, argues the claim holds). Made-up topics; the last two of each side are in
# the shape of the turns issue 28 found on the wrong side ("does not actually claim…",
# "This directly supports…").
CASES = [
    (
        "The new bypass cut commuting times in Harlow.",
        "The article's journey times before and after the bypass opened directly support the "
        "claim that commuting got faster.",
        True,
    ),
    (
        "The school's reading programme raised test scores.",
        "The headteacher is quoted saying scores rose in every year group, which backs the claim.",
        True,
    ),
    (
        "The river cleanup brought salmon back to the Wend.",
        "The sentence names the fisheries agency's count of returning salmon, direct evidence "
        "that the cleanup worked.",
        True,
    ),
    (
        "Remote work made the firm's staff more productive.",
        "The article explains how dropping the commute left staff two more hours a day for work, "
        "a mechanism behind the claim.",
        True,
    ),
    (
        "The new stadium will pay for itself within ten years.",
        "Although the skeptic calls this a guess, the article answers it with the council's "
        "audited revenue plan, which shows the stadium covering its costs.",
        True,
    ),
    (
        "The vaccine cut hospital admissions among the elderly.",
        "The study the article cites found admissions fell by a third, exactly what the claim "
        "says.",
        True,
    ),
    (
        "Local shops gained from the pedestrian zone.",
        "The skeptic's doubt does not hold: the article quotes three shop owners whose takings "
        "rose after the street closed to cars.",
        True,
    ),
    (
        "The factory closure cost the town its main employer.",
        "The article states plainly that the factory employed more of the town than any other "
        "firm, so the claim holds.",
        True,
    ),
    (
        "The tram extension doubled weekend visitors to the old town.",
        "The article does mention one gap, but its named survey of 2,000 visitors is solid "
        "support for the claim.",
        True,
    ),
    (
        "The river cleanup brought salmon back to the Wend.",
        "This directly supports the claim that the cleanup brought the salmon back.",
        True,
    ),
    (
        "The new bypass cut commuting times in Harlow.",
        "The article gives no figures for journey times, so the claim rests on the writer's "
        "word alone.",
        False,
    ),
    (
        "The school's reading programme raised test scores.",
        "The sentence only tells the story of one pupil, which cannot show that scores rose "
        "across the school.",
        False,
    ),
    (
        "The river cleanup brought salmon back to the Wend.",
        "The article does not say who counted the salmon or when, so there is no evidence for "
        "the claim.",
        False,
    ),
    (
        "Remote work made the firm's staff more productive.",
        "Calling office workers 'lazy clock-watchers' is name-calling, not evidence that remote "
        "work raised productivity.",
        False,
    ),
    (
        "The new stadium will pay for itself within ten years.",
        "This is a prediction stated as certain: the article offers no forecast or plan behind it.",
        False,
    ),
    (
        "The vaccine cut hospital admissions among the elderly.",
        "The article leaves out the doctors who found no change in admissions at all.",
        False,
    ),
    (
        "Local shops gained from the pedestrian zone.",
        "A figure of 40 new customers means little without saying how many came before the zone "
        "opened.",
        False,
    ),
    (
        "The factory closure cost the town its main employer.",
        "The article asserts that the closure caused the town's decline without showing any "
        "link between the two.",
        False,
    ),
    (
        "The tram extension doubled weekend visitors to the old town.",
        "The passage does not actually claim that the tram doubled visitors; it only says the "
        "tram opened in May.",
        False,
    ),
    (
        "The new bypass cut commuting times in Harlow.",
        "The article does not provide any information about how the bypass changed commuting "
        "times.",
        False,
    ),
]
# Each role's usual move: the turn as the check sees it in a debate.
ROLE_MOVES = {"advocate": "direct_evidence", "skeptic": "no_source"}


def as_turn(claim: Claim, role: str, sentence: str) -> Turn:
    return Turn(
        id=f"{claim.id}-r1-{role}",
        claim_id=claim.id,
        round=1,
        role=role,
        content=sentence,
        move=ROLE_MOVES[role],
    )


async def measure(article: str, judge) -> list[dict]:
    rows = []
    for text, sentence, argues_for in CASES:
        claim = Claim(id="c1", text=text, passage=text)
        state = {"article": article, "claim": claim}
        # As a debate does at the claim's first round: the content-free sentence's answer.
        state["side_baseline"], _ = await side_probability(judge, state, CONTENT_FREE, {})
        p = {}
        for role in ROLE_MOVES:
            p[role], _ = await check_side(judge, state, as_turn(claim, role, sentence), {})
        rows.append({"claim": text, "sentence": sentence, "argues_for": argues_for, "p": p})
    return rows


def report(rows: list[dict]) -> list[str]:
    y = [r["argues_for"] for r in rows]
    lines = [f"{len(rows)} sentences ({sum(y)} argue for, {len(y) - sum(y)} against)"]
    for role in ROLE_MOVES:
        p = [r["p"][role] for r in rows]
        right = sum((q >= 0.5) == want for q, want in zip(p, y, strict=True))
        on_for = [q for q, want in zip(p, y, strict=True) if want]
        on_against = [q for q, want in zip(p, y, strict=True) if not want]
        lines.append(
            f"shown as {role}: AUC {roc_auc_score(y, p):.2f}; right side of 0.5: {right} of "
            f"{len(rows)}; mean P for 'for' {sum(on_for) / len(on_for):.2f}, "
            f"for 'against' {sum(on_against) / len(on_against):.2f}"
        )
    shift = [r["p"]["advocate"] - r["p"]["skeptic"] for r in rows]
    lines.append(
        f"P(as advocate) - P(as skeptic): mean {sum(shift) / len(shift):+.2f}, "
        f"largest {max(shift, key=abs):+.2f}"
    )
    for r in rows:
        lines.append(
            f"  {'for' if r['argues_for'] else 'against':>7} adv {r['p']['advocate']:.2f} "
            f"skp {r['p']['skeptic']:.2f} | {r['sentence'][:70]}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", type=Path, help="the article every call carries")
    parser.add_argument("--json", type=Path, help="write the probabilities here")
    args = parser.parse_args()
    article = load_article(str(args.article)).text
    with open_models(select_backend(load_settings({}))) as models:
        rows = asyncio.run(measure(article, models.claim_judge))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print("\n".join(report(rows)))


if __name__ == "__main__":
    main()
