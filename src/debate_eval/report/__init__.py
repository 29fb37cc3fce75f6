"""Reports as shareable files: Markdown, JSON, a self-contained HTML page, a Word document."""

from __future__ import annotations

from pathlib import Path

from debate_eval.core.errors import InputError, first_problem
from debate_eval.core.schemas import Report

REPORT_FORMATS: tuple[str, ...] = ("md", "json", "html", "docx")
BINARY_FORMATS = frozenset({"docx"})


# An --output file's suffix names its format when --format is not given.
SUFFIX_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}


def check_format(output_format: str | None, output: Path | None, default: str = "md") -> str:
    """The report format to write: --format, else the --output file's suffix (r.json: JSON),
    else `default`; InputError for an unknown one, or for a binary one with no --output file."""
    by_suffix = SUFFIX_FORMATS.get(output.suffix.lower()) if output is not None else None
    chosen = output_format or by_suffix or default
    if chosen not in REPORT_FORMATS:
        raise InputError(f"--format must be one of {', '.join(REPORT_FORMATS)}, not {chosen!r}")
    if chosen in BINARY_FORMATS and output is None:
        raise InputError(f"--format {chosen} needs --output FILE")
    return chosen


def render_report(report: Report, fmt: str) -> str | bytes:
    """`report` in format `fmt` (one of REPORT_FORMATS): text, or bytes for docx."""
    if fmt == "md":
        from debate_eval.report.markdown import to_markdown

        return to_markdown(report)
    if fmt == "json":
        from debate_eval.report.markdown import to_json

        return to_json(report)
    if fmt == "html":
        from debate_eval.report.html import to_html

        return to_html(report)
    if fmt == "docx":
        from debate_eval.report.docx import to_docx

        return to_docx(report)
    raise InputError(f"--format must be one of {', '.join(REPORT_FORMATS)}, not {fmt!r}")


def read_report(path: Path) -> Report:
    """A report written by `debate-eval run --format json`; InputError if it is not one."""
    from pydantic import ValidationError

    try:
        data = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as a JSON report ({exc})") from exc
    try:
        return Report.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(
            f"{path}: not a debate-eval JSON report ({first_problem(exc, 'the file')}); "
            "write one with `debate-eval run ARTICLE --format json --output FILE`"
        ) from exc
