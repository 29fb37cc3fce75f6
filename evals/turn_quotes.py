"""How the debate turns an eval stored quote the article, and what the debates cost.

python evals/turn_quotes.py runs/dev10-ev/results.sqlite [--articles a1,a2,...]

For the stored debates of each debate key (settings: prompts, models, length; no model call):
turns with an evidence sentence (picked by letter, verified by construction), turns whose own
prose quotes the article verbatim, quotes nothing, or only quotes the article does not have;
claims, and those the extractor reported as the article's ("The article argues that …", as
stored); advocate turns arguing from a sentence that restates their claim
(core/evidence.restating_sentences), turns marked off side, turns left as their move and
sentence (core/moves.is_fixed_turn), turns that copy any earlier turn of their claim's
debate (core/novelty.echoed_turn; the debate itself checks only the turns a turn was
shown); the debates' mean latency. `--articles` restricts the count to those article ids
(e.g. the ones another store holds, to compare like with like).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter
from pathlib import Path

from debate_eval.core.evidence import restating_sentences
from debate_eval.core.moves import is_fixed_turn
from debate_eval.core.novelty import echoed_turn
from debate_eval.core.schemas import Claim, Turn
from debate_eval.debate.agents.extractor import claim_itself

REPORTED = "claims reported as the article's"


RESTATING = "advocate turns arguing from a restatement of their claim"
CHECKS = (
    RESTATING,
    "turns marked off side",
    "turns left as move and sentence",
    "turns copying an earlier turn",
)


def turn_checks(transcript: dict) -> Counter:
    counts: Counter = Counter()
    claims = {c["id"]: Claim.model_validate(c) for c in transcript["claims"]}
    earlier: dict[str, list[Turn]] = {}
    for turn in (Turn.model_validate(t) for t in transcript["debate"]):
        if turn.role == "judge":
            continue
        claim = claims[turn.claim_id]
        counts["advocate turns"] += turn.role == "advocate"
        if turn.role == "advocate" and turn.evidence:
            counts[RESTATING] += bool(restating_sentences(turn.evidence.text, claim.text))
        counts["turns marked off side"] += turn.off_side
        counts["turns left as move and sentence"] += is_fixed_turn(turn)
        shown = earlier.setdefault(turn.claim_id, [])
        counts["turns copying an earlier turn"] += (
            echoed_turn(turn.content, shown, claim) is not None
        )
        shown.append(turn)
    return counts


def turn_kinds(transcript: dict) -> Counter:
    counts: Counter = turn_checks(transcript)
    for turn in transcript["debate"]:
        if turn["role"] == "judge":
            continue
        counts["turns"] += 1
        counts["with evidence"] += bool(turn.get("evidence"))
        quotes = turn.get("quotes", [])
        if any(q["verified"] for q in quotes):
            counts["prose quotes the article"] += 1
        elif quotes:
            counts["prose quotes only words the article lacks"] += 1
        else:
            counts["prose quotes nothing"] += 1
    for claim in transcript["claims"]:
        counts["claims"] += 1
        counts[REPORTED] += claim_itself(claim["text"]) != claim["text"]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="an eval run's results.sqlite")
    parser.add_argument("--articles", help="comma-separated article ids to count (default: all)")
    args = parser.parse_args()
    wanted = set(args.articles.split(",")) if args.articles else None
    with sqlite3.connect(args.store) as conn:
        rows = conn.execute(
            "SELECT settings_key, article_id, transcript, latency_s FROM debates"
            " WHERE transcript IS NOT NULL"
        ).fetchall()
    rows = [r for r in rows if wanted is None or r[1] in wanted]
    if not rows:
        raise SystemExit(f"no finished debates in {args.store}")
    for key in dict.fromkeys(r[0] for r in rows):
        report([r[1:] for r in rows if r[0] == key], key)


def report(rows: list[tuple], key: str) -> None:
    counts: Counter = Counter()
    for _, transcript, _ in rows:
        counts += turn_kinds(json.loads(transcript))
    latency = sum(r[2] for r in rows) / len(rows)
    print(
        f"debate key {key}: {len(rows)} debates, {counts['turns']} turns, "
        f"{latency:.0f} s per debate (mean)"
    )
    for kind in (
        "with evidence",
        "prose quotes the article",
        "prose quotes only words the article lacks",
        "prose quotes nothing",
    ):
        print(f"  {kind}: {counts[kind]} of {counts['turns']}")
    print(f"  {REPORTED}: {counts[REPORTED]} of {counts['claims']}")
    print(f"  {RESTATING}: {counts[RESTATING]} of {counts['advocate turns']}")
    for kind in CHECKS[1:]:
        print(f"  {kind}: {counts[kind]} of {counts['turns']}")
    print("  articles: " + ",".join(sorted({r[0] for r in rows})))


if __name__ == "__main__":
    main()
