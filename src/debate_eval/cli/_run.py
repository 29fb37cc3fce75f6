"""`debate-eval run`: read the article, debate it under a checkpoint, print and write the report.

Every run is checkpointed (runstore.RunStore) under its run id, printed at the start; a crashed,
killed or failed run continues with `debate-eval run --resume RUN_ID`, without repeating the
model calls it had finished.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from debate_eval.core.errors import ConfigError, DebateEvalError, InputError, first_problem
from debate_eval.debate.runner import Durability, RunOptions, arun_debate, new_run_id
from debate_eval.debate.runstore import RunRecord, RunStore
from debate_eval.debate.scoring.calibration import debate_length_notice, rating_choice
from debate_eval.inputs.article import Article, load_article
from debate_eval.models import backend as backends
from debate_eval.models.backend import Backend, select_backend
from debate_eval.models.settings import Settings, load_settings
from debate_eval.report import check_format, render_report

# Flags that shape the debate itself: fixed once a run has started.
_FIXED_ON_RESUME = ("rounds", "max_claims", "max_article_words")


class Interrupted(DebateEvalError):
    """Ctrl-C or SIGTERM during a run (exit code 130)."""

    exit_code = 130


@dataclass
class RunRequest:
    """What the user asked `run` for."""

    article: str | None
    output: Path | None = None
    output_format: str | None = None
    resume: str | None = None
    skeptic_first: bool = False
    quiet: bool = False
    config: Path | None = None
    # Settings given as flags (None: not given), named as config.Settings fields.
    flags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Plan:
    run_id: str
    article: Article
    backend: Backend
    options: RunOptions
    output: Path | None
    output_format: str
    resume: bool


def execute_run(request: RunRequest, store: RunStore | None = None) -> None:
    """Run (or resume) one debate and deliver its report."""
    from debate_eval.report.markdown import notices_renderable, print_report
    from debate_eval.report.terminal import LiveView

    store = store or RunStore()
    plan = _resume_plan(request, store) if request.resume else _new_plan(request, store)
    # JSON on stdout must stay clean: the live view then goes to stderr.
    data_on_stdout = plan.output is None and plan.output_format in ("json", "html")
    console = Console(stderr=data_on_stdout, highlight=False)
    if not request.quiet:
        verb = "resuming run" if plan.resume else "run"
        console.print(f"[dim]{verb} {plan.run_id} · {plan.backend.describe()}", soft_wrap=True)
        if plan.article.notices:
            console.print(notices_renderable(plan.article.notices))
        if plan.backend.local_model is not None:
            console.print("[dim]Starting the embedded model (first use assembles it)…")
    try:
        if request.quiet:
            report = asyncio.run(_debate(plan, store, None))
        else:
            with LiveView(console, plan.options.rounds) as view:
                report = asyncio.run(_debate(plan, store, view))
    except DebateEvalError as exc:
        _save_partial(exc, plan.output, plan.run_id)
        exc.args = (f"{exc}; to continue: debate-eval run --resume {plan.run_id}",)
        raise
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted; to continue: debate-eval run --resume {plan.run_id}"
        ) from None
    rendered = render_report(report, plan.output_format)
    if plan.output is not None:
        written = write_output(plan.output, rendered)
        if not request.quiet:
            print_report(console, report)
            console.print(f"[dim]Report written to {written}", soft_wrap=True)
        return
    if plan.output_format in ("json", "html"):
        sys.stdout.write(rendered)
    elif console.is_terminal:
        print_report(console, report)
    else:
        sys.stdout.write(rendered)


async def _debate(plan: _Plan, store: RunStore, on_event):
    with backends.open_models(plan.backend) as models:
        async with store.checkpointer() as saver:
            return await arun_debate(
                plan.article.text,
                models,
                plan.options,
                on_event=on_event,
                run_id=plan.run_id,
                notices=plan.article.notices,
                durability=Durability(saver, plan.run_id, resume=plan.resume),
            )


def _new_plan(request: RunRequest, store: RunStore) -> _Plan:
    if request.article is None:
        raise InputError("no article: give a file, - for stdin or a URL (or --resume RUN_ID)")
    settings = load_settings(request.flags, config_path=request.config)
    output_format = check_format(request.output_format, request.output)
    if request.output is not None:
        check_output_path(request.output)
    backend = select_backend(settings)
    # A calibration file that does not fit fails now, not after the debate.
    judge, calibration = rating_choice(
        settings.rating_judge, settings.calibration, backend.judge_model
    )
    article = load_article(request.article, max_words=backend.max_article_words)
    # The rating judge is chosen for the backend's judge model (what calibrations are keyed by).
    options = replace(backend.run_options(skeptic_first=request.skeptic_first), rating_judge=judge)
    if note := debate_length_notice(calibration, options.max_claims, options.rounds):
        article = replace(article, notices=(*article.notices, note))
    run_id = new_run_id()
    store.save(
        RunRecord(
            run_id=run_id,
            source=article.source,
            article=article.text,
            settings=settings_record(settings, backend),
            options=asdict(options),
            output=str(request.output) if request.output else None,
            output_format=output_format,
            notices=list(article.notices),
        )
    )
    return _Plan(run_id, article, backend, options, request.output, output_format, resume=False)


def _resume_plan(request: RunRequest, store: RunStore) -> _Plan:
    if request.article is not None:
        raise InputError("give either an ARTICLE or --resume RUN_ID, not both")
    fixed = [f"--{name.replace('_', '-')}" for name in _FIXED_ON_RESUME if request.flags.get(name)]
    if request.skeptic_first:
        fixed.append("--skeptic-first")
    if fixed:
        raise InputError(f"{', '.join(fixed)} cannot change when resuming a run")
    record = store.load(request.resume)
    backend = select_backend(resume_settings(record, request.flags, request.config))
    output = request.output or (Path(record.output) if record.output else None)
    if output is not None:
        check_output_path(output)
    article = Article(text=record.article, source=record.source, notices=tuple(record.notices))
    return _Plan(
        record.run_id,
        article,
        backend,
        RunOptions(**record.options),
        output,
        # A new --output's suffix names the format as in a new run; else the run's own format.
        check_format(request.output_format, request.output, default=record.output_format),
        resume=True,
    )


def settings_record(settings: Settings, backend: Backend) -> dict:
    """The settings to keep with a run: everything but the API key; the embedded model by name,
    so a resume uses it even if a key has been set since."""
    record = settings.model_dump(exclude={"api_key", "roles"})
    record["roles"] = {
        role: override.model_dump(exclude_none=True) for role, override in settings.roles.items()
    }
    if backend.local_model is not None:
        record["local_model"] = backend.local_model.name
    return record


def resume_settings(record: RunRecord, flags: dict, config: Path | None) -> Settings:
    """The recorded run's settings, with the flags given now on top (e.g. a server's new
    --base-url) and the API key from the environment or config as usual."""
    given = {k: v for k, v in flags.items() if v is not None}
    current = load_settings(given, config_path=config)
    recorded = {k: v for k, v in record.settings.items() if k not in given}
    try:
        return Settings.model_validate({**current.model_dump(), **recorded})
    except ValidationError as exc:
        raise ConfigError(f"run {record.run_id}: its settings {first_problem(exc)}") from exc


def check_output_path(output: Path) -> None:
    """Fail before the (slow, possibly paid) debate, not after it."""
    if output.is_dir():
        raise InputError(f"--output {output}: is a directory")
    if not output.parent.exists():
        raise InputError(f"--output {output}: folder {output.parent} does not exist")


def write_output(output: Path, content: str | bytes) -> Path:
    """Write `content`; if that fails, keep it in a temporary file and say where (never lose a
    finished report)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        output.write_bytes(data)
        return output
    except OSError as exc:
        fallback = Path(tempfile.mkstemp(prefix="debate-eval-report-", suffix=output.suffix)[1])
        fallback.write_bytes(data)
        raise DebateEvalError(
            f"cannot write {output} ({exc.strerror}); the report was saved to {fallback}"
        ) from exc


def _save_partial(exc: DebateEvalError, output: Path | None, run_id: str) -> None:
    """Keep the turns a failed run finished (they cost time or money) as readable JSON next to
    the requested output (or in the current folder), and say where in the error line."""
    partial = exc.partial
    if partial is None:
        return
    name = f"{output.stem}.partial.json" if output else f"debate-eval-partial-{run_id}.json"
    target = (output.parent if output else Path.cwd()) / name
    turns = sum(1 for t in partial.debate if t.role != "judge")
    try:
        written = write_output(target, partial.model_dump_json(indent=2) + "\n")
    except DebateEvalError as unwritable:  # it went to a temporary file instead
        exc.args = (f"{exc}; {unwritable}",)
        return
    so_far = f"{turns} turn" + ("" if turns == 1 else "s")
    exc.args = (f"{exc}; the debate so far ({so_far}) was saved to {written}",)
