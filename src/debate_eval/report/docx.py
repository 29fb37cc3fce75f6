"""The report as a Word document (python-docx): headings per section, a table of contents
field (Word fills it in when the document is opened), a claims table and the transcript as an
appendix."""

from __future__ import annotations

import io

from debate_eval.core.schemas import Report
from debate_eval.debate.transcript import ROLE_TITLES
from debate_eval.report.html import (
    AnnotatedArticle,
    annotate_article,
    article_picks,
    pick_colour,
    shade,
)
from debate_eval.report.markdown import (
    OFF_SIDE_MARK,
    evidence_line,
    label_probabilities,
    move_text,
    paragraph_note,
    probes_text,
    rating_basis,
    role_fidelity_text,
    turns_cited,
    verdict_text,
)

_RATING_RGB = {
    "Appears well balanced": (0x1A, 0x7F, 0x37),
    "May be slightly imbalanced": (0x9A, 0x67, 0x00),
    "Appears moderately imbalanced": (0xBC, 0x4C, 0x00),
    "Appears strongly imbalanced": (0xCF, 0x22, 0x2E),
}


def _toc_field(document) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = document.add_paragraph().add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = 'TOC \\o "1-2" \\h \\z \\u'
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    placeholder = OxmlElement("w:t")
    placeholder.text = "Table of contents: right-click and choose Update Field."
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instruction, separate, placeholder, end):
        run._r.append(element)


# Word's highlight colours are a fixed few (WD_COLOR_INDEX names); one per role that picks.
_PICK_HIGHLIGHTS = {
    "advocate": "BRIGHT_GREEN",
    "skeptic": "PINK",
    "judge": "VIOLET",
    "analyst": "TURQUOISE",
    "several": "YELLOW",
}


def _shade(paragraph, fill: str) -> None:
    """A paragraph's background (w:shd in its properties), `fill` as "#rrggbb"."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill.lstrip("#").upper())
    paragraph._p.get_or_add_pPr().append(shd)


def _annotated_article(document, annotated: AnnotatedArticle) -> None:
    """The article unit by unit: shaded by P(written to persuade), picked sentences highlighted
    by the picker's role with the pickers' ids after them, left-out units struck through."""
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt, RGBColor

    document.add_heading("The article, annotated", level=1)
    document.add_paragraph(
        "Each paragraph is shaded by the probability that it is written to persuade rather "
        "than inform (white 0, orange 1; too short to ask about: unshaded). Sentences the "
        "debaters and the analyst picked as evidence are highlighted: advocate green, skeptic "
        "pink, analyst turquoise, several roles yellow. Struck-through paragraphs were left out "
        "of what the agents read: the screener found them written to AI systems rather than "
        "readers."
    ).runs[0].italic = True
    for unit in annotated.units:
        paragraph = document.add_paragraph()
        if unit.persuasive is not None:
            _shade(paragraph, shade(unit.persuasive))
        for piece in unit.pieces:
            run = paragraph.add_run(piece.text)
            run.font.strike = unit.left_out
            if piece.picks:
                colour = _PICK_HIGHLIGHTS.get(pick_colour(piece.picks), "YELLOW")
                run.font.highlight_color = getattr(WD_COLOR_INDEX, colour)
                by = paragraph.add_run(" [" + "; ".join(p.title for p in piece.picks) + "]")
                by.font.size = Pt(8)
        notes = []
        if unit.persuasive is not None:
            notes.append(f"persuasive {unit.persuasive:.2f}")
        if unit.left_out:
            p_ai = "not measured" if unit.addressed_to_ai is None else f"{unit.addressed_to_ai:.2f}"
            notes.append(f"left out by the screener: P(written to AI systems) = {p_ai}")
        if notes:
            note = paragraph.add_run(f"  ({'; '.join(notes)})")
            note.font.size = Pt(8)
            note.font.color.rgb = RGBColor(0x57, 0x60, 0x6A)
    if annotated.unplaced:
        document.add_paragraph(
            "Picked sentences not found in the article as read: "
            + " ".join(f"“{piece.text}”" for piece in annotated.unplaced)
        ).runs[0].italic = True


def to_docx(report: Report) -> bytes:
    """The report as .docx bytes."""
    from docx import Document
    from docx.shared import RGBColor

    document = Document()
    document.add_heading("Balance report", level=0)
    _toc_field(document)
    for notice in report.meta.notices:
        document.add_paragraph(f"Note: {notice}", style="Intense Quote")
    document.add_heading("Article summary", level=1)
    for point in report.summary:
        document.add_paragraph(point, style="List Number")
    document.add_heading("Balance rating", level=1)
    label = document.add_paragraph().add_run(report.rating.label)
    label.bold = True
    label.font.color.rgb = RGBColor(*_RATING_RGB[report.rating.label])
    document.add_paragraph(report.rating.explanation)
    for line in (rating_basis(report), label_probabilities(report)):
        if line:
            document.add_paragraph(line).runs[0].italic = True
    document.add_heading("Article analysis", level=1)
    for paragraph in report.analysis:
        written = document.add_paragraph()
        if note := paragraph_note(report, paragraph):
            written.add_run(note + " ").italic = True
        written.add_run(paragraph.text)
        if cited := evidence_line(paragraph):
            document.add_paragraph().add_run(cited).italic = True
        if turns := turns_cited(paragraph):
            document.add_paragraph().add_run(turns).italic = True
    document.add_heading("Topics for further research", level=1)
    for topic in report.research_topics:
        document.add_paragraph(topic, style="List Bullet")
    document.add_heading("Claims and verdicts", level=1)
    columns = ("id", "claim", "verdict", "decisive point", "decisive turn", "probes, P(yes)")
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Light Grid Accent 1"
    for cell, title in zip(table.rows[0].cells, columns, strict=True):
        cell.text = title
    for claim in report.claims:
        cells = table.add_row().cells
        values = (
            claim.id,
            claim.text,
            verdict_text(claim),
            claim.decisive_point or "—",
            claim.decisive_turn or "—",
            probes_text(claim.probes),
        )
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    if report.reading is not None:
        document.add_page_break()
        _annotated_article(document, annotate_article(report.reading, article_picks(report)))
    document.add_page_break()
    document.add_heading("Appendix: debate transcript", level=1)
    titles = {c.id: c.text for c in report.claims}
    current = None
    for turn in report.debate:
        if turn.claim_id != current:
            current = turn.claim_id
            document.add_heading(f"{current}: {titles.get(current, '')}", level=2)
        if cited := evidence_line(turn):
            document.add_paragraph().add_run(cited).italic = True
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{ROLE_TITLES[turn.role]}, round {turn.round}: ").bold = True
        if label := move_text(turn):
            paragraph.add_run(f"(move: {label}) ").italic = True
        if turn.off_side:
            mark = paragraph.add_run(f"{OFF_SIDE_MARK} ")
            mark.bold = True
            mark.font.color.rgb = RGBColor(0x9A, 0x67, 0x00)
        paragraph.add_run(turn.content)
    meta = report.meta
    fidelity = role_fidelity_text(meta)
    document.add_paragraph(
        f"{meta.rounds} round(s); models: "
        + ", ".join(f"{role} {name}" for role, name in meta.models.items())
        + f"; {meta.duration_s:.1f} s"
        + (f"; {fidelity}" if fidelity else "")
        + "."
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
