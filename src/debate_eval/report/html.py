"""The report as one self-contained HTML page: no scripts, no external assets."""

from __future__ import annotations

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from debate_eval.core.schemas import RATING_LABELS, Report
from debate_eval.debate.transcript import ROLE_TITLES
from debate_eval.report.markdown import (
    evidence_line,
    label_probabilities,
    paragraph_note,
    rating_basis,
    verdict_text,
)

RATING_COLOURS = dict(zip(RATING_LABELS, ("#1a7f37", "#9a6700", "#bc4c00", "#cf222e"), strict=True))
VERDICT_COLOURS = {"supported": "#1a7f37", "contested": "#9a6700", "unsupported": "#cf222e"}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Balance report: {{ report.rating.label }}</title>
<style>
body{font:17px/1.6 Georgia,"Iowan Old Style",serif;max-width:46rem;margin:2.5rem auto;
padding:0 1.2rem;color:#1f2328;background:#fff}
h1,h2,h3,summary,table,.meta,.rating-label{
font-family:system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;
border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.rating{border-left:.45rem solid {{ colour }};background:#f6f8fa;padding:.8rem 1.1rem;margin:1rem 0}
.rating-label{font-size:1.35rem;font-weight:700;color:{{ colour }}}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.6rem .9rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid #d0d7de;padding:.45rem .6rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}.verdict{font-weight:700}
details{margin:.6rem 0;border:1px solid #d0d7de;border-radius:6px;padding:.4rem .8rem}
summary{cursor:pointer;font-weight:600}.turn{margin:.6rem 0}.who{font-weight:700}
.advocate{color:#1a7f37}.skeptic{color:#cf222e}.judge{color:#8250df}
.evidence{font-style:italic;color:#57606a;margin:.2rem 0}
.meta{color:#57606a;font-size:.85rem;margin-top:2.5rem}
.basis{color:#57606a;font-size:.9rem;margin:.3rem 0}
.quote{font-family:system-ui,sans-serif;font-size:.75rem;border-radius:4px;padding:0 .3rem;
margin-left:.3rem}.verified{background:#dafbe1;color:#1a7f37}.unverified{background:#ffebe9;
color:#cf222e}
</style></head><body>
<h1>Balance report</h1>
{% for notice in report.meta.notices %}<p class="note"><b>Note:</b> {{ notice }}</p>{% endfor %}
{% for problem in report.meta.problems %}
<p class="note"><b>Part not written:</b> {{ problem }}</p>{% endfor %}
<h2 id="summary">Article summary</h2>
<ol>{% for point in report.summary %}<li>{{ point }}</li>{% endfor %}</ol>
<h2 id="rating">Balance rating</h2>
<div class="rating"><div class="rating-label">{{ report.rating.label }}</div>
<p>{{ report.rating.explanation }}</p>
{% if basis %}<p class="basis">{{ basis }}</p>{% endif %}
{% if probabilities %}<p class="basis">{{ probabilities }}</p>{% endif %}</div>
<h2 id="analysis">Article analysis</h2>
{% for p in report.analysis %}{% set note = paragraph_note(report, p) %}<p>
{%- if note %}<em class="unconfirmed">{{ note }}</em> {% endif -%}
{{ p.text }}{{ quote_badges(p.quotes) }}</p>
{{- cited_sentence(p) }}
{% endfor %}
<h2 id="research">Topics for further research</h2>
<ul>{% for topic in report.research_topics %}<li>{{ topic }}</li>{% endfor %}</ul>
{% if report.checklist %}<h2 id="checklist">Checklist</h2>
<table><tr><th>check</th><th>P(yes)</th><th>weakness applies</th></tr>
{% for i in report.checklist %}<tr><td>{{ i.question }}</td>
<td>{{ "%.2f"|format(i.probability) }}</td><td>{{ "yes" if i.applies else "no" }}</td></tr>
{% endfor %}</table>{% endif %}
<h2 id="claims">Claims and verdicts</h2>
<table><tr><th>id</th><th>claim</th><th>verdict</th><th>decisive point</th></tr>
{% for c in report.claims %}<tr><td>{{ c.id }}</td><td>{{ c.text }}</td>
<td class="verdict" style="color:{{ verdicts.get(c.verdict, '#57606a') }}">
{{ verdict_text(c) }}</td>
<td>{{ c.decisive_point or "—" }}</td></tr>{% endfor %}</table>
<h2 id="transcript">Debate transcript</h2>
{% for c in report.claims %}<details><summary>{{ c.id }}: {{ c.text }}</summary>
{% for t in turns.get(c.id, []) %}<div class="turn">
{{- cited_sentence(t) }}
<span class="who {{ t.role }}">
{{ titles[t.role] }}, round {{ t.round }}:</span> {{ t.content }}
{{- quote_badges(t.quotes) }}</div>{% endfor %}
</details>{% endfor %}
<p class="meta">{{ report.meta.rounds }} round(s) · models: {{ models }}
· {{ "%.1f"|format(report.meta.duration_s) }} s
{% if report.meta.run_id %} · run {{ report.meta.run_id }}{% endif %}</p>
</body></html>
"""


def cited_sentence(part) -> Markup:
    """The article sentence a turn or paragraph picked as its evidence, with its badge."""
    line = evidence_line(part)
    if line is None:
        return Markup("")
    return Markup('<p class="evidence">{line}{badge}</p>').format(
        line=line, badge=quote_badges([part.evidence])
    )


def quote_badges(quotes) -> Markup:
    """One badge per quote: verified against the article or not (the quote in its title)."""
    return Markup("").join(
        Markup('<span class="quote {cls}" title="{text}">{what}</span>').format(
            cls="verified" if q.verified else "unverified",
            text=escape(q.text),
            what="quote verified" if q.verified else "quote not in the article",
        )
        for q in quotes
    )


def to_html(report: Report) -> str:
    """The report as a self-contained page: rating in its colour, collapsible transcript."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    turns: dict[str, list] = {}
    for turn in report.debate:
        turns.setdefault(turn.claim_id, []).append(turn)
    return env.from_string(_TEMPLATE).render(
        report=report,
        colour=RATING_COLOURS[report.rating.label],
        verdicts=VERDICT_COLOURS,
        turns=turns,
        titles=ROLE_TITLES,
        models=", ".join(f"{role} {name}" for role, name in report.meta.models.items()),
        basis=rating_basis(report),
        probabilities=label_probabilities(report),
        quote_badges=quote_badges,
        verdict_text=verdict_text,
        paragraph_note=paragraph_note,
        cited_sentence=cited_sentence,
    )
