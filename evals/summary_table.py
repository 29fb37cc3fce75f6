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


def table(summary: dict) -> str:
    """The per-judge Markdown table, then one paragraph of agreement and debate figures."""
    lines = [
        "| judge | accuracy (95% CI) | macro F1 | kappa vs gold | unscored "
        "| tokens in / out (mean) | latency s (mean / p95) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in summary["judges"].items():
        lines.append(
            f"| {name} | {_ci(m)} | {_num(m['macro_f1'])} | {_num(m['kappa'])} "
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
    lines += [
        "",
        f"Articles: {summary['articles']}. Confusion (rows gold "
        f"{' / '.join(summary['label_mapping']['classes'])}, columns predicted in the same "
        f"order): {confusion}. Krippendorff's alpha across the judges {_num(summary['alpha'])}; "
        f"Cohen's kappa between judges: {between}. Debates: {d['count']} stored, {d['failed']} "
        f"failed; {d['tokens_in']['mean']:,.0f} prompt tokens and {d['tokens_out']['mean']:,.0f} "
        f"generated per article, {d['latency_s']['mean']:.0f} s mean "
        f"({d['latency_s']['p95']:.0f} s p95).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="an eval run's summary.json")
    args = parser.parse_args()
    print(table(json.loads(args.summary.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
