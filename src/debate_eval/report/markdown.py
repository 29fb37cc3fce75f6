"""Rendering a report: Markdown text, JSON, and rich terminal output."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from debate_eval.core.moves import OFF_SIDE_MARK, move_text
from debate_eval.core.schemas import RATING_LABELS, AnalysisParagraph, Report, ReportMeta, Turn
from debate_eval.debate.transcript import ROLE_TITLES

ROLE_STYLES = {"advocate": "green", "skeptic": "red", "judge": "magenta"}
RATING_STYLES = dict(zip(RATING_LABELS, ("green", "yellow", "dark_orange", "red"), strict=True))
VERDICT_STYLES = {"supported": "green", "contested": "yellow", "unsupported": "red"}


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"


def rating_basis(report: Report) -> str | None:
    """How the label was reached, in one line: confidence, judge, calibration."""
    r = report.rating
    if r.confidence is None:
        return None
    calibrated = (
        f"calibrated: {r.calibration}"
        if r.calibration
        else "uncalibrated (no calibration matches this model and these prompts)"
    )
    return f"Confidence {r.confidence:.0%} · judge: {r.judge} · {calibrated}"


def label_probabilities(report: Report) -> str | None:
    probabilities = report.rating.probabilities
    if not probabilities:
        return None
    shown = " · ".join(f"{label} {probabilities.get(label, 0):.2f}" for label in RATING_LABELS)
    return f"Label probabilities: {shown} (expected score {report.rating.score:.2f} of 4)"


def quote_marks(quotes) -> str:
    """A short note on a text's quotes: how many the article was found to contain."""
    if not quotes:
        return ""
    verified = sum(q.verified for q in quotes)
    return f" *(quotes verified: {verified} of {len(quotes)})*"


EVIDENCE_TITLES = {"advocate": "Evidence", "skeptic": "Attacks"}


def evidence_line(part: Turn | AnalysisParagraph) -> str | None:
    """The article sentence a debater or the analyst picked, e.g. 'Evidence (the article's
    words): "…"' for an advocate's turn, 'The article's words: "…"' for a paragraph."""
    if part.evidence is None:
        return None
    title = EVIDENCE_TITLES.get(getattr(part, "role", ""))
    prefix = f"{title} (the article's words)" if title else "The article's words"
    return f'{prefix}: "{part.evidence.text}"'


# How a turn that argued the other side's case is marked, in every format.
# The claim judge's probes (Claim.probes), in the order and words the claims table shows.
PROBE_TITLES = {
    "evidence": "evidence",
    "view_against": "view against",
    "opinion_as_fact": "opinion as fact",
}


def turn_tags(turn: Turn) -> list[str]:
    """What a transcript shows beside a turn's speaker: its move, and the off-side mark."""
    tags = [f"move: {label}"] if (label := move_text(turn)) else []
    return tags + ([OFF_SIDE_MARK] if turn.off_side else [])


def probes_text(probes: Mapping[str, float] | None, sep: str = " · ") -> str:
    """The claim judge's probes (Claim.probes) as P(yes), e.g. "evidence 0.80 · view against
    0.10" (`sep` between them); "—" without them."""
    if not probes:
        return "—"
    known = [k for k in PROBE_TITLES if k in probes]
    others = sorted(k for k in probes if k not in PROBE_TITLES)
    return sep.join(
        f"{PROBE_TITLES.get(k, k.replace('_', ' '))} {probes[k]:.2f}" for k in known + others
    )


def role_fidelity_text(meta: ReportMeta) -> str | None:
    """The debaters' role fidelity in words; None when no turn was side-checked."""
    if meta.role_fidelity is None:
        return None
    return f"role fidelity {meta.role_fidelity:.0%} (side-checked turns that argued their own side)"


def turns_cited(paragraph: AnalysisParagraph) -> str | None:
    """The debate turns an analysis paragraph rests on, e.g. "Debate turns: c1-r1-skeptic"."""
    return "Debate turns: " + ", ".join(paragraph.turn_ids) if paragraph.turn_ids else None


def paragraph_note(report: Report, paragraph) -> str:
    """For an analysis paragraph whose author disagreed with the checklist, what each said."""
    if paragraph.confirmed is not False:
        return ""
    item = next((i for i in report.checklist if i.id == paragraph.item), None)
    if item is None:
        return ""
    found = "likely" if item.applies else "unlikely"
    answer = "does not show it" if item.applies else "shows it"
    return (
        f'(Not confirmed: the checklist found "{item.item.lower()}" {found}; the analyst '
        f"answered that the article {answer}.)"
    )


def verdict_text(claim) -> str:
    """The verdict with its probability, e.g. "contested (0.62)"."""
    if claim.verdict is None:
        return "—"
    p = (claim.verdict_probabilities or {}).get(claim.verdict)
    return claim.verdict if p is None else f"{claim.verdict} ({p:.2f})"


