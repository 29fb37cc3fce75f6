"""Ways to combine the checklist probes, each cross-validated over many fold assignments.

python evals/probe_combinations.py runs/dev40-x/results.jsonl [--probes a,b,...] [--repeats 50]

Reads the checklist judge's stored probe probabilities (no model call). For each combination:
5-fold stratified cross-validation repeated over `--repeats` fold assignments (everything,
standardising and probe filtering included, fitted on the training folds only), the held-out
balanced accuracy at P = 0.5 (mean, sd, lowest, highest) and AUC. `mean` is what the shipped
checklist calibration does (one class-balanced logistic weight on the unweighted mean).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from debate_eval.debate.scoring.calibration import (
    FOLDS,
    THRESHOLD,
    FitPredict,
    held_out_probabilities,
    logistic_probabilities,
)
from debate_eval.debate.scoring.checklist import SCORED_PROBES


def checklist_rows(results: Path) -> list[dict]:
    """The checklist judge's stored rows (first repeat, with features) of a results.jsonl."""
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["judge"] == "checklist" and r["repeat"] == 0 and r["features"]]


def held_out_runs(x: np.ndarray, y: np.ndarray, fit: FitPredict, repeats: int) -> list[np.ndarray]:
    """Held-out P(strongly imbalanced) for each of `repeats` fold assignments (seeds 0…)."""
    return [held_out_probabilities(x, y, FOLDS, seed, fit) for seed in range(repeats)]


def mean_of(train: np.ndarray, y: np.ndarray, test: np.ndarray, *, z=False, min_auc=None):
    if z:
        mean, scale = train.mean(axis=0), train.std(axis=0)
        train, test = (train - mean) / scale, (test - mean) / scale
    if min_auc is not None:
        keep = [j for j in range(train.shape[1]) if roc_auc_score(y, train[:, j]) > min_auc]
        keep = keep or list(range(train.shape[1]))
        train, test = train[:, keep], test[:, keep]
    return logistic_probabilities(
        train.mean(axis=1, keepdims=True), y, test.mean(axis=1, keepdims=True)
    )


COMBINATIONS: dict[str, FitPredict] = {
    "mean": mean_of,
    "mean of standardised probes": lambda a, y, b: mean_of(a, y, b, z=True),
    "mean of probes with training AUC > 0.6": lambda a, y, b: mean_of(a, y, b, min_auc=0.6),
    "logistic weight per probe, C 1": lambda a, y, b: logistic_probabilities(a, y, b, 1.0),
    "logistic weight per probe, C 0.1": lambda a, y, b: logistic_probabilities(a, y, b, 0.1),
    "logistic weight per probe, C 0.01": lambda a, y, b: logistic_probabilities(a, y, b, 0.01),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="an eval run's results.jsonl")
    parser.add_argument("--probes", help="comma-separated probe ids (default: the scored ones)")
    parser.add_argument("--repeats", type=int, default=50, help="fold assignments (seeds 0…)")
    args = parser.parse_args()
    rows = checklist_rows(args.results)
    names = args.probes.split(",") if args.probes else [p.id for p in SCORED_PROBES]
    # Stored features are already the probabilities that each weakness applies.
    x = np.array([[r["features"][n] for n in names] for r in rows])
    y = np.array([r["gold_class"] == "strongly imbalanced" for r in rows])
    print(f"{len(y)} articles ({int(y.sum())} strongly imbalanced), {len(names)} probes")
    for j, name in enumerate(names):
        print(f"  {name}: AUC {roc_auc_score(y, x[:, j]):.3f}")
    print(f"  their mean: AUC {roc_auc_score(y, x.mean(axis=1)):.3f}")
    for label, fit in COMBINATIONS.items():
        runs = held_out_runs(x, y, fit, args.repeats)
        accuracy = [balanced_accuracy_score(y, p >= THRESHOLD) for p in runs]
        auc = np.mean([roc_auc_score(y, p) for p in runs])
        print(
            f"{label}: balanced accuracy {np.mean(accuracy):.3f} (sd {np.std(accuracy):.3f}, "
            f"{min(accuracy):.3f}–{max(accuracy):.3f}; seed 0 {accuracy[0]:.3f}), AUC {auc:.3f}"
        )


if __name__ == "__main__":
    main()
