"""`debate-eval serve`: keep the embedded model's server running for later runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from debate_eval.cli.app import app, guarded, settings_from


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
    """Keep the embedded model's server running so repeated runs reuse it (Ctrl-C stops it);
    it has the slots the settings give (`embedded_slots`), and runs reuse it only with as many."""
    from debate_eval.embedded.server import serve_forever
    from debate_eval.models.backend import embedded_model

    def body() -> None:
        model = embedded_model(settings_from(None, local_model=local_model))
        console = Console(highlight=False, soft_wrap=True)
        console.print(f"[dim]Starting {model.description}…")
        for base_url in serve_forever(model, port):
            console.print(f"Serving {model.name} at {base_url} (Ctrl-C to stop)")

    guarded(debug, body)