def to_markdown(report: Report) -> str:
    """The report as Markdown: the four sections in order, then claims and the transcript."""
    lines = ["# Balance report", ""]
    lines += [f"> **Note:** {notice}\n" for notice in report.meta.notices]
    lines += [f"> **Part not written:** {problem}\n" for problem in report.meta.problems]
    lines += ["## Article summary", ""]
    lines += [f"{i}. {point}" for i, point in enumerate(report.summary, 1)]
    lines += [
        "",
        "## Balance rating",
        "",
        f"**{report.rating.label}**: {report.rating.explanation}",
    ]
    lines += [f"\n*{line}*" for line in (rating_basis(report), label_probabilities(report)) if line]
    lines += ["", "## Article analysis", ""]
    for paragraph in report.analysis:
        note = paragraph_note(report, paragraph)
        lines += [(f"*{note}* " if note else "") + paragraph.text + quote_marks(paragraph.quotes)]
        if cited := evidence_line(paragraph):
            lines += ["", f"> {cited}"]
        if turns := turns_cited(paragraph):
            lines += ["", f"*{turns}*"]
        lines += [""]
    lines += ["## Topics for further research", ""]
    lines += [f"- {topic}" for topic in report.research_topics]
    if report.checklist:
        lines += ["", "## Checklist", "", "| check | P(yes) | weakness applies |", "|---|---|---|"]
        lines += [
            f"| {i.question} | {i.probability:.2f} | {'yes' if i.applies else 'no'} |"
            for i in report.checklist
        ]
    lines += ["", "## Claims and verdicts", ""]
    lines += ["| id | claim | verdict | decisive point | decisive turn | probes, P(yes) |"]
    lines += ["|---|---|---|---|---|---|"]
    for c in report.claims:
        cells = [
            c.id,
            c.text,
            verdict_text(c),
            c.decisive_point or "—",
            c.decisive_turn or "—",
            probes_text(c.probes),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", "## Debate transcript", ""]
    claims = {c.id: c for c in report.claims}
    current = None
    for turn in report.debate:
        if turn.claim_id != current:
            current = turn.claim_id
            title = claims[current].text if current in claims else ""
            lines += [f"### {current}: {title}", ""]
        if cited := evidence_line(turn):
            lines += [f"> {cited}", ""]
        tags = "".join(f" *{tag}*" for tag in turn_tags(turn))
        lines += [
            f"**[{turn.id}] {ROLE_TITLES[turn.role]}:**{tags} {turn.content}"
            f"{quote_marks(turn.quotes)}",
            "",
        ]
    meta = report.meta
    fidelity = role_fidelity_text(meta)
    lines += [
        "---",
        "",
        f"*{meta.rounds} round(s); models: "
        + ", ".join(f"{role} {name}" for role, name in meta.models.items())
        + f"; {meta.duration_s:.1f} s"
        + (f"; {fidelity}" if fidelity else "")
        + ".*",
        "",
    ]
    return "\n".join(lines)


def turn_panel(turn: Turn, claim_text: str | None = None) -> Panel:
    """One debate turn as a panel coloured by role."""
    style = ROLE_STYLES[turn.role]
    title = Text.assemble(
        (ROLE_TITLES[turn.role], f"bold {style}"), f" · {turn.claim_id} · round {turn.round}"
    )
    if label := move_text(turn):
        title.append(f" · {label}", "italic")
    if turn.off_side:
        title.append(f" {OFF_SIDE_MARK}", "bold yellow")
    body = Text(turn.content)
    if cited := evidence_line(turn):
        body = Text.assemble((cited, "italic"), "\n", body)
    return Panel(
        body,
        title=title,
        title_align="left",
        border_style=style,
        subtitle=claim_text,
        subtitle_align="left",
    )


def notices_renderable(notices: list[str] | tuple[str, ...]) -> Panel:
    """What was done to the input (trimmed, re-encoded, injected instructions), in one panel."""
    return Panel(
        Text("\n".join(f"• {n}" for n in notices)),
        title="[bold yellow]Notes on the input",
        title_align="left",
        border_style="yellow",
    )


def report_renderable(report: Report) -> Group:
    """The report for the terminal."""
    parts: list = [notices_renderable(report.meta.notices)] if report.meta.notices else []
    if report.meta.problems:
        parts += [Text("\n".join(f"Part not written: {p}" for p in report.meta.problems), "yellow")]
    parts += [Rule("[bold]Article summary"), ""]
    parts += [Text(f"{i}. {point}") for i, point in enumerate(report.summary, 1)]
    style = RATING_STYLES[report.rating.label]
    parts += [
        "",
        Rule("[bold]Balance rating"),
        Panel(
            Text(report.rating.explanation),
            title=f"[bold {style}]{report.rating.label}",
            title_align="left",
            border_style=style,
            subtitle=rating_basis(report),
            subtitle_align="left",
        ),
    ]
    if line := label_probabilities(report):
        parts += [Text(line, style="dim")]
    parts += [Rule("[bold]Article analysis")]
    for paragraph in report.analysis:
        if note := paragraph_note(report, paragraph):
            parts += [Text(note, style="italic yellow")]
        parts += [Text(paragraph.text)]
        if cited := evidence_line(paragraph):
            parts += [Text(cited, style="italic dim")]
        if turns := turns_cited(paragraph):
            parts += [Text(turns, style="dim")]
        parts += [""]
    parts += [Rule("[bold]Topics for further research")]
    parts += [Text(f"• {topic}") for topic in report.research_topics]
    table = Table(title="Claims and verdicts", show_lines=True, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("claim", ratio=3)
    table.add_column("verdict", no_wrap=True)
    table.add_column("decisive point", ratio=3)
    table.add_column("decisive turn", ratio=1)
    table.add_column("probes, P(yes)", ratio=2)
    for c in report.claims:
        table.add_row(
            c.id,
            c.text,
            f"[{VERDICT_STYLES.get(c.verdict or '—', 'white')}]{verdict_text(c)}",
            c.decisive_point or "—",
            c.decisive_turn or "—",
            # One probe a line: a narrow terminal column wraps them mid-phrase otherwise.
            probes_text(c.probes, "\n"),
        )
    parts += ["", table]
    return Group(*parts)


def print_report(console: Console, report: Report) -> None:
    console.print(report_renderable(report))
