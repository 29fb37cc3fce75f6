"""Print an eval run's summary.json as the Markdown table docs/evaluation.md shows.

python evals/summary_table.py runs/dev40/summary.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _ci(m: dict) -> str:
    low, high = m["accuracy_ci95"]
    scored = f", {m['scored']} scored" if m["unscored"] else ""
    return f"{m['accuracy']:.3f} ({low:.2f}–{high:.2f}){scored}"


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace("-", "−")


def _cv(m: dict) -> tuple[str, str]:
    """Cross-validated balanced accuracy (95% CI), and AUC / Brier / ECE, of a
    probability-scored judge ("–" for the others)."""
    cv = m.get("probability_scored", {}).get("cross_validation") or {}
    if "balanced_accuracy" not in cv:
        return "–", "–"
    ci = cv["balanced_accuracy_ci95"]
    interval = f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci else ""
    if spread := cv.get("fold_assignments"):
        interval += (
            f"; {spread['repeats']} fold assignments {spread['mean']:.3f} "
            f"({spread['low']:.2f}–{spread['high']:.2f})"
        )
    return (
        f"**{cv['balanced_accuracy']:.3f}**{interval}",
        f"{_num(cv['auc'])} / {_num(cv['brier'])} / {_num(cv['ece'])}",
    )


def _raw_auc(m: dict) -> str:
    """The AUC, before any fitting, of each feature the judge's calibration uses."""
    scored = m.get("probability_scored") or {}
    raw = scored.get("raw_auc") or {}
    return ", ".join(f"{k} {_num(raw.get(k))}" for k in scored.get("calibrated_on", [])) or "–"


def table(summary: dict) -> str:
    """The per-judge Markdown table, then one paragraph of agreement and debate figures."""
    lines = [
        "| judge | accuracy (95% CI) | balanced accuracy | CV balanced accuracy (95% CI) "
        "| CV AUC / Brier / ECE | raw-score AUC | kappa vs gold | unscored "
        "| tokens in / out (mean) | latency s (mean / p95) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in summary["judges"].items():
        cv_accuracy, cv_quality = _cv(m)
        lines.append(
            f"| {name} | {_ci(m)} | {_num(m.get('balanced_accuracy'))} | {cv_accuracy} "
            f"| {cv_quality} | {_raw_auc(m)} | {_num(m['kappa'])} "
            f"| {m['unscored']} | {m['tokens_in']['mean']:,.0f} / {m['tokens_out']['mean']:,.0f} "
            f"| {m['latency_s']['mean']:.1f} / {m['latency_s']['p95']:.1f} |"
        )
    confusion = ", ".join(
        f"{name} {m['confusion']['matrix']}" for name, m in summary["judges"].items()
    )
    between = ", ".join(
        f"{pair.replace('|', '–')} {_num(k, 2)}"
        for pair, k in summary["kappa_between_judges"].items()
    )
    d = summary["debates"]
    debates = (
        f" Debates: {d['count']} stored, {d['failed']} failed; {d['tokens_in']['mean']:,.0f} "
        f"prompt tokens and {d['tokens_out']['mean']:,.0f} generated per article, "
        f"{d['latency_s']['mean']:.0f} s mean ({d['latency_s']['p95']:.0f} s p95)."
        if d["count"]
        else ""
    )
    lines += [
        "",
        f"Articles: {summary['articles']}. Confusion (rows gold "
        f"{' / '.join(summary['label_mapping']['classes'])}, columns predicted in the same "
        f"order): {confusion}. Krippendorff's alpha across the judges {_num(summary['alpha'])}; "
        f"Cohen's kappa between judges: {between}.{debates}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="an eval run's summary.json")
    args = parser.parse_args()
    print(table(json.loads(args.summary.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
