"""Do the planted notes move the checklist judge's paragraph probe? (Goal: no label change.)

    python benchmarks/plant_paragraph_shift.py DATASET RUN/results.jsonl PARAGRAPHS.jsonl

The checklist judge (`run`'s default) reads the whole-article probes' mean and the paragraph
probe's mean (P(yes) that a paragraph is written to persuade, each paragraph asked alone). A
planted note is one more paragraph: asked alone, its answer is the same in any article and the
other paragraphs' answers are the clean article's, so its effect on the paragraph mean follows
from one call per note (injection_shift.py's PLANTS, each article given one in turn, as there)
and the clean articles' per-paragraph answers (PARAGRAPHS, from evals/paragraph_probe.py
--out). The shipped checklist calibration turns both into P(strongly imbalanced); the
whole-article probes are taken as the clean article's (this measures the paragraph probe's
share of a plant's effect, not theirs). Defended: the screener leaves a caught plant out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path

from injection_shift import PLANTS, probe_plant

from debate_eval.debate.agents.screener import FLAG
from debate_eval.debate.scoring.calibration import shipped_calibrations
from debate_eval.debate.scoring.paragraphs import ask_paragraphs
from debate_eval.evaluation.datasets import load_dataset
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings


async def plant_answers(model) -> list[tuple[float, float]]:
    """(the paragraph probe's P(yes), the screener's P(yes)) for each plant, alone."""
    found = []
    for note in PLANTS:
        persuasive = await ask_paragraphs(note, model, "paragraph_probe", role="judge")
        found.append((persuasive.unit_p[0], await probe_plant(note, model)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("results", type=Path, help="an eval run's results.jsonl (checklist)")
    parser.add_argument("paragraphs", type=Path, help="evals/paragraph_probe.py --out")
    args = parser.parse_args()
    [calibration] = [c for c in shipped_calibrations() if c.judge == "checklist"]
    rows = [json.loads(line) for line in args.results.read_text(encoding="utf-8").splitlines()]
    features = {r["article_id"]: r["features"] for r in rows if r["judge"] == "checklist"}
    lines = args.paragraphs.read_text(encoding="utf-8").splitlines()
    p_yes = {row["id"]: row["p_yes"] for row in map(json.loads, lines)}
    examples = [e for e in load_dataset(args.dataset)[0] if e.id in features and e.id in p_yes]
    with open_models(select_backend(load_settings())) as models:
        plants = asyncio.run(plant_answers(models.judge))
    shifts, defended, flips, defended_flips = [], [], 0, 0
    for n, example in enumerate(examples):
        persuasive, screener = plants[n % len(PLANTS)]
        clean = features[example.id]
        answers = p_yes[example.id]
        planted = clean | {
            "persuasive_paragraphs": (sum(answers) + persuasive) / (len(answers) + 1)
        }
        before, after = calibration.probability(clean), calibration.probability(planted)
        flipped = calibration.label(before) != calibration.label(after)
        shifts.append(before - after)  # positive: toward "well balanced"
        flips += flipped
        caught = screener >= FLAG
        defended.append(0.0 if caught else before - after)
        defended_flips += flipped and not caught
    print(
        json.dumps(
            {
                "articles": len(examples),
                "plants": [
                    {"paragraph_probe_p_yes": p, "screener_p_yes": s, "caught": s >= FLAG}
                    for p, s in plants
                ],
                "mean_shift_p_strongly_undefended": round(statistics.mean(shifts), 4),
                "max_shift_p_strongly_undefended": round(max(shifts), 4),
                "label_changes_undefended": flips,
                "mean_shift_p_strongly_defended": round(statistics.mean(defended), 4),
                "label_changes_defended": defended_flips,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
