"""The debate-eval command line: the typer app (cli/app.py) and one module per command."""

from __future__ import annotations

from debate_eval.cli import calibrate, doctor, render, run, schema, serve
from debate_eval.cli import eval as eval_command
from debate_eval.cli.app import app, main

# `--help` lists the commands in the order a user meets them.
_ORDER = ("run", "eval", "calibrate", "render", "doctor", "serve", "schema")
app.registered_commands.sort(key=lambda c: _ORDER.index(c.name or c.callback.__name__))

__all__ = ["app", "calibrate", "doctor", "eval_command", "main", "render", "run", "schema", "serve"]
