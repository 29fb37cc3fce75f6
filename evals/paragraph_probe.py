"""A checklist question asked of each paragraph alone, with worked examples: does it add signal?

python evals/paragraph_probe.py DATASET RUN/results.jsonl [--limit N] [--out FILE]

The screener's design (one yes/no question per paragraph, instructions and worked examples
first, the same for every paragraph; agents/screener.py) asked the persuasion question the
checklist asks of the whole article: is this paragraph written to persuade rather than to
inform? For each article of DATASET: P(yes) per paragraph (or line, as the screener splits),
their mean as `persuasive_paragraphs`. Then, against the checklist probes RUN stored (no model
call for those), cross-validated over 50 fold assignments with evals/probe_combinations.py's
helpers: the feature alone, the nine probes' mean, the ten items' mean (the nine and this),
and a logistic weight on each of the nine's mean and this (the checklist judge's fit since).
Calls the model the settings select (the embedded one by default), one paragraph at a time.
`--out` keeps the per-paragraph probabilities (JSON lines), and with it the measurement resumes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import numpy as np
from probe_combinations import checklist_rows, held_out_runs, mean_of
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from debate_eval.debate.scoring.calibration import THRESHOLD, logistic_probabilities
from debate_eval.debate.scoring.checklist import SCORED_PROBES
from debate_eval.debate.scoring.paragraphs import ask_paragraphs
from debate_eval.evaluation.datasets import load_dataset
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

# The prompt file: instructions and worked examples, written before any result (the examples
# are made up, on topics of no development article); shipped since as the checklist's
# paragraph probe.
PROMPT = "paragraph_probe"


async def paragraph_probabilities(model, text: str) -> list[float]:
    """P(yes) for each paragraph of `text` long enough to probe, in article order."""
    found = await ask_paragraphs(text, model, PROMPT, role="judge")
    return [found.unit_p[i] for i in sorted(found.unit_p)]


async def measure_all(examples, done: dict[str, list[float]], out: Path | None) -> None:
    backend = select_backend(load_settings({}))
    with open_models(backend) as models:
        model = models.for_role("judge")
        for example in examples:
            done[example.id] = await paragraph_probabilities(model, example.text)
            if out:
                with out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"id": example.id, "p_yes": done[example.id]}) + "\n")
            print(f"{example.id}: {len(done[example.id])} paragraphs", flush=True)


def measure(examples, out: Path | None) -> dict[str, list[float]]:
    done: dict[str, list[float]] = {}
    if out and out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["id"]] = row["p_yes"]
    todo = [e for e in examples if e.id not in done]
    if todo:
        asyncio.run(measure_all(todo, done, out))
    return done


def cross_validated(x: np.ndarray, y: np.ndarray, fit=mean_of, repeats: int = 50) -> str:
    """Held-out balanced accuracy over `repeats` fold assignments, as `calibrate` fits."""
    accuracy = [
        balanced_accuracy_score(y, p >= THRESHOLD) for p in held_out_runs(x, y, fit, repeats)
    ]
    return (
        f"raw AUC {roc_auc_score(y, x.mean(axis=1)):.3f}; CV balanced accuracy over {repeats} "
        f"fold assignments {np.mean(accuracy):.3f} (sd {np.std(accuracy):.3f}, "
        f"{min(accuracy):.3f}–{max(accuracy):.3f}; seed 0 {accuracy[0]:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="labelled articles (as for eval)")
    parser.add_argument("results", type=Path, help="an eval run's results.jsonl (checklist)")
    parser.add_argument("--limit", type=int, help="only the first N articles")
    parser.add_argument("--out", type=Path, help="JSON lines of per-paragraph P(yes) (resumes)")
    args = parser.parse_args()
    stored = {r["article_id"]: r for r in checklist_rows(args.results)}
    examples, _ = load_dataset(args.dataset)
    examples = [e for e in examples if e.id in stored][: args.limit]
    if not examples:
        raise SystemExit(f"no article of {args.dataset} has checklist probes in {args.results}")
    p_yes = measure(examples, args.out)
    names = [p.id for p in SCORED_PROBES]
    probes = np.array([[stored[e.id]["features"][n] for n in names] for e in examples])
    persuasive = np.array([[float(np.mean(p_yes[e.id])) if p_yes[e.id] else 0.5] for e in examples])
    y = np.array([stored[e.id]["gold_class"] == "strongly imbalanced" for e in examples])
    print(f"{len(y)} articles ({int(y.sum())} strongly imbalanced)")
    print(f"persuasive_paragraphs alone: {cross_validated(persuasive, y)}")
    maxima = np.array([max(p_yes[e.id], default=0.5) for e in examples])
    print(f"  (its maximum over paragraphs: raw AUC {roc_auc_score(y, maxima):.3f})")
    print(f"nine probes' mean (shipped before): {cross_validated(probes, y)}")
    ten = np.hstack([probes, persuasive])
    print(f"ten items' mean (nine + persuasive_paragraphs): {cross_validated(ten, y)}")
    both = np.hstack([probes.mean(axis=1, keepdims=True), persuasive])
    print(
        f"a logistic weight each on the nine's mean and this (shipped since): "
        f"{cross_validated(both, y, logistic_probabilities)}"
    )
    print(
        f"correlation of persuasive_paragraphs and the nine's mean: "
        f"{np.corrcoef(persuasive[:, 0], probes.mean(axis=1))[0, 1]:.2f}"
    )


if __name__ == "__main__":
    main()
