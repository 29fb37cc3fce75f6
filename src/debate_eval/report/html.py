"""The report as one self-contained HTML page: no scripts, no external assets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from debate_eval.core.quotes import normalise
from debate_eval.core.schemas import RATING_LABELS, ArticleReading, Report
from debate_eval.debate.scoring.paragraphs import ADDRESSED_TO_AI, PERSUASIVE
from debate_eval.debate.transcript import ROLE_TITLES
from debate_eval.report.markdown import (
    OFF_SIDE_MARK,
    evidence_line,
    label_probabilities,
    move_text,
    paragraph_note,
    probes_text,
    rating_basis,
    role_fidelity_text,
    verdict_text,
)

RATING_COLOURS = dict(zip(RATING_LABELS, ("#1a7f37", "#9a6700", "#bc4c00", "#cf222e"), strict=True))
VERDICT_COLOURS = {"supported": "#1a7f37", "contested": "#9a6700", "unsupported": "#cf222e"}
# P(written to persuade) as a paragraph's background: white at 0, through light to strong orange.
SHADE_STOPS = ((0.0, (0xFF, 0xFF, 0xFF)), (0.5, (0xFF, 0xD8, 0xB5)), (1.0, (0xFF, 0x9F, 0x7A)))

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
.turn:target,p:target{background:#fff8c5;outline:2px solid #d4a72c}
.legend{font-family:system-ui,sans-serif;font-size:.85rem;color:#57606a;margin:.4rem 0 1rem}
.scale{display:inline-block;width:9rem;height:.8rem;vertical-align:middle;border:1px solid #d0d7de;
background:linear-gradient(to right,#fff,#ffd8b5,#ff9f7a);margin:0 .3rem}
.unit{padding:.5rem .7rem;margin:.35rem 0;border-radius:4px;border:1px solid #eaeef2}
.unit .text{white-space:pre-wrap}.unit .p{float:right;font-family:system-ui,sans-serif;
font-size:.72rem;color:#57606a;margin-left:.6rem}
.left-out del{color:#6e7781}.screened{font-family:system-ui,sans-serif;font-size:.8rem;
color:#9a6700;margin:.2rem 0 0}
mark.pick{background:#ffffffb3;color:inherit;padding:0 .1rem;border-bottom:3px solid #57606a}
mark.pick.advocate{border-color:#1a7f37}mark.pick.skeptic{border-color:#cf222e}
mark.pick.judge{border-color:#8250df}mark.pick.analyst{border-color:#0969da}
mark.pick.several{border-color:#57606a}
.by{font-family:system-ui,sans-serif;font-size:.68rem;font-weight:600;color:#fff;
text-decoration:none;border-radius:3px;padding:0 .25rem;margin-left:.2rem;vertical-align:super}
.by.advocate{background:#1a7f37}.by.skeptic{background:#cf222e}.by.judge{background:#8250df}
.by.analyst{background:#0969da}
.move{font-family:system-ui,sans-serif;font-size:.8rem;color:#57606a;font-style:italic}
.off-side{font-family:system-ui,sans-serif;font-size:.8rem;font-weight:700;color:#9a6700;
background:#fff8c5;border-radius:4px;padding:0 .3rem}
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
{% for p in report.analysis %}{% set note = paragraph_note(report, p) -%}
<p id="analysis-{{ loop.index }}">
{%- if note %}<em class="unconfirmed">{{ note }}</em> {% endif -%}
{{ p.text }}{{ quote_badges(p.quotes) }}</p>
{{- cited_sentence(p) }}
{%- if p.turn_ids %}<p class="basis">Debate turns:
{% for t in p.turn_ids %}<a href="#turn-{{ t }}">{{ t }}</a>{% if not loop.last %}, {% endif %}
{% endfor %}</p>{% endif %}
{% endfor %}
<h2 id="research">Topics for further research</h2>
<ul>{% for topic in report.research_topics %}<li>{{ topic }}</li>{% endfor %}</ul>
{% if report.checklist %}<h2 id="checklist">Checklist</h2>
<table><tr><th>check</th><th>P(yes)</th><th>weakness applies</th></tr>
{% for i in report.checklist %}<tr><td>{{ i.question }}</td>
<td>{{ "%.2f"|format(i.probability) }}</td><td>{{ "yes" if i.applies else "no" }}</td></tr>
{% endfor %}</table>{% endif %}
<h2 id="claims">Claims and verdicts</h2>
<table><tr><th>id</th><th>claim</th><th>verdict</th><th>decisive point</th>
<th>decisive turn</th><th>probes, P(yes)</th></tr>
{% for c in report.claims %}<tr><td>{{ c.id }}</td><td>{{ c.text }}</td>
<td class="verdict" style="color:{{ verdicts.get(c.verdict, '#57606a') }}">
{{ verdict_text(c) }}</td>
<td>{{ c.decisive_point or "—" }}</td>
<td>{% if c.decisive_turn %}<a href="#turn-{{ c.decisive_turn }}">{{ c.decisive_turn }}</a>
{%- else %}—{% endif %}</td><td class="probes">{{ probes_text(c.probes) }}</td></tr>
{% endfor %}</table>
{% if annotated %}<h2 id="article">The article, annotated</h2>
<p class="legend">Each paragraph is shaded by the probability that it is written to persuade
rather than inform: 0<span class="scale"></span>1 (the value at its right; paragraphs too short
to ask about are not shaded). The sentences the debaters and the analyst picked as evidence are
underlined, with a link to each turn or analysis paragraph that picked them:
<span class="by advocate">advocate</span> <span class="by skeptic">skeptic</span>
<span class="by analyst">analyst</span> (a grey underline: picked by several roles).
Struck-through paragraphs were left out of what the agents read: the screener found them written
to AI systems rather than readers.</p>
{% for u in annotated.units %}
<div class="unit{{ ' left-out' if u.left_out }}"
{%- if u.persuasive is not none %} style="background:{{ shade(u.persuasive) }}"
 title="P(written to persuade) = {{ '%.2f'|format(u.persuasive) }}"{% endif %}>
{%- if u.persuasive is not none -%}
<span class="p">persuasive {{ '%.2f'|format(u.persuasive) }}</span>
{%- endif -%}
<span class="text">
{%- if u.left_out %}<del>{{ marked(u.pieces) }}</del>{% else %}{{ marked(u.pieces) }}{% endif -%}
</span>
{%- if u.left_out %}<p class="screened">Left out by the screener: P(written to AI systems) =
{{ '%.2f'|format(u.addressed_to_ai) if u.addressed_to_ai is not none else "not measured" }}.</p>
{%- endif %}</div>
{% endfor %}
{% if annotated.unplaced %}<p class="basis">Picked sentences not found in the article as read:
{% for piece in annotated.unplaced %}<br>{{ marked([piece]) }}{% endfor %}</p>{% endif %}
{% endif %}
<h2 id="transcript">Debate transcript</h2>
{% for c in report.claims %}<details><summary>{{ c.id }}: {{ c.text }}</summary>
{% for t in turns.get(c.id, []) %}<div class="turn" id="turn-{{ t.id }}">
{{- cited_sentence(t) }}
<span class="who {{ t.role }}">
{{ titles[t.role] }}, round {{ t.round }}:</span>
{%- set move = move_text(t) %}{% if move %} <span class="move">move: {{ move }}</span>{% endif %}
{%- if t.off_side %} <span class="off-side">{{ off_side }}</span>{% endif %} {{ t.content }}
{{- quote_badges(t.quotes) }}</div>{% endfor %}
</details>{% endfor %}
<p class="meta">{{ report.meta.rounds }} round(s) · models: {{ models }}
· {{ "%.1f"|format(report.meta.duration_s) }} s
{% if report.meta.run_id %} · run {{ report.meta.run_id }}{% endif %}
{% if fidelity %} · {{ fidelity }}{% endif %}</p>
</body></html>
"""


