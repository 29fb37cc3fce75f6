"""Shareable reports: `render` and `run --format html|docx`, checked by parsing the files and by
loading the HTML page in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from debate_eval.core.schemas import Report
from tests.test_cli import invoke

SECTIONS = ["Article summary", "Balance rating", "Article analysis", "Topics for further research"]


@pytest.fixture
def report_json(fake_models, tmp_path, article_file) -> Path:
    """A report written by `run`, with a hostile passage to check escaping."""
    out = tmp_path / "r.json"
    result = invoke("run", str(article_file), "--format", "json", "--output", str(out), "-q")
    assert result.exit_code == 0, result.output
    report = Report.model_validate_json(out.read_text())
    claims = [report.claims[0].model_copy(update={"text": "Lanes <script>alert(1)</script> work"})]
    out.write_text(
        report.model_copy(update={"claims": claims + report.claims[1:]}).model_dump_json()
    )
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_h2 = tag == "h2"

    def handle_endtag(self, tag):
        self._in_h2 = False if tag == "h2" else self._in_h2

    def handle_data(self, data):
        self.text.append(data)
        if self._in_h2:
            self.headings.append(data.strip())


def test_render_html_is_one_self_contained_page(report_json, tmp_path):
    page_file = tmp_path / "r.html"
    result = invoke("render", str(report_json), "--format", "html", "--output", str(page_file))
    assert result.exit_code == 0, result.output
    html = page_file.read_text()
    page = _Page()
    page.feed(html)
    report = Report.model_validate_json(report_json.read_text())
    assert page.headings[:4] == SECTIONS
    assert page.headings[4:] == [
        "Checklist",
        "Claims and verdicts",
        "The article, annotated",
        "Debate transcript",
    ]
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    assert not [a for _, a in page.tags if any(str(v).startswith("http") for v in a.values())]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert names.count("details") == len(report.claims)  # collapsible transcript per claim
    assert report.rating.label in "".join(page.text)
    assert ".rating-label{font-size:1.35rem;font-weight:700;color:#" in html
    # Each debate turn and analysis paragraph shows the article sentence it rests on, marked
    # verified.
    debaters = [t for t in report.debate if t.role != "judge"]
    evidence = [a for tag, a in page.tags if tag == "p" and a.get("class") == "evidence"]
    assert len(evidence) == len(debaters) + len(report.analysis) > len(debaters)
    assert html.count('class="quote verified" title=') >= len(evidence)
    assert f"Attacks (the article&#39;s words): &#34;{debaters[1].evidence.text}&#34;" in html
    # Same page on stdout when no --output is given.
    assert invoke("render", str(report_json)).stdout == html


def test_render_docx_has_sections_toc_claims_table_and_appendix(report_json, tmp_path):
    from docx import Document

    out = tmp_path / "r.docx"
    result = invoke("render", str(report_json), "--format", "docx", "--output", str(out))
    assert result.exit_code == 0, result.output
    document = Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == [
        *SECTIONS,
        "Claims and verdicts",
        "The article, annotated",
        "Appendix: debate transcript",
    ]
    assert "TOC \\o" in document.element.xml
    report = Report.model_validate_json(report_json.read_text())
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "id",
        "claim",
        "verdict",
        "decisive point",
        "decisive turn",
        "probes, P(yes)",
    ]
    assert [r.cells[0].text for r in table.rows[1:]] == [c.id for c in report.claims]
    transcript = [p.text for p in document.paragraphs if p.text.startswith(("Advocate", "Skeptic"))]
    assert len(transcript) == sum(1 for t in report.debate if t.role != "judge")
    cited = [p.text for p in document.paragraphs if "(the article's words)" in p.text]
    assert cited == [
        f"{'Evidence' if t.role == 'advocate' else 'Attacks'} (the article's words): "
        f'"{t.evidence.text}"'
        for t in report.debate
        if t.role != "judge"
    ]


def test_render_md_matches_run_markdown(fake_models, tmp_path, article_file, monkeypatch):
    """`run --format md` writes what `render --format md` makes of the same run's JSON."""
    import debate_eval.cli._run as run_module

    rendered = run_module.render_report
    as_json = tmp_path / "r.json"

    def keep_json(report, fmt):
        # The run's report as JSON too: `run` writes one format per run.
        as_json.write_text(rendered(report, "json"), encoding="utf-8")
        return rendered(report, fmt)

    monkeypatch.setattr(run_module, "render_report", keep_json)
    md = tmp_path / "r.md"
    result = invoke("run", str(article_file), "--format", "md", "--output", str(md), "-q")
    assert result.exit_code == 0, result.output
    markdown = md.read_text(encoding="utf-8")
    assert markdown.startswith("# Balance report")
    assert invoke("render", str(as_json), "--format", "md").stdout == markdown
    report = Report.model_validate_json(as_json.read_text())
    turn = report.debate[0]
    assert (
        f'> Evidence (the article\'s words): "{turn.evidence.text}"\n\n**[{turn.id}] Advocate:**'
        in markdown
    )
    first = report.analysis[0]
    paragraph = next(line for line in markdown.splitlines() if line.startswith(first.text))
    after = markdown.split(paragraph + "\n\n", 1)[1]
    assert after.startswith(f'> The article\'s words: "{first.evidence.text}"\n')


def test_run_writes_html_and_docx(fake_models, tmp_path, article_file):
    out = tmp_path / "r.html"
    result = invoke("run", str(article_file), "--format", "html", "--output", str(out), "-q")
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!doctype html>")
    no_file = invoke("run", str(article_file), "--format", "docx")
    assert no_file.exit_code == 2
    assert no_file.stderr.strip() == "error: --format docx needs --output FILE"


def test_render_bad_input_is_one_line(tmp_path):
    missing = invoke("render", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.json'}: no such file"
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    wrong = invoke("render", str(other))
    assert wrong.exit_code == 2
    assert wrong.stderr.startswith(f"error: {other}: not a debate-eval JSON report (summary: ")
    assert len(wrong.stderr.strip().splitlines()) == 1
    docx = invoke("render", str(other), "--format", "docx")
    assert docx.stderr.strip() == "error: --format docx needs --output FILE"


def test_html_report_loads_in_headless_chromium(report_json, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Debian's chromium package is needed (.ci/run installs it)"
    page_file = tmp_path / "r.html"
    invoke("render", str(report_json), "--format", "html", "--output", str(page_file))
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,1800"]
    dom = subprocess.run(
        [*flags, "--dump-dom", page_file.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    report = Report.model_validate_json(report_json.read_text())
    assert f'<div class="rating-label">{report.rating.label}</div>' in dom.stdout
    shot = tmp_path / "r.png"
    taken = subprocess.run(
        [*flags, f"--screenshot={shot}", page_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
