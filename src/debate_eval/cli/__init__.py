"""The debate-eval command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from debate_eval.core.errors import ConfigError, DebateEvalError
from debate_eval.models.keys import redact_keys
from debate_eval.models.settings import flag_help

app = typer.Typer(
    name="debate-eval",
    help="Judge how balanced an article is by making AI agents debate its claims.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")

# Options shared by `run` and `eval`.
# Settings flags: help, bounds and defaults come from the settings model (models.settings).
ModelOption = Annotated[str | None, typer.Option(help=flag_help("model"))]
BaseUrlOption = Annotated[str | None, typer.Option(help=flag_help("base_url"))]
LocalModelOption = Annotated[str | None, typer.Option(help=flag_help("local_model"))]
RoundsOption = Annotated[int | None, typer.Option(help=flag_help("rounds"))]
MaxClaimsOption = Annotated[int | None, typer.Option(help=flag_help("max_claims"))]
ConfigOption = Annotated[
    Path | None, typer.Option(help="Config file (TOML). [default: user config dir]")
]
DebugOption = Annotated[bool, typer.Option(help="Show tracebacks on failure.")]


class OutputFormat(StrEnum):
    md = "md"
    json = "json"
    html = "html"
    docx = "docx"


def _fail(message: str, code: int) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}", markup=True
    )
    return typer.Exit(code)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def guarded(debug: bool, body: Callable[[], T]) -> T:
    """Run `body`; turn failures into one clear line and an exit code (2 input, 1 runtime)."""
    # SIGTERM unwinds like Ctrl-C, so cleanup (stopping a server we started) still runs.
    with contextlib.suppress(ValueError):  # not in the main thread
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        return body()
    except DebateEvalError as exc:
        if debug:
            _print_traceback()
        raise _fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", 130) from None
    except Exception as exc:
        if debug:
            _print_traceback()
        message = redact_keys(f"unexpected {type(exc).__name__}: {exc}")
        raise _fail(f"{message} (rerun with --debug for the traceback)", 1) from None


# What the `eval` extra installs (pyproject.toml), by import name.
EVAL_EXTRA_MODULES = ("sklearn", "scipy", "krippendorff", "matplotlib")


@contextlib.contextmanager
def eval_extra(command: str) -> Iterator[None]:
    """Turn a missing `eval` extra into a one-line error that says how to install it."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in EVAL_EXTRA_MODULES:
            raise
        raise ConfigError(
            f"`debate-eval {command}` needs the eval extra ({exc.name} is not installed): "
            "pip install 'debate-eval[eval]'"
        ) from exc


def _print_traceback() -> None:
    # Chained exceptions hold the server's raw error text, which may echo the API key.
    sys.stderr.write(redact_keys(traceback.format_exc()))


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
        typer.Option("--format", "-f", help="Report format (docx needs --output). [default: md]"),
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
    from debate_eval.cli.run import RunRequest, execute_run

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


