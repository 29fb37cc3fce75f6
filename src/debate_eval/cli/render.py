"""`debate-eval render`: a stored JSON report in another format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from debate_eval.cli.app import DebugOption, OutputFormat, app, guarded


@app.command()
def render(
    report_file: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A report from `run --format json`.")
    ],
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md, json, html or docx. [default: the --output file's suffix, else html]",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (needed for docx). [default: stdout]"),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Turn a JSON report into Markdown, HTML or a Word document."""
    from debate_eval.cli._run import check_output_path, write_output
    from debate_eval.report import check_format, read_report, render_report

    def body() -> None:
        fmt = check_format(output_format.value if output_format else None, output, "html")
        if output is not None:
            check_output_path(output)
        rendered = render_report(read_report(report_file), fmt)
        if output is None:
            sys.stdout.write(rendered)
        else:
            write_output(output, rendered)

    guarded(debug, body)
