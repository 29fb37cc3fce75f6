"""How well single features of a judge separate the classes, with bootstrap intervals.

python evals/feature_auc.py runs/dev40-x/results.jsonl --judge debate \
    --features verdict_share,checklist [--articles-of OTHER/results.jsonl]

For each feature: its AUC against the gold class (the eval's positive class, e.g. "strongly
imbalanced"), a bootstrap 95% CI over articles, and for the first two features the paired
difference of their AUCs (same resamples) and their Pearson correlation. Unfitted features
only: nothing here is fitted on the labels. `--articles-of` keeps only the articles another run
scored with the same judge (to compare two runs on the same articles). `--skip-first N` leaves
out the first N articles in the file's order (the dataset's): a hypothesis formed on those is
tested on the rest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

RESAMPLES = 2000


def judge_rows(path: Path, judge: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["judge"] == judge]


def is_scored(row: dict) -> bool:
    """A first-repeat row with features (an unscored article has none)."""
    return row["repeat"] == 0 and bool(row.get("features"))


def scored_rows(path: Path, judge: str) -> list[dict]:
    return [r for r in judge_rows(path, judge) if is_scored(r)]


def load(
    path: Path,
    judge: str,
    names: list[str],
    positive: str,
    only: set[str] | None = None,
    skip_first: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    # The first N in the file's order, scored or not, so an unscored early article does not
    # move the cut into the articles to be tested.
    every = judge_rows(path, judge)
    skipped = set(list(dict.fromkeys(r["article_id"] for r in every))[:skip_first])
    rows = [r for r in every if is_scored(r)]
    rows = [r for r in rows if only is None or r["article_id"] in only]
    rows = [r for r in rows if r["article_id"] not in skipped]
    if not rows:
        raise SystemExit(f"no scored rows of judge {judge!r} in {path}")
    y = np.array([r["gold_class"] == positive for r in rows])
    x = np.array([[r["features"].get(n, np.nan) for n in names] for r in rows], dtype=float)
    if np.isnan(x).any():
        missing = [n for i, n in enumerate(names) if np.isnan(x[:, i]).any()]
        raise SystemExit(f"features missing from some rows: {', '.join(missing)}")
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="an eval run's results.jsonl")
    parser.add_argument("--judge", required=True)
    parser.add_argument("--features", required=True, help="comma-separated feature names")
    parser.add_argument("--positive", default="strongly imbalanced", help="the positive class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--articles-of", type=Path, help="only the articles this results.jsonl scored"
    )
    parser.add_argument(
        "--skip-first", type=int, default=0, help="leave out the first N articles of the file"
    )
    args = parser.parse_args()
    names = args.features.split(",")
    only = None
    if args.articles_of:
        only = {r["article_id"] for r in scored_rows(args.articles_of, args.judge)}
    x, y = load(args.results, args.judge, names, args.positive, only, args.skip_first)
    rng = np.random.default_rng(args.seed)
    samples = []
    while len(samples) < RESAMPLES:
        idx = rng.integers(0, len(y), len(y))
        if y[idx].all() or not y[idx].any():
            continue  # a resample with one class has no AUC
        samples.append([roc_auc_score(y[idx], x[idx, i]) for i in range(len(names))])
    boot = np.array(samples)
    print(f"{len(y)} articles, {int(y.sum())} positive; {RESAMPLES} bootstrap resamples")
    for i, name in enumerate(names):
        low, high = np.percentile(boot[:, i], [2.5, 97.5])
        print(f"{name}: AUC {roc_auc_score(y, x[:, i]):.3f} (95% CI {low:.2f}–{high:.2f})")
    if len(names) >= 2:
        diff = boot[:, 0] - boot[:, 1]
        low, high = np.percentile(diff, [2.5, 97.5])
        point = roc_auc_score(y, x[:, 0]) - roc_auc_score(y, x[:, 1])
        r = np.corrcoef(x[:, 0], x[:, 1])[0, 1]
        print(
            f"{names[0]} − {names[1]}: {point:+.3f} (95% CI {low:+.2f} to {high:+.2f}); "
            f"correlation {r:.2f}"
        )


if __name__ == "__main__":
    main()
