"""Do the debaters' moves follow their sentence?

python evals/move_choice.py ARTICLE [--cases first|fresh] [--claims N] [--sentences K] [--json OUT]

A move is read from one yes/no question per move about the turn's sentence, after worked
examples (core/moves.py MOVE_QUESTIONS), against the same question asked of a content-free
sentence (as debate/agents/debater.py does). With --cases, each made-up sentence of a set whose
move is plain (first: the 18 of MOVE_CASES; fresh: the 19 of FRESH_CASES, written after the
first set had been used; none from the development data or a question's worked examples) is
asked every question of its role: prints how many moves come out right as asked (the likeliest
answer) and against the content-free answers (as shipped), and each question's AUC over the
role's cases. Without it, the article's claims are extracted as a run does and the first K
candidate sentences of each claim are asked, with a few surface marks a move should follow
(a figure, "will", a quotation) printed beside each. ARTICLE is the context every call
carries. Calls the model the settings select (the embedded one by default), one at a time.

The menu-letter picks this replaced (2/18 right as shipped, 3/18 with worked examples, one
label for nearly every sentence with or without a content-free prior divided out) were
measured with `git show 366e6c3:evals/move_choice.py` and the package of 1ba9b96
(docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from sklearn.metrics import roc_auc_score

from debate_eval.core.evidence import candidate_sentences
from debate_eval.core.moves import CONTENT_FREE, MOVES, chosen_move, role_questions
from debate_eval.debate.agents.debater import move_probabilities
from debate_eval.debate.agents.extractor import extract_claims
from debate_eval.debate.state import DebateContext
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

ROLES = tuple(MOVES)
# Sentences whose move is plain, on made-up topics (none from the development data, none from
# a question's worked examples): (role, sentence, the move it makes).
MOVE_CASES = [
    ("skeptic", "Visitor numbers hit 3,400 last weekend.", "figure_without_context"),
    ("skeptic", "Wages rose by 2.1% the following year.", "figure_without_context"),
    (
        "skeptic",
        "This disgraceful, cowardly board betrayed the fans for years.",
        "loaded_wording",
    ),
    ("skeptic", "These greedy parasites would evict their own mothers.", "loaded_wording"),
    (
        "skeptic",
        "By 2030 every northern town will have doubled its jobs.",
        "prediction_as_certain",
    ),
    (
        "skeptic",
        "Within three years nobody will use a bank branch again.",
        "prediction_as_certain",
    ),
    (
        "skeptic",
        "Grades went up the year the meals started, so the meals did it.",
        "cause_without_evidence",
    ),
    (
        "skeptic",
        "Deaths dropped once the cameras went up, which shows they work.",
        "cause_without_evidence",
    ),
    ("skeptic", "My neighbour's electric car broke down twice in one winter.", "one_case"),
    (
        "skeptic",
        "One homeschooled girl from our street won the national spelling bee.",
        "one_case",
    ),
    ("skeptic", "Industry insiders all agree prices are set to fall.", "no_source"),
    ("skeptic", "It is widely known that the river is clean again.", "no_source"),
    (
        "advocate",
        "The health department's annual report shows median waits fell from 18 to 11 weeks.",
        "direct_evidence",
    ),
    (
        "advocate",
        "Ministry of Agriculture data show wheat output fell 22% in 2022.",
        "direct_evidence",
    ),
    (
        "advocate",
        "'Nobody was hurt and no arrests were made,' said police chief Omar Haddad.",
        "quoted_expert",
    ),
    (
        "advocate",
        "'Tumours shrank in most patients,' said Professor Anne Berg, who ran the study.",
        "quoted_expert",
    ),
    (
        "advocate",
        "Because less heat escapes through the walls, the boiler runs for fewer hours.",
        "mechanism",
    ),
    (
        "advocate",
        "When cyclists leave the road lanes, cars queue less at each junction.",
        "mechanism",
    ),
]


# Written after MOVE_CASES had been used to word the questions (so they have been seen): a second,
# fresh set on other made-up topics, where the sentences of the other moves name their source,
# so that "no named source" has to be told from them, and two vague attributions and a bare
# assertion make that move.
FRESH_CASES = [
    ("skeptic", "Scientists say the new diet melts fat overnight.", "no_source"),
    ("skeptic", "Many observers believe the port deal was rigged.", "no_source"),
    ("skeptic", "The new tram line has been a huge success with riders.", "no_source"),
    (
        "skeptic",
        "The transport ministry says 5,200 people rode the tram on Sunday.",
        "figure_without_context",
    ),
    (
        "skeptic",
        "Police recorded 312 burglaries in the district, their annual report shows.",
        "figure_without_context",
    ),
    (
        "skeptic",
        "Union leader Sam Bell said the spineless managers had wrecked the harbour.",
        "loaded_wording",
    ),
    ("skeptic", "The audit exposes a rotten, lazy cartel of suppliers.", "loaded_wording"),
    ("skeptic", "This reform will end hospital queues for good.", "prediction_as_certain"),
    (
        "skeptic",
        "The finance ministry's plan will wipe out the deficit by 2027.",
        "prediction_as_certain",
    ),
    (
        "skeptic",
        "Crime rose after the new mayor took office, so her policies caused it.",
        "cause_without_evidence",
    ),
    (
        "skeptic",
        "Traffic deaths fell the year the signs turned yellow, proving the colour saved lives.",
        "cause_without_evidence",
    ),
    (
        "skeptic",
        "One vegan runner won the city marathon, so plant diets make athletes faster.",
        "one_case",
    ),
    (
        "skeptic",
        "A teacher I met quit over paperwork, which proves the profession is collapsing.",
        "one_case",
    ),
    ("advocate", "The 2021 census recorded 48,000 residents in the valley.", "direct_evidence"),
    (
        "advocate",
        "The signed contract, published by the council, sets the fee at 2 million euros.",
        "direct_evidence",
    ),
    ("advocate", "'The dam is holding,' said hydrologist Lena Varga on Tuesday.", "quoted_expert"),
    (
        "advocate",
        "Fire chief Paul Okafor told reporters the blaze started in the kitchen.",
        "quoted_expert",
    ),
    (
        "advocate",
        "Because the new lamps draw less power, the street's electricity bill falls.",
        "mechanism",
    ),
    (
        "advocate",
        "Salt lowers the freezing point of water, so salted roads stay free of ice.",
        "mechanism",
    ),
]
CASE_SETS = {"first": MOVE_CASES, "fresh": FRESH_CASES}


def marks(sentence: str) -> str:
    """Surface marks of a sentence that some moves name (for reading the picks, not scoring)."""
    found = []
    if re.search(r"\d", sentence):
        found.append("figure")
    if re.search(r"\bwill\b|\bgoing to\b", sentence, re.I):
        found.append("will")
    if re.search(r"[\"“”]|\bsaid\b|\bsays\b|\baccording to\b", sentence, re.I):
        found.append("quote")
    if re.search(r"\bbecause\b|\bso that\b|\bwhich means\b", sentence, re.I):
        found.append("how")
    return ",".join(found) or "-"


def likeliest(p: dict[str, float]) -> str:
    return max(p, key=p.__getitem__)


async def baselines(article: str, models) -> dict[str, dict[str, float]]:
    return {
        role: (await move_probabilities(models.for_role(role), article, role, CONTENT_FREE, {}))[0]
        for role in ROLES
    }


async def measure_cases(article: str, models, cases: list) -> dict:
    rows = []
    for role, sentence, expected in cases:
        p, _ = await move_probabilities(models.for_role(role), article, role, sentence, {})
        rows.append({"role": role, "sentence": sentence, "expected": expected, "p": p})
    return {"baselines": await baselines(article, models), "cases": rows}


async def measure_article(article: str, models, n_claims: int, k: int) -> dict:
    runtime = SimpleNamespace(context=DebateContext(models=models))
    claims = (await extract_claims({"article": article, "max_claims": n_claims}, runtime))["claims"]
    rows = []
    for role in ROLES:
        for claim in claims:
            for sentence in candidate_sentences(article, f"{claim.text} {claim.passage}")[:k]:
                p, _ = await move_probabilities(models.for_role(role), article, role, sentence, {})
                rows.append({"role": role, "claim": claim.id, "sentence": sentence, "p": p})
    return {
        "claims": [c.text for c in claims],
        "baselines": await baselines(article, models),
        "sentences": rows,
    }


def report_cases(out: dict) -> list[str]:
    rows = out["cases"]
    lines = [f"{len(rows)} sentences whose move is plain"]
    for role in ROLES:
        mine = [r for r in rows if r["role"] == role]
        base = out["baselines"][role]
        asked = sum(likeliest(r["p"]) == r["expected"] for r in mine)
        shipped = sum(chosen_move(r["p"], base) == r["expected"] for r in mine)
        chance = len(mine) / len(role_questions(role))
        lines.append(
            f"{role}: right as asked {asked} of {len(mine)}; against the content-free answers "
            f"(shipped) {shipped} of {len(mine)}; by chance {chance:.0f}"
        )
        for kind in role_questions(role):
            y = [r["expected"] == kind for r in mine]
            p = [r["p"][kind] for r in mine]
            lines.append(
                f"  {kind:>24}: AUC {roc_auc_score(y, p):.2f}; content-free {base[kind]:.2f}"
            )
        for r in mine:
            lines.append(f"  {r['expected']:>24} -> {chosen_move(r['p'], base)}")
    return lines


def report_article(out: dict) -> list[str]:
    lines = [f"claims: {out['claims']}"]
    for role in ROLES:
        mine = [r for r in out["sentences"] if r["role"] == role]
        base = out["baselines"][role]
        chosen = Counter(chosen_move(r["p"], base) for r in mine)
        lines.append(f"{role}: moves {dict(chosen.most_common())}")
        for r in mine:
            lines.append(
                f"  {r['claim']} [{marks(r['sentence']):>12}] {chosen_move(r['p'], base):>24}"
                f" | {r['sentence'][:70]}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", type=Path, help="the article every call carries")
    parser.add_argument(
        "--cases", choices=sorted(CASE_SETS), help="score a set of made-up sentences instead"
    )
    parser.add_argument("--claims", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=4)
    parser.add_argument("--json", type=Path, help="write the probabilities here")
    args = parser.parse_args()
    article = load_article(str(args.article)).text
    with open_models(select_backend(load_settings({}))) as models:
        if args.cases:
            out = asyncio.run(measure_cases(article, models, CASE_SETS[args.cases]))
        else:
            out = asyncio.run(measure_article(article, models, args.claims, args.sentences))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    print("\n".join(report_cases(out) if args.cases else report_article(out)))


if __name__ == "__main__":
    main()