@app.command("eval")
def eval_(
    dataset: Annotated[
        Path,
        typer.Argument(
            help="Labelled articles: JSONL {id,title,text,label,source}, SemEval-2019 XML, "
            "a BASIL folder or an AllSides (Article-Bias-Prediction) JSON folder."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Results folder (rerun it to resume).")],
    judges: Annotated[
        str,
        typer.Option(
            help="Comma-separated judges: baseline, baseline-prob, checklist, debate, panel, "
            "or config ones."
        ),
    ] = "baseline,debate,panel",
    judge_config: Annotated[
        Path | None, typer.Option(help="TOML file defining more judges (model, prompt, ...).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N articles.")] = None,
    repeats: Annotated[
        int, typer.Option(help="Judge each article R times (temperature 0.7 when R > 1).")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option(help="Most model calls in flight (1 on the embedded model).")
    ] = 4,
    swap: Annotated[
        bool, typer.Option(help="Also debate with the skeptic first, for swap consistency.")
    ] = True,
    dataset_format: Annotated[
        str | None, typer.Option("--format", help="jsonl, semeval, basil or allsides.")
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="Label mapping: semeval, four_way, allsides or basil. [default: by format]"
        ),
    ] = None,
    ground_truth: Annotated[
        Path | None, typer.Option(help="SemEval ground-truth XML (with an articles XML file).")
    ] = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    local_model: LocalModelOption = None,
    rounds: RoundsOption = None,
    max_claims: MaxClaimsOption = None,
    engine: Annotated[
        str, typer.Option(help="local (asyncio in this process) or ray (one task per article).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to use with --engine ray. [default: start a local one]"),
    ] = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Compare judges against human labels: agreement, consistency and cost."""
    from debate_eval.models.backend import select_backend

    def body() -> None:
        with eval_extra("eval"):
            from debate_eval.evaluation.command import EvalRequest, run_evaluation
        settings = _settings(
            config,
            model=model,
            base_url=base_url,
            local_model=local_model,
            rounds=rounds,
            max_claims=max_claims,
        )
        request = EvalRequest(
            dataset=dataset,
            judges=judges,
            out=out,
            judge_config=judge_config,
            limit=limit,
            repeats=repeats,
            concurrency=concurrency,
            swap=swap,
            dataset_format=dataset_format,
            labels=labels,
            ground_truth=ground_truth,
            engine=engine,
            ray_address=ray_address,
        )
        run_evaluation(request, select_backend(settings), Console(highlight=False))

    guarded(debug, body)


@app.command()
def calibrate(
    dataset: Annotated[Path, typer.Argument(help="Labelled articles (as for eval).")],
    judge: Annotated[
        str, typer.Option(help="The judge to calibrate: baseline-prob, checklist or debate.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Write the calibration (JSON) here.")],
    store: Annotated[
        Path | None,
        typer.Option(help="Results folder for the judge's runs. [default: OUT's name + -runs]"),
    ] = None,
    labels: Annotated[
        str | None, typer.Option(help="Label mapping (as for eval). [default: by format]")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N articles.")] = None,
    dataset_format: Annotated[
        str | None, typer.Option("--format", help="jsonl, semeval, basil or allsides.")
    ] = None,
    default: Annotated[
        bool,
        typer.Option(
            "--default", help="Mark this judge as the default `run` rating judge for the model."
        ),
    ] = False,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    local_model: LocalModelOption = None,
    config: ConfigOption = None,
    debug: DebugOption = False,
) -> None:
    """Fit a judge's calibration on labelled articles; report it by 5-fold cross-validation."""
    from debate_eval.models.backend import select_backend

    def body() -> None:
        with eval_extra("calibrate"):
            from debate_eval.evaluation.calibrate import CalibrateRequest, run_calibration
        settings = _settings(config, model=model, base_url=base_url, local_model=local_model)
        request = CalibrateRequest(
            dataset=dataset,
            judge=judge,
            out=out,
            store=store,
            labels=labels,
            limit=limit,
            dataset_format=dataset_format,
            default=default,
        )
        run_calibration(request, select_backend(settings), Console(highlight=False))

    guarded(debug, body)


def _mask(key: str | None) -> str:
    if not key:
        return "not set"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 10 else "set"


def _settings(config: Path | None, **flags: object):
    from debate_eval.models.settings import load_settings

    return load_settings(flags, config_path=config)


@app.command()
def render(
    report_file: Annotated[
        Path, typer.Argument(metavar="REPORT.json", help="A report from `run --format json`.")
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="md, json, html or docx.")
    ] = OutputFormat.html,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (needed for docx). [default: stdout]"),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Turn a JSON report into Markdown, HTML or a Word document."""
    from debate_eval.cli.run import check_output_path, write_output
    from debate_eval.report import check_format, read_report, render_report

    def body() -> None:
        fmt = check_format(output_format.value, output)
        if output is not None:
            check_output_path(output)
        rendered = render_report(read_report(report_file), fmt)
        if output is None:
            sys.stdout.write(rendered)
        else:
            write_output(output, rendered)

    guarded(debug, body)


@app.command()
def doctor(
    local_model: Annotated[str | None, typer.Option(help="Check this embedded model.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Check this endpoint.")] = None,
    model: Annotated[str | None, typer.Option(help="Check this model.")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML).")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on failure.")] = False,
) -> None:
    """Show which backend and models a run would use, and check that the model answers."""
    from debate_eval.debate.scoring.calibration import rating_calibration, rating_judge_for
    from debate_eval.models.backend import open_models, select_backend
    from debate_eval.models.calls import ask_text

    def body() -> None:
        from debate_eval.models.settings import setting_sources

        flags = {"local_model": local_model, "base_url": base_url, "model": model}
        settings = _settings(config, **flags)
        sources = setting_sources(flags, config_path=config)
        backend = select_backend(settings)
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"backend: {backend.describe()}")
        rating_judge = rating_judge_for(
            settings.rating_judge, settings.calibration, backend.judge_model
        )
        calibration = rating_calibration(rating_judge, settings.calibration, backend.judge_model)
        console.print(
            f"rating: the {rating_judge} judge, "
            + (f"calibrated ({calibration.describe()})" if calibration else "uncalibrated")
        )
        console.print("settings (flags > environment > config file > defaults):")
        for name, source in sources.items():
            if name == "roles":
                continue
            value = getattr(settings, name)
            if name == "api_key":
                value = _mask(value)
            console.print(f"  {name}: {value if value is not None else '—'}  [dim]({source})")
        for role, override in settings.roles.items():
            console.print(f"  roles.{role}: {override.model_dump(exclude_none=True)}")
        for role, rs in backend.role_settings().items():
            console.print(
                f"  {role}: model {rs.model}, temperature {rs.temperature}, "
                f"max_tokens {rs.max_tokens}, timeout {rs.timeout_s:.0f} s"
            )
        from langchain_core.messages import HumanMessage

        with open_models(backend) as models:
            reply, usage = asyncio.run(
                ask_text(
                    models.judge.bind(max_tokens=8),
                    [HumanMessage(content="Reply with the single word: ready")],
                    role="judge",
                )
            )
        console.print(f"check: the model answered {reply[:40]!r} ({usage.output_tokens} tokens)")

    guarded(debug, body)


@app.command()
def serve(
    local_model: Annotated[
        str | None, typer.Option(help="Embedded model to serve. [default: qwen2.5-coder-1.5b]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1. [default: a free one]")
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on failure.")] = False,
) -> None:
    """Keep the embedded model's server running so repeated runs reuse it (Ctrl-C stops it)."""
    from debate_eval.embedded.server import serve_forever
    from debate_eval.embedded.weights import DEFAULT_LOCAL_MODEL, get_local_model

    def body() -> None:
        model = get_local_model(local_model or DEFAULT_LOCAL_MODEL)
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"[dim]Starting {model.description}…")
        for base_url in serve_forever(model, port):
            console.print(f"Serving {model.name} at {base_url} (Ctrl-C to stop)")

    guarded(debug, body)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report."""
    from debate_eval.core.schemas import Report

    sys.stdout.write(json.dumps(Report.model_json_schema(), indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
