"""The command line's shared parts: the typer app, options every command uses, and turning
failures into one line and an exit code. Each command lives in its own module (cli/run.py, ...)."""

from __future__ import annotations

import contextlib
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
from debate_eval.models.settings import Settings, flag_help, load_settings

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


def mask(key: str | None) -> str:
    if not key:
        return "not set"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 10 else "set"


def settings_from(config: Path | None, **flags: object) -> Settings:
    return load_settings(flags, config_path=config)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
