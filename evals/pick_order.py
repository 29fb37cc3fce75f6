"""Do the debaters pick their evidence sentence by content or by its letter?

python evals/pick_order.py DATASET STORE [--limit N]

For each article of DATASET with a finished debate in STORE (an eval run's results.sqlite),
each of its claims is offered to the advocate's and the skeptic's evidence pick twice: with
the candidate sentences in article order (as a debate offers them) and in reverse order. A
pick that follows content chooses the same sentence both times; one that follows the letter
chooses the same position. Prints where the picks fall (A = first offered), how often both
orders choose the same sentence, what choosing by chance would give, and how often a debate's
pick (both orders' probabilities averaged, debate/evidence.py) is the first order's. Calls the
model the settings select (the embedded one by default), one pick at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path

from debate_eval.core.evidence import LETTERS, candidate_sentences
from debate_eval.core.schemas import Claim
from debate_eval.debate.evidence import both_orders, letter_probabilities, most_probable
from debate_eval.debate.transcript import format_claim
from debate_eval.evaluation.datasets import load_dataset
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

ROLES = ("advocate", "skeptic")


def stored_claims(store: Path) -> dict[str, list[Claim]]:
    """Each article's claims, from the first finished debate stored for it."""
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT article_id, transcript FROM debates WHERE transcript IS NOT NULL"
        ).fetchall()
    claims: dict[str, list[Claim]] = {}
    for article_id, transcript in rows:
        found = json.loads(transcript)["claims"]
        claims.setdefault(article_id, [Claim.model_validate(c) for c in found])
    return claims


async def picks(model, article: str, claim: Claim, role: str) -> tuple[int, int, int, int] | None:
    """(sentences offered, the one picked when offered in article order, the one picked when
    offered reversed, the one both orders' probabilities pick), as positions in article order;
    None with nothing to choose between."""
    offered = candidate_sentences(article, f"{claim.text} {claim.passage}")
    if len(offered) < 2:
        return None
    forward, backward = [
        (
            await letter_probabilities(
                model,
                article,
                f"{role}_evidence",
                order,
                role=role,
                claim_id=claim.id,
                claim=format_claim(claim),
            )
        )[0]
        for order in (offered, offered[::-1])
    ]
    in_article_order = backward[::-1]
    averaged = both_orders(forward, backward)
    return (
        len(offered),
        most_probable(forward),
        most_probable(in_article_order),
        most_probable(averaged),
    )


async def measure(examples, claims, models) -> list[tuple[int, int, int, int]]:
    found = []
    for example in examples:
        for claim in claims[example.id]:
            for role in ROLES:
                result = await picks(models.for_role(role), example.text, claim, role)
                if result is not None:
                    found.append(result)
    return found


def report(found: list[tuple[int, int, int, int]]) -> str:
    n = len(found)
    forward = Counter(LETTERS[a] for _, a, _, _ in found)
    # In the reversed offer, the letter shown for article position b is k - 1 - b.
    backward = Counter(LETTERS[k - 1 - b] for k, _, b, _ in found)
    same_sentence = sum(a == b for _, a, b, _ in found)
    chance = sum(1 / k for k, _, _, _ in found)
    kept = sum(a == c for _, a, _, c in found)
    lines = [
        f"{n} picks (claims × roles), each offered in article order and reversed",
        "letter chosen, article order: "
        + ", ".join(f"{x} {forward[x]}" for x in LETTERS if forward[x]),
        "letter chosen, reversed:      "
        + ", ".join(f"{x} {backward[x]}" for x in LETTERS if backward[x]),
        f"same sentence both times: {same_sentence} of {n} ({same_sentence / n:.0%}); "
        f"by chance {chance:.1f} ({chance / n:.0%})",
        f"both orders averaged pick the article-order pick: {kept} of {n} ({kept / n:.0%})",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="labelled articles (as for eval)")
    parser.add_argument("store", type=Path, help="an eval run's results.sqlite")
    parser.add_argument("--limit", type=int, help="only the first N articles with a debate")
    args = parser.parse_args()
    claims = stored_claims(args.store)
    examples, _ = load_dataset(args.dataset)
    examples = [e for e in examples if e.id in claims][: args.limit]
    if not examples:
        raise SystemExit(f"no article of {args.dataset} has a finished debate in {args.store}")
    backend = select_backend(load_settings({}))
    with open_models(backend) as models:
        found = asyncio.run(measure(examples, claims, models))
    print(f"{len(examples)} articles; " + report(found))


if __name__ == "__main__":
    main()
