"""`debate-eval run`: debate an article and print its report (the work: cli/_run.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from debate_eval.cli.app import (
    BaseUrlOption,
    ConfigOption,
    DebugOption,
    LocalModelOption,
    MaxClaimsOption,
    ModelOption,
    OutputFormat,
    RoundsOption,
    app,
    flag_help,
    guarded,
)


@app.command()
def run(
    article: Annotated[
        str | None,
        typer.Argument(
            help="Article: a text, Markdown, HTML or PDF file, - for stdin, or an http(s) URL."
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Report format (docx needs --output). [default: the --output file's suffix, "
            "else md]",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue a stopped run (its id is printed at the start), without repeating "
            "finished model calls."
        ),
    ] = None,
    rounds: RoundsOption = None,
    max_claims: MaxClaimsOption = None,
    model: ModelOption = None,
    judge_model: Annotated[str | None, typer.Option(help=flag_help("judge_model"))] = None,
    base_url: BaseUrlOption = None,
    timeout: Annotated[float | None, typer.Option(help=flag_help("timeout_s"))] = None,
    skeptic_first: Annotated[
        bool, typer.Option("--skeptic-first", help="Let the skeptic open each debate.")
    ] = False,
    local_model: LocalModelOption = None,
    max_article_words: Annotated[
        int | None, typer.Option(help=flag_help("max_article_words"))
    ] = None,
    rating_judge: Annotated[str | None, typer.Option(help=flag_help("rating_judge"))] = None,
    calibration: Annotated[Path | None, typer.Option(help=flag_help("calibration"))] = None,
    config: ConfigOption = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the report, no live transcript.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Debate an article's claims and print a balance report."""
    from debate_eval.cli._run import RunRequest, execute_run

    request = RunRequest(
        article=article,
        output=output,
        output_format=output_format.value if output_format else None,
        resume=resume,
        skeptic_first=skeptic_first,
        quiet=quiet,
        config=config,
        flags={
            "model": model,
            "judge_model": judge_model,
            "base_url": base_url,
            "rounds": rounds,
            "max_claims": max_claims,
            "timeout_s": timeout,
            "local_model": local_model,
            "max_article_words": max_article_words,
            "rating_judge": rating_judge,
            "calibration": str(calibration) if calibration else None,
        },
    )
    guarded(debug, lambda: execute_run(request))
