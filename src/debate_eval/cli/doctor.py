"""`debate-eval doctor`: which backend and settings a run would use, and a model check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from debate_eval.cli.app import app, guarded, mask, settings_from


@app.command()
def doctor(
    local_model: Annotated[str | None, typer.Option(help="Check this embedded model.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Check this endpoint.")] = None,
    model: Annotated[str | None, typer.Option(help="Check this model.")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file (TOML).")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on failure.")] = False,
) -> None:
    """Show which backend and models a run would use, and check that the model answers."""
    from debate_eval.debate.scoring.calibration import debate_length, rating_choice
    from debate_eval.models.backend import open_models, select_backend
    from debate_eval.models.calls import ask_text

    def body() -> None:
        from debate_eval.models.settings import setting_sources

        flags = {"local_model": local_model, "base_url": base_url, "model": model}
        settings = settings_from(config, **flags)
        sources = setting_sources(flags, config_path=config)
        backend = select_backend(settings)
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"backend: {backend.describe()}")
        rating_judge, calibration = rating_choice(
            settings.rating_judge, settings.calibration, backend.judge_model
        )
        console.print(
            f"rating: the {rating_judge} judge, "
            + (f"calibrated ({calibration.describe()})" if calibration else "uncalibrated")
        )
        options = backend.run_options()
        # What a run debates, the profile's default filled in (rounds and max_claims show "—"
        # below when not set).
        console.print(f"debate: up to {debate_length(options.max_claims, options.rounds)}")
        console.print("settings (flags > environment > config file > defaults):")
        for name, source in sources.items():
            if name == "roles":
                continue
            value = getattr(settings, name)
            if name == "api_key":
                value = mask(value)
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