@dataclass(frozen=True)
class Pick:
    """A turn or analysis paragraph that picked an article sentence, and where it is."""

    anchor: str
    role: str
    label: str
    title: str


@dataclass(frozen=True)
class Piece:
    """A stretch of a unit's text, with the picks that marked it (none: plain text)."""

    text: str
    picks: tuple[Pick, ...] = ()


@dataclass(frozen=True)
class AnnotatedUnit:
    pieces: list[Piece]
    persuasive: float | None
    addressed_to_ai: float | None
    left_out: bool


@dataclass(frozen=True)
class AnnotatedArticle:
    units: list[AnnotatedUnit]
    # Picked sentences found in no unit (e.g. a report whose reading is of other text).
    unplaced: list[Piece]


def article_picks(report: Report) -> dict[str, list[Pick]]:
    """Each picked sentence (first wording seen) with every turn and analysis paragraph that
    picked it, the same sentence once however often picked."""
    found: list[tuple[str, Pick]] = [
        (
            t.evidence.text,
            Pick(
                f"turn-{t.id}",
                t.role,
                f"{t.claim_id}·r{t.round}",
                f"{ROLE_TITLES[t.role]}, {t.claim_id} round {t.round}"
                + (f" ({label})" if (label := move_text(t)) else ""),
            ),
        )
        for t in report.debate
        if t.evidence is not None
    ]
    found += [
        (p.evidence.text, Pick(f"analysis-{i}", "analyst", f"¶{i}", f"Analysis paragraph {i}"))
        for i, p in enumerate(report.analysis, 1)
        if p.evidence is not None
    ]
    by_key: dict[str, tuple[str, list[Pick]]] = {}
    for text, pick in found:
        by_key.setdefault(normalise(text), (text, []))[1].append(pick)
    return {text: picks for text, picks in by_key.values() if normalise(text)}


