"""DIR/report.html: one self-contained page (images inlined as data URIs)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from jinja2 import Environment, select_autoescape

from debate_eval.core.moves import OFF_SIDE_MARK, move_text, role_fidelity
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.store import StoredDebate

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>debate-eval: judges compared</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}.warn{background:#fff4d6;padding:.6em;border:1px solid #e6c200}
.ok{color:#0a0}.bad{color:#b00}.turn{margin:.3em 0 .3em 1em}.advocate{color:#1a5fb4}
.skeptic{color:#a51d2d}.judge{color:#613583}img{max-width:100%}
</style></head><body>
<h1>Judges compared</h1>
<p>{{ summary.articles }} articles; label mapping <b>{{ summary.label_mapping.name }}</b>
({{ summary.label_mapping.kind }}: {{ summary.label_mapping.classes | join(" / ") }}).</p>
{% if summary.label_mapping.weak_directional_check %}
<p class="warn">Weak directional check: these gold labels are political lean, not balance.
Read the numbers as direction only, never as accuracy at rating balance.</p>
{% endif %}
<h2>Metrics</h2>
<table id="metrics"><tr><th>judge</th><th>accuracy</th><th>95% CI</th>
<th>balanced accuracy</th><th>severe errors</th><th>macro F1</th>
<th>kappa vs gold</th><th>swap consistency</th><th>self consistency</th><th>unscored</th>
<th>tokens in (mean)</th><th>tokens out (mean)</th><th>latency s (mean / p95)</th></tr>
{% for name, m in summary.judges.items() %}
<tr class="judge-row" data-judge="{{ name }}"><td>{{ name }}</td><td>{{ fmt(m.accuracy) }}</td>
<td>{{ ci(m.accuracy_ci95) }}</td><td>{{ fmt(m.balanced_accuracy) }}
{%- if m.fitted_articles_included %} (in-sample: labelled by a calibration fitted on
{{ m.fitted_articles_included }} of these articles){% endif %}</td>
<td>{{ severe(m.severe_errors) }}</td><td>{{ fmt(m.macro_f1) }}</td><td>{{ fmt(m.kappa) }}</td>
<td>{{ fmt(m.swap_consistency) }}</td><td>{{ fmt(m.self_consistency) }}</td>
<td>{{ m.unscored }}</td><td>{{ fmt(m.tokens_in.mean) }}</td><td>{{ fmt(m.tokens_out.mean) }}</td>
<td>{{ fmt(m.latency_s.mean) }} / {{ fmt(m.latency_s.p95) }}</td></tr>
{% endfor %}</table>
<p>Severe errors: gold-positive articles labelled "Appears well balanced" / gold-negative ones
labelled "Appears strongly imbalanced".</p>
{% if calibrated %}
<h2>Calibrated: as shipped and cross-validated</h2>
<p>As shipped: the labels <code>run</code> gives with the calibration in use, chosen from the
stored features; on the articles it was fitted on that is in-sample, not an accuracy. Cross-
validated: a calibration of the same design refitted by k-fold on this dataset, every article
labelled by a fit on the others.</p>
<table id="calibrated"><tr><th>judge</th><th>labels</th><th>balanced accuracy (95% CI)</th>
<th>AUC (95% CI)</th><th>severe errors</th><th>articles</th><th>calibration</th></tr>
{% for name, m in calibrated %}{% set s = m.as_shipped %}{% set cv = m.cross_validated %}
{% if s %}<tr class="calibrated-row" data-calibrated="{{ name }}"><td>{{ name }}</td>
<td>as shipped{% if not s.out_of_sample %} (<b>{{ s.note }}</b>){% else %} (out of sample
{%- if s.note %}: {{ s.note }}{% endif %}){% endif %}</td>
<td>{{ fmt(s.balanced_accuracy) }} {{ ci(s.balanced_accuracy_ci95) }}</td>
<td>{{ fmt(s.auc) }} {{ ci(s.auc_ci95) }}</td><td>{{ severe(s.severe_errors) }}</td>
<td>{{ s.articles }}</td>
<td>{{ s.calibration }}</td></tr>{% endif %}
{% if cv.balanced_accuracy is defined %}<tr class="calibrated-row" data-calibrated="{{ name }}">
<td>{{ name }}</td><td>{{ cv.folds }}-fold CV on this dataset</td>
<td>{{ fmt(cv.balanced_accuracy) }} {{ ci(cv.balanced_accuracy_ci95) }}</td>
<td>{{ fmt(cv.auc) }} {{ ci(cv.auc_ci95) }}</td><td>{{ severe(cv.severe_errors) }}</td>
<td>{{ cv.articles }}</td>
<td>features {{ cv.features | join(", ") }}</td></tr>{% endif %}
{% endfor %}</table>
<h3>Each feature alone</h3>
<p>The AUC of each raw score against gold, before any fitting (stratified bootstrap 95% CI):
a feature whose interval lies above 0.5 separates the classes on its own.</p>
<table id="features"><tr><th>judge</th><th>feature</th><th>AUC (95% CI)</th>
<th>articles</th></tr>
{% for name, m in calibrated %}{% set ps = m.probability_scored %}
{% for feature, value in ps.raw_auc.items() %}<tr class="feature-row"
data-feature="{{ name }}/{{ feature }}"><td>{{ name }}</td><td>{{ feature }}</td>
<td>{{ fmt(value) }} {{ ci(ps.raw_auc_ci95.get(feature)) }}</td>
<td>{{ ps.raw_auc_articles.get(feature) }}</td></tr>{% endfor %}
{% endfor %}</table>{% endif %}
{% set screener = summary.screener %}{% if screener %}
<p>Screener: text left out (as written to AI systems) of
{{ screener.articles_with_text_left_out }} articles
({% for cls, c in screener.by_gold_class.items() %}{{ c.with_text_left_out }} of {{ c.articles }}
{{ cls }}{% if not loop.last %}; {% endif %}{% endfor %}{% if screener.unrecorded %};
{{ screener.unrecorded }} not recorded{% endif %}): on labelled articles with no such text, false
alarms.</p>{% endif %}
<p>Krippendorff's alpha (ordinal, across judges): {{ fmt(summary.alpha) }}.
Debates: {{ summary.debates.count }} stored, {{ summary.debates.failed }} failed;
mean latency {{ fmt(summary.debates.latency_s.mean) }} s
{%- if summary.debates.role_fidelity is defined %}; mean role fidelity
{{ fmt(summary.debates.role_fidelity) }} (the share of side-checked turns that argued their own
side, over {{ summary.debates.side_checked }} debates){% endif %}
{%- if summary.debates.decisive_points is defined %}; decisive points in the claim judge's own
words {{ summary.debates.decisive_points.own_words }}, replaced by the move's fixed form after
copying a turn twice {{ summary.debates.decisive_points.fixed_form }}; verdicts
{% for v, n in summary.debates.verdicts.items() %}{{ v }} {{ n }}
{%- if not loop.last %}, {% endif %}{% endfor %}
{%- endif %}.</p>
<h2>Confusion matrices</h2>
{% for name, uri in confusion.items() %}
<img alt="confusion matrix: {{ name }}" src="{{ uri }}">{% endfor %}
{% if heatmap %}<h2>Agreement between judges (Cohen's kappa)</h2>
<img alt="judge agreement heatmap" src="{{ heatmap }}">{% endif %}
<h2>Articles</h2>
{% for e in examples %}
<details class="article" id="{{ e.id }}"><summary><b>{{ e.title or e.id }}</b> — gold:
{{ e.label }}{% for name, m in summary.judges.items() %} · {{ name }}:
{{ m.ratings.get(e.id) or "unscored" }}{% endfor %}</summary>
{% set d = debates.get(e.id) %}
{% if d and d.transcript %}
<h4>Claims</h4><ul>{% for c in d.transcript.claims %}<li>[{{ c.id }}] {{ c.text }}
— <i>{{ c.verdict or "no verdict" }}</i></li>{% endfor %}</ul>
<h4>Debate</h4>{% set fidelity = role_fidelity(d.transcript.debate) %}
{% if fidelity is not none %}<p>Role fidelity {{ fmt(fidelity) }}.</p>{% endif %}
{% for t in d.transcript.debate %}{% set move = move_text(t) %}
<p class="turn {{ t.role }}"><b>[{{ t.id }}] {{ t.role }}</b>
{%- if move %} <i>(move: {{ move }})</i>{% endif %}
{%- if t.off_side %} <b class="bad">{{ off_side }}</b>{% endif %}: {{ t.content }}</p>
{% endfor %}
{% elif d and d.error %}<p class="bad">The debate failed: {{ d.error }}</p>{% endif %}
</details>
{% endfor %}
</body></html>
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _matrix_figure(matrix, rows: Sequence[str], cols: Sequence[str], title: str, fmt: str):
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(cols), 1.2 + 0.8 * len(rows)))
    data = [[float("nan") if v is None else v for v in row] for row in matrix]
    ax.imshow(data, cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, "–" if v is None else format(v, fmt), ha="center", va="center")
    ax.set_title(title)
    return fig


def render_html(
    summary: dict, examples: Sequence[Example], debates: dict[str, StoredDebate]
) -> str:
    confusion = {}
    for name, m in summary["judges"].items():
        if m["confusion"]["matrix"] is None:
            continue
        labels = m["confusion"]["labels"]
        fig = _matrix_figure(
            m["confusion"]["matrix"], [f"gold: {x}" for x in labels], labels, name, "d"
        )
        confusion[name] = _png(fig)
    names = list(summary["judges"])
    heatmap = None
    if len(names) >= 2:
        pairs = summary["kappa_between_judges"]

        def k(a: str, b: str):
            if a == b:
                return 1.0
            return pairs.get(f"{a}|{b}", pairs.get(f"{b}|{a}"))

        heatmap = _png(
            _matrix_figure([[k(a, b) for b in names] for a in names], names, names, "kappa", ".2f")
        )
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(_TEMPLATE)
    return template.render(
        summary=summary,
        examples=examples,
        debates=debates,
        confusion=confusion,
        heatmap=heatmap,
        fmt=lambda v: "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)),
        ci=lambda v: "–" if not v else f"{v[0]:.2f}–{v[1]:.2f}",
        severe=_severe,
        calibrated=[(n, m) for n, m in summary["judges"].items() if "cross_validated" in m],
        role_fidelity=role_fidelity,
        move_text=move_text,
        off_side=OFF_SIDE_MARK,
    )


def _severe(severe: dict | None) -> str:
    if not severe:
        return "–"
    return " / ".join(f"{e['count']} of {e['of']}" for e in severe.values())
