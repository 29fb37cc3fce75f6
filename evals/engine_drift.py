"""How far two eval stores' probability-scored judges differ on the articles both scored: the
same judges, model and prompts run on two engines (or two days). Reads the stores only.

    python evals/engine_drift.py runs/dev40/results.sqlite runs/dev40-x/results.sqlite

Prints, per judge, the mean and largest absolute difference of every feature, and how many
articles get another label from the shipped calibration (what `run` would print).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
from pathlib import Path

from debate_eval.debate.scoring.calibration import shipped_calibrations
from debate_eval.debate.scoring.checklist import with_checklist_mean


def judgments(path: Path) -> dict[tuple[str, str], dict]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT article_id, judge, row FROM judgments WHERE repeat = 0 "
        "AND speaking_order = 'advocate_first'"
    )
    return {(a, j): json.loads(r) for a, j, r in rows}


def drift(old: dict, new: dict) -> dict:
    shared = sorted(k for k in old.keys() & new.keys() if old[k].get("features"))
    calibrations = {c.judge: c for c in shipped_calibrations()}
    out: dict = {}
    for judge in sorted({j for _, j in shared}):
        keys = [k for k in shared if k[1] == judge]
        before = [with_checklist_mean(old[k]["features"]) for k in keys]
        after = [with_checklist_mean(new[k]["features"]) for k in keys]
        features = {}
        for name in before[0]:
            diffs = [abs(a[name] - b[name]) for a, b in zip(after, before, strict=True)]
            features[name] = {
                "mean_abs_diff": round(statistics.fmean(diffs), 4),
                "max_abs_diff": round(max(diffs), 4),
            }
        entry = {"articles": len(keys), "features": features}
        calibration = calibrations.get(judge)
        if calibration is not None:
            labels = [
                (
                    calibration.label(calibration.probability(b)),
                    calibration.label(calibration.probability(a)),
                )
                for a, b in zip(after, before, strict=True)
            ]
            entry["calibrated_label_changed"] = sum(x != y for x, y in labels)
        out[judge] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="results.sqlite of the earlier run")
    parser.add_argument("new", type=Path, help="results.sqlite of the later run")
    args = parser.parse_args()
    print(json.dumps(drift(judgments(args.old), judgments(args.new)), indent=2))


if __name__ == "__main__":
    main()
