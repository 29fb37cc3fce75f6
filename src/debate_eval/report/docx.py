"""The report as a Word document (python-docx): headings per section, a table of contents
field (Word fills it in when the document is opened), a claims table and the transcript as an
appendix."""

from __future__ import annotations

import io

from debate_eval.core.schemas import Report
from debate_eval.debate.transcript import ROLE_TITLES
from debate_eval.report.markdown import (
    evidence_line,
    label_probabilities,
    paragraph_note,
    rating_basis,
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
    document.add_heading("Topics for further research", level=1)
    for topic in report.research_topics:
        document.add_paragraph(topic, style="List Bullet")
    document.add_heading("Claims and verdicts", level=1)
    table = document.add_table(rows=1, cols=4)
    table.style = "Light Grid Accent 1"
    for cell, title in zip(
        table.rows[0].cells, ("id", "claim", "verdict", "decisive point"), strict=True
    ):
        cell.text = title
    for claim in report.claims:
        cells = table.add_row().cells
        for cell, value in zip(
            cells,
            (claim.id, claim.text, verdict_text(claim), claim.decisive_point or "—"),
            strict=True,
        ):
            cell.text = value
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
        paragraph.add_run(turn.content)
    meta = report.meta
    document.add_paragraph(
        f"{meta.rounds} round(s); models: "
        + ", ".join(f"{role} {name}" for role, name in meta.models.items())
        + f"; {meta.duration_s:.1f} s."
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
