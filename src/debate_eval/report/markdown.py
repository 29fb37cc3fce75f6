"""Rendering a report: Markdown text, JSON, and rich terminal output."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from debate_eval.core.schemas import RATING_LABELS, AnalysisParagraph, Report, Turn
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
        lines += [""]
    lines += ["## Topics for further research", ""]
    lines += [f"- {topic}" for topic in report.research_topics]
    if report.checklist:
        lines += ["", "## Checklist", "", "| check | P(yes) | weakness applies |", "|---|---|---|"]
        lines += [
            f"| {i.question} | {i.probability:.2f} | {'yes' if i.applies else 'no'} |"
            for i in report.checklist
        ]
    lines += ["", "## Claims and verdicts", "", "| id | claim | verdict | decisive point |"]
    lines += ["|---|---|---|---|"]
    for c in report.claims:
        cells = [c.id, c.text, verdict_text(c), c.decisive_point or "—"]
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
        lines += [
            f"**[{turn.id}] {ROLE_TITLES[turn.role]}:** {turn.content}{quote_marks(turn.quotes)}",
            "",
        ]
    meta = report.meta
    lines += [
        "---",
        "",
        f"*{meta.rounds} round(s); models: "
        + ", ".join(f"{role} {name}" for role, name in meta.models.items())
        + f"; {meta.duration_s:.1f} s.*",
        "",
    ]
    return "\n".join(lines)


def turn_panel(turn: Turn, claim_text: str | None = None) -> Panel:
    """One debate turn as a panel coloured by role."""
    style = ROLE_STYLES[turn.role]
    title = f"[bold {style}]{ROLE_TITLES[turn.role]}[/] · {turn.claim_id} · round {turn.round}"
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
        parts += [""]
    parts += [Rule("[bold]Topics for further research")]
    parts += [Text(f"• {topic}") for topic in report.research_topics]
    table = Table(title="Claims and verdicts", show_lines=True, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("claim", ratio=3)
    table.add_column("verdict", no_wrap=True)
    table.add_column("decisive point", ratio=3)
    for c in report.claims:
        table.add_row(
            c.id,
            c.text,
            f"[{VERDICT_STYLES.get(c.verdict or '—', 'white')}]{verdict_text(c)}",
            c.decisive_point or "—",
        )
    parts += ["", table]
    return Group(*parts)


def print_report(console: Console, report: Report) -> None:
    console.print(report_renderable(report))