def _words(text: str) -> list[tuple[str, int, int]]:
    """`text`'s words as (normalised, start, end); words normalising to nothing (a lone `**`)
    left out, as evidence.article_sentences leaves out Markdown markers."""
    found = []
    for match in re.finditer(r"\S+", text):
        if key := normalise(match.group()):
            found.append((key, match.start(), match.end()))
    return found


def find_sentence(text: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` is in `text` (start, end), compared word by word as quotes are
    verified (quotes.normalise: whitespace, quote marks, emphasis, case); None if absent."""
    words = _words(text)
    wanted = [w for w, _, _ in _words(sentence)]
    if not wanted:
        return None
    keys = [w for w, _, _ in words]
    for i in range(len(words) - len(wanted) + 1):
        if keys[i : i + len(wanted)] == wanted:
            return words[i][1], words[i + len(wanted) - 1][2]
    return None


def _pieces(text: str, spans: list[tuple[int, int, tuple[Pick, ...]]]) -> list[Piece]:
    """`text` cut at the spans; overlapping spans merged into one piece with all their picks."""
    merged: list[list] = []
    for start, end, picks in sorted(spans, key=lambda s: s[:2]):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += picks
        else:
            merged.append([start, end, picks])
    pieces, at = [], 0
    for start, end, picks in merged:
        pieces += [Piece(text[at:start])] if start > at else []
        pieces.append(Piece(text[start:end], picks))
        at = end
    return pieces + ([Piece(text[at:])] if at < len(text) else [])


def annotate_article(reading: ArticleReading, picks: dict[str, list[Pick]]) -> AnnotatedArticle:
    """The reading's non-blank units with their probabilities, each picked sentence marked in
    the first unit that has it (a kept unit first: the agents read only those)."""
    texts = [u.text.strip() for u in reading.units]
    order = [i for i, u in enumerate(reading.units) if not u.left_out]
    order += [i for i, u in enumerate(reading.units) if u.left_out]
    spans: dict[int, list] = {}
    unplaced = []
    for sentence, by in picks.items():
        at = next(((i, s) for i in order if (s := find_sentence(texts[i], sentence))), None)
        if at is None:
            unplaced.append(Piece(sentence, tuple(by)))
        else:
            spans.setdefault(at[0], []).append((*at[1], tuple(by)))
    units = [
        AnnotatedUnit(
            pieces=_pieces(texts[i], spans.get(i, [])),
            persuasive=u.probabilities.get(PERSUASIVE),
            addressed_to_ai=u.probabilities.get(ADDRESSED_TO_AI),
            left_out=u.left_out,
        )
        for i, u in enumerate(reading.units)
        if texts[i]
    ]
    return AnnotatedArticle(units, unplaced)


def shade_rgb(p: float) -> tuple[int, int, int]:
    """The background for P(written to persuade) = `p`, between SHADE_STOPS."""
    p = min(max(p, 0.0), 1.0)
    for (p0, c0), (p1, c1) in pairwise(SHADE_STOPS):
        if p <= p1:
            f = (p - p0) / (p1 - p0)
            return tuple(round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
    return SHADE_STOPS[-1][1]


def shade(p: float) -> str:
    return "#{:02x}{:02x}{:02x}".format(*shade_rgb(p))


def pick_colour(picks: tuple[Pick, ...]) -> str:
    """The role a mark is coloured by, or "several" when pickers of different roles share it."""
    roles = {p.role for p in picks}
    return roles.pop() if len(roles) == 1 else "several"


def marked(pieces: list[Piece]) -> Markup:
    """A unit's text, escaped, each picked sentence in a <mark> classed by its pickers' roles
    (and "several" when they differ), a link to every turn or paragraph that picked it in it."""
    out = []
    for piece in pieces:
        if not piece.picks:
            out.append(escape(piece.text))
            continue
        roles = " ".join(dict.fromkeys(p.role for p in piece.picks))
        roles += " several" if pick_colour(piece.picks) == "several" else ""
        links = Markup("").join(
            Markup('<a class="by {role}" href="#{anchor}" title="{title}">{label}</a>').format(
                role=p.role, anchor=p.anchor, title=p.title, label=p.label
            )
            for p in piece.picks
        )
        out.append(
            Markup(
                '<mark class="pick {roles}" title="Picked by: {who}">{text}{links}</mark>'
            ).format(
                roles=roles,
                who="; ".join(p.title for p in piece.picks),
                text=piece.text,
                links=links,
            )
        )
    return Markup("").join(out)


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
    annotated = annotate_article(report.reading, article_picks(report)) if report.reading else None
    return env.from_string(_TEMPLATE).render(
        report=report,
        annotated=annotated,
        shade=shade,
        marked=marked,
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
        move_text=move_text,
        off_side=OFF_SIDE_MARK,
        probes_text=probes_text,
        fidelity=role_fidelity_text(report.meta),
    )
